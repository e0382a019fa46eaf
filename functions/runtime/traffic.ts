import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbTrafficRouter } from '../../shared/aws/alb-router';
import type { TrafficRouter } from '../../shared/ports/traffic';
import { overrides } from './index';
import { traced } from './powertools';

/**
 * The ALB TrafficRouter for handlers, built once per container on first use. Endpoint, region and
 * credentials come from the SDK's configuration (`AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2` /
 * `AWS_ENDPOINT_URL` honoured). `setRuntime({ traffic })` (functions/runtime/index.ts) wins.
 */
let cachedClient: ElasticLoadBalancingV2Client | undefined;
let cachedRouter: TrafficRouter | undefined;

export function traffic(): TrafficRouter {
  if (overrides.traffic) return overrides.traffic;
  cachedClient ??= traced(new ElasticLoadBalancingV2Client({}));
  cachedRouter ??= new AlbTrafficRouter(cachedClient);
  return cachedRouter;
}

/** Forget the lazily built client and router (tests that change the environment). */
export function resetTrafficCache(): void {
  cachedClient?.destroy();
  cachedClient = undefined;
  cachedRouter = undefined;
}
