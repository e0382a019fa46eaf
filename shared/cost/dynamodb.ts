import { itemSize } from '../data/records';
import type { Meter } from '../ports/meter';

/**
 * DynamoDB on-demand request units, by the documented rules:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * - a write is 1 unit per started KB of the item (the larger of the old and new item when it
 *   replaces one; a delete the deleted item; a failed condition still the item written);
 * - a GetItem is 1 unit per started 4 KB, half that when eventually consistent, and the minimum
 *   when no item is found; a Query adds the sizes of every item it reads, then rounds up to 4 KB.
 * Item size: `itemSize` (shared/data/records.ts), the same bytes the 400 KB limit is checked with.
 */

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

type Item = Record<string, unknown>;

const sizeOf = (item: Item | undefined): number => (item ? itemSize(item) : 0);

/** Count one write of `item`, replacing `old` (if any). */
export function meterWrite(meter: Meter, item: Item, old?: Item): void {
  meter.add('dynamodb.write-units', writeUnits(Math.max(sizeOf(item), sizeOf(old))));
}

/** Count one delete of `old` (a delete of nothing still costs one unit). */
export function meterDelete(meter: Meter, old: Item | undefined): void {
  meter.add('dynamodb.write-units', writeUnits(sizeOf(old)));
}

/** Count one GetItem that found `item` (or nothing). */
export function meterGet(meter: Meter, item: Item | undefined, consistent: boolean): void {
  meter.add('dynamodb.read-units', readUnits(sizeOf(item), consistent));
}

/** Count one Query page that read `read` (every item the key condition matched, before filters). */
export function meterQuery(meter: Meter, read: readonly Item[], consistent: boolean): void {
  let bytes = 0;
  for (const item of read) bytes += itemSize(item);
  meter.add('dynamodb.read-units', readUnits(bytes, consistent));
}
