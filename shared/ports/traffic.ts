import type { TrafficWeights } from '../schemas/operation';
import type { Workload } from '../schemas/workload';

/**
 * Weighted forward action between a workload's primary and shadow target groups. `setWeights`
 * only asks; callers must `getWeights` and compare before anything else moves (see
 * shared/domain/traffic.ts `setAndVerify`), because a write is not in effect until read back.
 */
export interface TrafficRouter {
  getWeights(workload: Workload): Promise<TrafficWeights>;
  setWeights(workload: Workload, weights: TrafficWeights): Promise<void>;
  /** Healthy registered targets in the primary or shadow target group. */
  healthyTargets(workload: Workload, role: 'primary' | 'shadow'): Promise<number>;
}

/** Weights between regions (e.g. Route 53 weighted records): region code -> 0..100, sum 100. */
export type RegionWeights = Record<string, number>;

export interface RegionRouter {
  getWeights(workload: Workload): Promise<RegionWeights>;
  /**
   * Sets the weights (and, when given, the records' TTL) in one atomic change, in effect on return.
   * A TTL is ignored for alias records, which carry their target's TTL.
   */
  setWeights(workload: Workload, weights: RegionWeights, options?: { ttlSeconds?: number }): Promise<void>;
  /** The TTL resolvers get with the weighted records now; undefined for alias records (not ours to set). */
  getTtl(workload: Workload): Promise<number | undefined>;
}
