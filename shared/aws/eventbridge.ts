import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { meterEvent } from '../cost/events';
import { validateDetail } from '../forecaster/event-validation';
import type { EventPublisher, PublishResult } from '../ports/events';
import { type Meter, noMeter } from '../ports/meter';
import { EVENT_SOURCE, type ShadowscaleEvent } from '../schemas/events';
import { Backoff, type BackoffOptions } from './backoff';

/** PutEvents takes at most 10 entries and 256 KiB per request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

// Entry failures that no retry can fix (a malformed entry, a missing bus, missing permissions).
const PERMANENT_ERROR = /Validation|AccessDenied|NotAuthorized|Malformed|InvalidArgument|ResourceNotFound/i;

export interface EventBridgePublisherOptions extends BackoffOptions {
  /** Bus name or ARN; default the account's default bus. */
  busName?: string;
  source?: string;
  /** Counts the events the bus accepted (what EventBridge bills). */
  meter?: Meter;
  // Backoff defaults: 4 attempts per entry, first wait up to 100 ms, at most 5 s.
}

interface Pending {
  event: ShadowscaleEvent;
  entry: PutEventsRequestEntry;
  size: number;
  lastError: string;
}

/**
 * Publishes Shadowscale events to EventBridge. Each detail is validated against its schema first
 * (an invalid one is reported, never sent); entries go in requests of at most 10 and 256 KiB;
 * entries PutEvents reports as failed (it answers 200 with `FailedEntryCount`) are retried with
 * exponential backoff and full jitter, and whatever still fails is returned to the caller.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly busName: string | undefined;
  private readonly source: string;
  private readonly backoff: Backoff;
  private readonly meter: Meter;

  constructor(
    private readonly client: EventBridgeClient,
    options: EventBridgePublisherOptions = {},
  ) {
    this.busName = options.busName;
    this.source = options.source ?? EVENT_SOURCE;
    this.backoff = new Backoff(options, { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 });
    this.meter = options.meter ?? noMeter;
  }

  async publish(events: readonly ShadowscaleEvent[]): Promise<PublishResult> {
    const result: PublishResult = { published: 0, failed: [] };
    let pending: Pending[] = [];
    for (const event of events) {
      const invalid = validateDetail(event);
      if (invalid !== undefined) {
        result.failed.push({ event, error: invalid });
        continue;
      }
      const entry: PutEventsRequestEntry = {
        Source: this.source,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
        EventBusName: this.busName,
      };
      const size = entrySize(entry);
      if (size > PUT_EVENTS_MAX_BYTES) {
        result.failed.push({ event, error: `EntryTooLarge: ${size} bytes > ${PUT_EVENTS_MAX_BYTES}` });
        continue;
      }
      pending.push({ event, entry, size, lastError: '' });
    }

    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await this.backoff.wait(attempt - 1);
      const retry: Pending[] = [];
      for (const batch of batches(pending)) {
        const outcome = await this.send(batch);
        result.published += outcome.published;
        for (const failure of outcome.failed) {
          if (failure.permanent || attempt >= this.backoff.maxAttempts) {
            result.failed.push({ event: failure.item.event, error: failure.item.lastError });
          } else {
            retry.push(failure.item);
          }
        }
      }
      pending = retry;
    }
    return result;
  }

  private async send(
    batch: Pending[],
  ): Promise<{ published: number; failed: { item: Pending; permanent: boolean }[] }> {
    try {
      const response = await this.client.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      const entries = response.Entries ?? [];
      const failed: { item: Pending; permanent: boolean }[] = [];
      batch.forEach((item, i) => {
        const answer = entries[i];
        // Entries come back in request order; an entry without an EventId did not make it.
        if (answer?.EventId && !answer.ErrorCode) {
          meterEvent(this.meter, item.size);
          return;
        }
        const code = answer?.ErrorCode ?? 'MissingEntry';
        item.lastError = `${code}: ${answer?.ErrorMessage ?? 'no event id returned'}`;
        failed.push({ item, permanent: PERMANENT_ERROR.test(code) });
      });
      return { published: batch.length - failed.length, failed };
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      for (const item of batch) item.lastError = `${name}: ${message}`;
      const permanent = PERMANENT_ERROR.test(name);
      return { published: 0, failed: batch.map((item) => ({ item, permanent })) };
    }
  }
}

/** Split into requests of at most 10 entries and 256 KiB. */
function batches(items: Pending[]): Pending[][] {
  const out: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length === PUT_EVENTS_MAX_ENTRIES || bytes + item.size > PUT_EVENTS_MAX_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Entry size as EventBridge counts it (UTF-8 bytes of source, detail type, detail, resources). */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? '', 'utf8');
  size += Buffer.byteLength(entry.DetailType ?? '', 'utf8');
  size += Buffer.byteLength(entry.Detail ?? '', 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** Default client: SDK standard retries for throttled calls, on top of the entry retries above. */
export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 3 });
}
