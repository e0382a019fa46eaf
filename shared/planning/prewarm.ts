import type { TrafficWeights } from '../schemas/operation';
import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { type MetricPeak, metricPeaks } from './sizing';
import { wholeUnits } from './units';

/**
 * Pre-warm: size both pools *before* the demand arrives, planned together so that the same demand
 * is never paid for twice (DESIGN.md, control loop steps 4 and 5).
 *
 * A unit launched now is ready one provisioning lag from now, and the next forecast replans one
 * forecast interval later; so the units needed are the peak of the planning path over
 * [now, now + lag + interval], the most demanding metric deciding. Traffic is split by weight, so
 * each pool needs its share of them: the primary its (1 − s), the shadow pool s, where s is the
 * shadow's traffic share.
 *
 * - The primary gets a **floor**: its own target tracking keeps scaling it, but never below the
 *   floor (in AWS, the scalable target's minimum), and a floor above the desired count raises it
 *   now. A forecast can never take capacity away from served traffic.
 * - While a migration runs, the primary keeps the share it serves now (traffic is only moving
 *   away from it); while a return runs it is planned for all of the traffic (it is coming home).
 * - While no operation runs and the shadow pool carries traffic, the shadow pool follows the
 *   forecast both ways (it has no target tracking of its own): up ahead of demand, down between
 *   peaks. While an operation runs, the operation owns the shadow pool's size.
 */

export interface PoolState {
  /** Desired count of the primary now. */
  primaryDesired: number;
  shadow: { exists: boolean; desired: number };
  weights: TrafficWeights;
  /** The operation that holds the workload's lease, if any. */
  operation?: 'migration' | 'return';
}

export interface PoolPlan {
  /** Units the planning path needs over the window, both pools together, rounded up. */
  neededUnits: number;
  /** Minimum of the primary, within [minUnits, maxUnits]. */
  primaryFloor: number;
  /** `scale-out` when the floor is above the primary's desired count. */
  action: 'scale-out' | 'hold';
  /** The primary's desired count to set (the current one on hold). */
  desired: number;
  /** The shadow pool's new desired count, when the plan resizes it. */
  shadowDesired?: number;
  /** Traffic share of the shadow pool the plan used (0..1). */
  shadowShare: number;
  /** The primary's share needs more than its maximum (a bigger shadow share is the forecaster's call). */
  limitedByMax: boolean;
  windowStartMs: number;
  windowEndMs: number;
  byMetric: MetricPeak[];
  reason: string;
}

export function planPools(
  workload: Workload,
  predictions: readonly Prediction[],
  state: PoolState,
  nowMs: number,
): PoolPlan {
  const { minUnits, maxUnits, shadowMaxUnits, provisioningLagSeconds } = workload.capacity;
  const interval = Math.max(0, ...predictions.map((p) => p.intervalMs));
  const windowEndMs = nowMs + provisioningLagSeconds * 1000 + interval;
  const byMetric = metricPeaks(workload, predictions, { window: { fromMs: nowMs, toMs: windowEndMs } });
  const current = state.weights.shadow / 100;
  const share = state.operation === 'return' ? 0 : current;
  const base = { windowStartMs: nowMs, windowEndMs, byMetric, shadowShare: share };
  if (byMetric.length === 0) {
    return {
      ...base,
      neededUnits: 0,
      primaryFloor: Math.min(maxUnits, Math.max(minUnits, 0)),
      action: 'hold',
      desired: state.primaryDesired,
      limitedByMax: false,
      reason: 'no forecast covers the pre-warm window',
    };
  }
  const need = Math.max(...byMetric.map((m) => m.units));
  const neededUnits = wholeUnits(need);
  const primaryNeed = wholeUnits(need * (1 - share));
  const primaryFloor = Math.min(maxUnits, Math.max(minUnits, primaryNeed));
  const limitedByMax = primaryNeed > maxUnits;
  const plan: PoolPlan = {
    ...base,
    neededUnits,
    primaryFloor,
    action: primaryFloor > state.primaryDesired ? 'scale-out' : 'hold',
    desired: Math.max(primaryFloor, state.primaryDesired),
    limitedByMax,
    reason: '',
  };
  const shadowNeed = wholeUnits(need * current);
  if (state.operation === undefined && state.shadow.exists && current > 0 && shadowMaxUnits > 0) {
    const shadowDesired = Math.min(shadowMaxUnits, Math.max(1, shadowNeed));
    if (shadowDesired !== state.shadow.desired) plan.shadowDesired = shadowDesired;
  }
  plan.reason = describe(plan, state, workload);
  return plan;
}

function describe(plan: PoolPlan, state: PoolState, workload: Workload): string {
  const lag = workload.capacity.provisioningLagSeconds;
  const split =
    plan.shadowShare > 0 ? ` (${Math.round((1 - plan.shadowShare) * 100)}% of traffic on the primary)` : '';
  const parts = [
    plan.action === 'scale-out'
      ? `forecast needs ${plan.neededUnits} unit(s) within ${lag}s lag${split}; raising the primary ${state.primaryDesired} → ${plan.desired}${plan.limitedByMax ? ` (primary maximum ${workload.capacity.maxUnits})` : ''}`
      : `forecast needs ${plan.neededUnits} unit(s)${split}; primary floor ${plan.primaryFloor}, ${state.primaryDesired} desired`,
  ];
  if (plan.shadowDesired !== undefined) {
    parts.push(
      `shadow pool ${state.shadow.desired} → ${plan.shadowDesired} for its ${Math.round(plan.shadowShare * 100)}% share`,
    );
  }
  return parts.join('; ');
}
