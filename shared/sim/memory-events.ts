import { eventBytes, meterEvent } from '../cost/events';
import { validateDetail } from '../forecaster/event-validation';
import type { EventPublisher, PublishResult } from '../ports/events';
import { type Meter, noMeter } from '../ports/meter';
import type { ShadowscaleEvent } from '../schemas/events';

/**
 * An in-memory EventPublisher for the local run and the tests. It validates every detail against
 * its schema exactly like the EventBridge publisher, so a bad detail fails here too, and records
 * what was published in order. `failWhen` makes chosen events fail (as a PutEvents entry would).
 */
export class MemoryEventPublisher implements EventPublisher {
  readonly events: ShadowscaleEvent[] = [];
  private readonly listeners: ((event: ShadowscaleEvent) => void)[] = [];
  private failPredicate: ((event: ShadowscaleEvent) => string | undefined) | undefined;

  /** `meter` counts accepted events as EventBridge would bill them. */
  constructor(private readonly meter: Meter = noMeter) {}

  async publish(events: readonly ShadowscaleEvent[]): Promise<PublishResult> {
    const result: PublishResult = { published: 0, failed: [] };
    for (const event of events) {
      const invalid = validateDetail(event);
      const injected = invalid === undefined ? this.failPredicate?.(event) : undefined;
      const error = invalid ?? injected;
      if (error !== undefined) {
        result.failed.push({ event, error });
        continue;
      }
      this.events.push(event);
      meterEvent(this.meter, eventBytes(event));
      result.published++;
      for (const listener of this.listeners) listener(event);
    }
    return result;
  }

  /** Make events for which `predicate` returns an error message fail; undefined to stop. */
  failWhen(predicate: ((event: ShadowscaleEvent) => string | undefined) | undefined): void {
    this.failPredicate = predicate;
  }

  /** Called for each event once published (the local run routes events to state machines). */
  subscribe(listener: (event: ShadowscaleEvent) => void): void {
    this.listeners.push(listener);
  }

  ofType<T extends ShadowscaleEvent['detailType']>(
    detailType: T,
  ): Extract<ShadowscaleEvent, { detailType: T }>[] {
    return this.events.filter(
      (e): e is Extract<ShadowscaleEvent, { detailType: T }> => e.detailType === detailType,
    );
  }

  clear(): void {
    this.events.length = 0;
  }
}
