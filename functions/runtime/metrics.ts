import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricsSource, createCloudWatchClient } from '../../shared/aws/cloudwatch-metrics';
import type { MetricsSource } from '../../shared/ports/metrics';
import { overrides } from './index';
import { traced } from './powertools';

/**
 * The CloudWatch MetricsSource for handlers, built once per container on first use. Endpoint,
 * region and credentials come from the SDK's configuration (`AWS_ENDPOINT_URL_CLOUDWATCH` /
 * `AWS_ENDPOINT_URL` honoured). `setRuntime({ metrics })` (functions/runtime/index.ts) wins.
 */
let cachedClient: CloudWatchClient | undefined;
let cachedSource: MetricsSource | undefined;

export function cloudWatchClient(): CloudWatchClient {
  cachedClient ??= traced(createCloudWatchClient());
  return cachedClient;
}

export function metrics(): MetricsSource {
  if (overrides.metrics) return overrides.metrics;
  cachedSource ??= new CloudWatchMetricsSource(cloudWatchClient());
  return cachedSource;
}

/** Forget the lazily built client and source (tests that change the environment). */
export function resetMetricsCache(): void {
  cachedClient?.destroy();
  cachedClient = undefined;
  cachedSource = undefined;
}
