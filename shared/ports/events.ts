import type { ShadowscaleEvent } from '../schemas/events';

export interface PublishResult {
  published: number;
  /** Events that still failed after the publisher's retries. */
  failed: { event: ShadowscaleEvent; error: string }[];
}

/** Publishes Shadowscale events (EventBridge in AWS, an in-memory bus locally). */
export interface EventPublisher {
  publish(events: readonly ShadowscaleEvent[]): Promise<PublishResult>;
}
