import { PlanRejectedError } from '../errors';
import type { Workload } from '../schemas/workload';

/**
 * When traffic goes home: contention has been cleared (hysteresis in `decide`) for the workload's
 * `returnAfterClearSeconds`. Seconds still to wait; 0 when an operator forces the return.
 */
export function holdSecondsForReturn(
  workload: Workload,
  decision: { contended: boolean; score: number; since: number } | undefined,
  nowMs: number,
  force: boolean,
): number {
  if (force) return 0;
  if (decision?.contended) {
    throw new PlanRejectedError(
      `workload ${workload.workloadId}: contention is still predicted (score ${decision.score}); pass force to return anyway`,
    );
  }
  if (!decision) return 0;
  const remainingMs = decision.since + workload.contention.returnAfterClearSeconds * 1000 - nowMs;
  return Math.max(0, Math.ceil(remainingMs / 1000));
}
