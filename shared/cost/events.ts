import type { Meter } from '../ports/meter';
import { EVENT_SOURCE, type ShadowscaleEvent } from '../schemas/events';

/** EventBridge bills a PutEvents entry as one event per started 64 KB. */
export const EVENT_CHUNK_BYTES = 64 * 1024;

/** Bytes of an entry as EventBridge sizes it (source, detail type and detail, UTF-8). */
export function eventBytes(event: ShadowscaleEvent, source = EVENT_SOURCE): number {
  return (
    Buffer.byteLength(source, 'utf8') +
    Buffer.byteLength(event.detailType, 'utf8') +
    Buffer.byteLength(JSON.stringify(event.detail), 'utf8')
  );
}

/** Count one entry of `bytes` accepted by the bus. */
export function meterEvent(meter: Meter, bytes: number): void {
  meter.add('eventbridge.events', Math.max(1, Math.ceil(bytes / EVENT_CHUNK_BYTES)));
}
