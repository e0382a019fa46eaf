import { itemSize } from '../data/records';
import type { GlobalIndexSpec, TableSpec } from '../data/tables';
import type { Meter } from '../ports/meter';

/**
 * DynamoDB on-demand request units, by the documented rules:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * - a write is 1 unit per started KB of the item (the larger of the old and new item when it
 *   replaces one; a delete the deleted item; a failed condition still the item written);
 * - every global secondary index the write changes adds its own writes, sized by the index entry
 *   (the whole item under an ALL projection, the table's and the index's keys under KEYS_ONLY):
 *   one to add an entry, one to remove one, two when the index key changes (remove the old
 *   entry, add the new), one (the larger entry) when projected attributes change, none when the
 *   entry is unchanged or the item is absent from a sparse index;
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

/** What the bill of a write depends on: the table's key and its global secondary indexes. */
export type BilledTable = Pick<TableSpec, 'partitionKey' | 'sortKey' | 'globalSecondaryIndexes'>;

/** One write to a table, as DynamoDB bills it. */
export interface BilledWrite {
  /** The item the request wrote (or would have written, when its condition failed). */
  readonly item: Item;
  /** The item it replaced, if any. */
  readonly old?: Item | undefined;
  /** False when the condition failed: the table write is still billed, no index changes. */
  readonly written?: boolean;
}

/** Count one write: the table's units, then the index entries it added, changed or removed. */
export function meterWrite(
  meter: Meter,
  table: BilledTable,
  { item, old, written = true }: BilledWrite,
): void {
  let units = writeUnits(Math.max(sizeOf(item), sizeOf(old)));
  if (written)
    for (const index of table.globalSecondaryIndexes) units += indexWriteUnits(table, index, item, old);
  meter.add('dynamodb.write-units', units);
}

/** Count one delete of `old` (a delete of nothing still costs one unit) and of its index entries. */
export function meterDelete(meter: Meter, table: BilledTable, old: Item | undefined): void {
  let units = writeUnits(sizeOf(old));
  for (const index of table.globalSecondaryIndexes) units += indexWriteUnits(table, index, undefined, old);
  meter.add('dynamodb.write-units', units);
}

/**
 * The index entry an item has in `index`: undefined when it lacks the index's key (sparse), else
 * the projected attributes (the whole item under ALL; the table's and the index's keys under
 * KEYS_ONLY).
 */
function indexEntry(table: BilledTable, index: GlobalIndexSpec, item: Item | undefined): Item | undefined {
  if (!item) return undefined;
  const keys = [index.partitionKey.name, ...(index.sortKey ? [index.sortKey.name] : [])];
  if (keys.some((key) => item[key] === undefined)) return undefined;
  if (index.projection === 'ALL') return item;
  const entry: Item = {};
  for (const key of [...keys, table.partitionKey.name, ...(table.sortKey ? [table.sortKey.name] : [])])
    entry[key] = item[key];
  return entry;
}

/** The index writes for one item going from `old` to `item` (undefined: absent). */
function indexWriteUnits(
  table: BilledTable,
  index: GlobalIndexSpec,
  item: Item | undefined,
  old: Item | undefined,
): number {
  const after = indexEntry(table, index, item);
  const before = indexEntry(table, index, old);
  if (!after && !before) return 0;
  if (!before) return writeUnits(sizeOf(after));
  if (!after) return writeUnits(sizeOf(before));
  const sameKey =
    sameValue(after[index.partitionKey.name], before[index.partitionKey.name]) &&
    (!index.sortKey || sameValue(after[index.sortKey.name], before[index.sortKey.name]));
  if (!sameKey) return writeUnits(sizeOf(before)) + writeUnits(sizeOf(after));
  if (sameValue(after, before)) return 0;
  return writeUnits(Math.max(sizeOf(after), sizeOf(before)));
}

/** Deep equality of stored values (maps compared by key, whatever the order). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array)
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((element, i) => sameValue(element, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Item)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Item)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Item)[k], (b as Item)[k]));
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
