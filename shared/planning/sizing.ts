import type { Workload } from '../schemas/workload';
import { recommendShadowUnits } from './capacity';

/**
 * Recommended shadow pool size for a predicted peak, carried in the `Contention Predicted` detail:
 * the backtester's sizing (shared/backtest/decisions.ts `recommendShadowUnits`), so the policy
 * that is measured and the one that is deployed size pools the same way: the units the primary
 * cannot supply at its maximum, times the share the shadow pool absorbs (Migration.shadowShare),
 * plus a buffer (Migration.bufferFraction), rounded up and capped at the workload's shadow maximum.
 * For a `whole` move the shadow pool is sized for the whole peak. The migration sizes the pool
 * itself when it runs (shared/migration/plan.ts, the same rule), from the newest forecast.
 */
export function recommendedShadowUnits(workload: Workload, peakUnits: number): number {
  if (!Number.isFinite(peakUnits) || peakUnits <= 0) return 0;
  return recommendShadowUnits({
    neededUnits: peakUnits,
    // A `whole` move takes the workload off the primary: the shadow pool serves all of the peak.
    primaryMax: workload.migration.move === 'whole' ? 0 : workload.capacity.maxUnits,
    shadowMax: workload.capacity.shadowMaxUnits,
    shadowShare: workload.migration.shadowShare,
    bufferFraction: workload.migration.bufferFraction,
  });
}
