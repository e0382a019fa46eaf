import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53RegionRouter } from '../../shared/aws/route53-router';
import type { RegionRouter } from '../../shared/ports/traffic';
import { overrides } from './index';

/**
 * The Route 53 RegionRouter for handlers, built once per container on first use (Route 53 is a
 * global service; endpoint and credentials from the SDK configuration, `AWS_ENDPOINT_URL`
 * honoured). `setRuntime({ regions })` (functions/runtime/index.ts) wins.
 */
let cachedClient: Route53Client | undefined;
let cachedRouter: RegionRouter | undefined;

export function regions(): RegionRouter {
  if (overrides.regions) return overrides.regions;
  cachedClient ??= new Route53Client({});
  cachedRouter ??= new Route53RegionRouter(cachedClient);
  return cachedRouter;
}

export function resetRegionsCache(): void {
  cachedClient?.destroy();
  cachedClient = undefined;
  cachedRouter = undefined;
}
