import type { Workload } from '../schemas/workload';
import type { PoolStatus } from './compute';
import type { TargetHealthResult } from './metrics';

/** The workload's service in its standby region (same image; `failover.standby` names). */
export interface StandbyPool {
  describe(workload: Workload): Promise<PoolStatus>;
  scale(workload: Workload, desired: number): Promise<void>;
}

/** Health of a workload's endpoint in one region (its ALB target group), as a gate sees it. */
export interface RegionalHealthSource {
  /**
   * The newest published `windowSeconds` of the region's ALB minutes; with `sinceMs`, only minutes
   * that start at or after it (a gate judges traffic after its DNS step, never before it).
   */
  read(
    workload: Workload,
    region: string,
    windowSeconds: number,
    options?: { sinceMs?: number },
  ): Promise<TargetHealthResult>;
}

/**
 * Starts a regional-failover / regional-failback execution under a name the caller derives from
 * the workload and the event, so the same event never starts two runs: a name already used
 * answers `started: false`.
 */
export interface RegionalExecutionStarter {
  start(
    kind: 'failover' | 'failback',
    name: string,
    input: { workloadId: string; trigger: string; reason: string },
  ): Promise<{ started: boolean; executionArn?: string }>;
}
