import { ConfigError, ValidationError, WeightMismatchError } from '../errors';
import type { RegionRouter, RegionWeights } from '../ports/traffic';
import type { TrafficWeights } from '../schemas/operation';
import type { Workload } from '../schemas/workload';

/**
 * A failover moves traffic between two regions, home (`regions.primary`) and standby. The
 * operation record keeps weights as primary/shadow pairs, so the pair here means home/standby:
 * the shadow-pool weight decisions (steps, resume cursor, abort choice) apply unchanged.
 */
export function regionsOf(workload: Workload): { home: string; standby: string } {
  const { primary, standby } = workload.regions;
  if (!standby || !workload.failover) {
    throw new ConfigError(`workload ${workload.workloadId} has no standby region with failover configured`);
  }
  return { home: primary, standby };
}

export function toRegionWeights(workload: Workload, weights: TrafficWeights): RegionWeights {
  const { home, standby } = regionsOf(workload);
  return { [home]: weights.primary, [standby]: weights.shadow };
}

export function toPairWeights(workload: Workload, weights: RegionWeights): TrafficWeights {
  const { home, standby } = regionsOf(workload);
  const others = Object.entries(weights).filter(([r, w]) => r !== home && r !== standby && w > 0);
  if (others.length > 0) {
    throw new ConfigError(
      `workload ${workload.workloadId}: DNS sends weight to ${others.map(([r, w]) => `${r}=${w}`).join(', ')}, outside ${home}/${standby}`,
    );
  }
  const primary = weights[home] ?? 0;
  const shadow = weights[standby] ?? 0;
  if (primary + shadow !== 100) {
    throw new ValidationError(`region weights ${home}=${primary} ${standby}=${shadow} do not sum to 100`);
  }
  return { primary, shadow };
}

/**
 * Write region weights, wait until Route 53 is INSYNC (inside the router), read them back and
 * compare: a step never advances on a weight that is not in effect. Returns the verified pair.
 */
export async function setAndVerifyRegions(
  router: RegionRouter,
  workload: Workload,
  weights: TrafficWeights,
  options: { ttlSeconds?: number } = {},
): Promise<TrafficWeights> {
  if (weights.primary + weights.shadow !== 100) {
    throw new ValidationError(`region weights ${weights.primary}/${weights.shadow} do not sum to 100`);
  }
  const ttl = options.ttlSeconds ?? workload.failover?.dns.ttlSeconds;
  await router.setWeights(workload, toRegionWeights(workload, weights), {
    ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
  });
  const read = toPairWeights(workload, await router.getWeights(workload));
  if (read.primary !== weights.primary || read.shadow !== weights.shadow) {
    const { home, standby } = regionsOf(workload);
    throw new WeightMismatchError(
      `workload ${workload.workloadId}: wrote ${home}/${standby} ${weights.primary}/${weights.shadow} but read back ${read.primary}/${read.shadow}`,
    );
  }
  // The TTL is part of what resolvers get: a step's wait is only right if it reads back as written.
  const readTtl = await router.getTtl(workload);
  if (readTtl !== undefined && ttl !== undefined && readTtl !== ttl) {
    throw new WeightMismatchError(
      `workload ${workload.workloadId}: wrote TTL ${ttl} s but read back ${readTtl} s`,
    );
  }
  return read;
}

/** Whether the record set has a record whose TTL is ours to set (not every endpoint is an alias). */
export function ttlIsOurs(workload: Workload): boolean {
  return Object.values(workload.failover?.dns.endpoints ?? {}).some((e) => e.alias === undefined);
}
