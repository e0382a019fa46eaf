import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeClient, EventBridgePublisher } from '../../shared/aws/eventbridge';
import type { EventPublisher } from '../../shared/ports/events';
import { overrides } from './index';
import { traced } from './powertools';

/** Environment variable naming the bus (set by infra); the account's default bus when absent. */
export const EVENT_BUS_ENV = 'SHADOWSCALE_EVENT_BUS_NAME';

/**
 * The EventBridge publisher for handlers, built once per container on first use, on the bus named
 * by `SHADOWSCALE_EVENT_BUS_NAME`. Endpoint, region and credentials come from the SDK's configuration
 * (`AWS_ENDPOINT_URL_EVENTBRIDGE` / `AWS_ENDPOINT_URL` honoured). `setRuntime({ events })` wins.
 */
let cachedClient: EventBridgeClient | undefined;
let cachedPublisher: EventPublisher | undefined;

export function eventBridgeClient(): EventBridgeClient {
  cachedClient ??= traced(createEventBridgeClient());
  return cachedClient;
}

export function events(): EventPublisher {
  if (overrides.events) return overrides.events;
  const busName = process.env[EVENT_BUS_ENV];
  cachedPublisher ??= new EventBridgePublisher(eventBridgeClient(), busName ? { busName } : {});
  return cachedPublisher;
}

/** Forget the lazily built client and publisher (tests that change the environment). */
export function resetEventsCache(): void {
  cachedClient?.destroy();
  cachedClient = undefined;
  cachedPublisher = undefined;
}
