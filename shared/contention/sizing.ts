import type { Workload } from '../schemas/workload';

/**
 * Recommended shadow pool size for a predicted peak (Migration.shadowShare / bufferFraction):
 * the units the primary cannot supply at its maximum, times the share the shadow pool should
 * absorb, plus a buffer, rounded up and capped at the workload's shadow maximum.
 *
 * The backtester (shared/backtest) sizes pools for its own policies; this is the forecaster's
 * recommendation carried in the `Contention Predicted` detail. The migration sizes the pool itself
 * when it runs, from the newest forecast.
 */
export function recommendedShadowUnits(workload: Workload, peakUnits: number): number {
  if (!Number.isFinite(peakUnits) || peakUnits <= 0) return 0;
  const deficitUnits = Math.max(0, peakUnits - workload.capacity.maxUnits);
  if (deficitUnits === 0) return 0;
  const { shadowShare, bufferFraction } = workload.migration;
  // Round before ceil so float noise (3 * 1.2 = 3.5999999999999996) does not add a unit.
  const wanted = Math.ceil(Number((deficitUnits * shadowShare * (1 + bufferFraction)).toFixed(9)));
  return Math.min(workload.capacity.shadowMaxUnits, Math.max(1, wanted));
}
