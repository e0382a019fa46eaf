import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchTargetHealth } from '../../shared/aws/cloudwatch-health';
import type { Clock } from '../../shared/clock';
import type { TargetHealthSource } from '../../shared/ports/metrics';
import { clock, overrides } from './index';
import { traced } from './powertools';

/**
 * The CloudWatch TargetHealthSource (ALB target-group metrics for health gates), built once per
 * container on first use. Endpoint, region and credentials come from the SDK's configuration
 * (`AWS_ENDPOINT_URL_CLOUDWATCH` / `AWS_ENDPOINT_URL` honoured). `setRuntime({ health })` wins.
 */
let cachedClient: CloudWatchClient | undefined;
let cachedSource: TargetHealthSource | undefined;

/** Reads the runtime clock on every call, so `setRuntime({ clock })` applies after construction. */
const runtimeClock: Clock = { now: () => clock().now() };

export function health(): TargetHealthSource {
  if (overrides.health) return overrides.health;
  cachedClient ??= traced(new CloudWatchClient({}));
  cachedSource ??= new CloudWatchTargetHealth(cachedClient, runtimeClock);
  return cachedSource;
}

/** Forget the lazily built client and source (tests that change the environment). */
export function resetHealthCache(): void {
  cachedClient?.destroy();
  cachedClient = undefined;
  cachedSource = undefined;
}
