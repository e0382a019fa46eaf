import type { Workload } from '../schemas/workload';

export type PoolRole = 'primary' | 'shadow';

/** What a pool looks like now. `ready` units pass their health checks and take traffic. */
export interface PoolStatus {
  exists: boolean;
  desired: number;
  /** Running but not yet ready (launching, starting). */
  pending: number;
  ready: number;
  /** Units still serving while they drain after a scale-in. */
  draining: number;
}

/** How to stand up a shadow pool: its size and, where configured, a smaller task. */
export interface ShadowSpec {
  units: number;
  taskCpu?: number;
  taskMemory?: number;
}

/**
 * An ECS service or EKS managed nodegroup. Every mutation is idempotent: calling it again with the
 * same arguments finds and reuses what exists, so a rerun after a crash converges.
 */
export interface ComputePool {
  describe(workload: Workload, role: PoolRole): Promise<PoolStatus>;
  scale(workload: Workload, role: PoolRole, desired: number): Promise<void>;
  /**
   * The lowest count the pool's own scaling may go to (pre-warm): its target tracking keeps
   * working above it, and a desired count below it is raised to it now. ECS: the scalable
   * target's MinCapacity; EKS: the nodegroup's minSize.
   */
  setFloor(workload: Workload, role: PoolRole, floor: number): Promise<void>;
  /** Create the shadow pool if absent (or reuse it) and set it to `spec.units`. */
  ensureShadow(workload: Workload, spec: ShadowSpec): Promise<PoolStatus>;
  /** Delete the shadow pool; no-op when absent. */
  deleteShadow(workload: Workload): Promise<void>;
}
