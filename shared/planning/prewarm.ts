import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';

/**
 * Pre-warm: raise the primary pool *before* the demand arrives (DESIGN.md, control loop step 4).
 *
 * A unit launched now is ready one provisioning lag from now, and the next forecast replans one
 * forecast interval later; so the count to set now is what the forecast demand needs over
 * [now, now + lag + interval], at each metric's planning quantile and the workload's target
 * utilisation, the most demanding metric deciding. Pre-warm only ever scales *out*: scaling in
 * stays with the pool's own target tracking, which lowers capacity only after demand has really
 * dropped, so a forecast can never take capacity away from served traffic.
 */

export interface PrewarmMetricNeed {
  metric: string;
  /** Quantile of the forecast used (the metric's planning quantile, or the nearest stored one). */
  quantile: number;
  /** Peak demand over the window, in the metric's unit. */
  peakDemand: number;
  /** Units that peak needs at target utilisation (not rounded). */
  units: number;
}

export interface PrewarmDecision {
  action: 'scale-out' | 'hold';
  /** The desired count to set (equal to the current one on hold). */
  desired: number;
  /** Units the forecast needs, rounded up, before the pool's limits. */
  neededUnits: number;
  /** The need exceeds the primary's maximum (the shadow pool's business). */
  limitedByMax: boolean;
  windowStartMs: number;
  windowEndMs: number;
  byMetric: PrewarmMetricNeed[];
  reason: string;
}

/** The stored quantile closest to `q` (ties: the higher, the safer). */
export function nearestQuantile(prediction: Prediction, q: number): Prediction['quantiles'][number] {
  let best = prediction.quantiles[0] as Prediction['quantiles'][number];
  for (const candidate of prediction.quantiles) {
    const d = Math.abs(candidate.q - q);
    const bestD = Math.abs(best.q - q);
    if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && candidate.q > best.q)) best = candidate;
  }
  return best;
}

export function planPrewarm(
  workload: Workload,
  predictions: readonly Prediction[],
  currentDesired: number,
  nowMs: number,
): PrewarmDecision {
  const { minUnits, maxUnits, targetUtilization, provisioningLagSeconds } = workload.capacity;
  const byMetric: PrewarmMetricNeed[] = [];
  let windowEndMs = nowMs;
  for (const metric of workload.metrics) {
    const prediction = predictions.find((p) => p.metric === metric.name);
    if (!prediction) continue;
    const endMs = nowMs + provisioningLagSeconds * 1000 + prediction.intervalMs;
    windowEndMs = Math.max(windowEndMs, endMs);
    const band = nearestQuantile(prediction, metric.quantile);
    let peak = Number.NEGATIVE_INFINITY;
    band.values.forEach((value, i) => {
      const stepStart = prediction.startMs + i * prediction.intervalMs;
      // Steps that end after now and start before the window's end.
      if (stepStart + prediction.intervalMs > nowMs && stepStart < endMs) peak = Math.max(peak, value);
    });
    if (!Number.isFinite(peak)) continue;
    byMetric.push({
      metric: metric.name,
      quantile: band.q,
      peakDemand: peak,
      units: Math.max(0, peak) / (metric.capacityPerUnit * targetUtilization),
    });
  }
  const base = { windowStartMs: nowMs, windowEndMs, byMetric };
  if (byMetric.length === 0) {
    return {
      ...base,
      action: 'hold',
      desired: currentDesired,
      neededUnits: 0,
      limitedByMax: false,
      reason: 'no forecast covers the pre-warm window',
    };
  }
  // Round before ceil so float noise (3 * 1.2 = 3.5999999999999996) does not add a unit.
  const neededUnits = Math.ceil(Number(Math.max(...byMetric.map((m) => m.units)).toFixed(9)));
  const target = Math.min(maxUnits, Math.max(minUnits, neededUnits));
  const limitedByMax = neededUnits > maxUnits;
  if (target <= currentDesired) {
    return {
      ...base,
      action: 'hold',
      desired: currentDesired,
      neededUnits,
      limitedByMax,
      reason: `forecast needs ${neededUnits} unit(s); ${currentDesired} already desired`,
    };
  }
  return {
    ...base,
    action: 'scale-out',
    desired: target,
    neededUnits,
    limitedByMax,
    reason: `forecast needs ${neededUnits} unit(s) within ${provisioningLagSeconds}s lag; raising ${currentDesired} → ${target}${limitedByMax ? ` (primary maximum ${maxUnits})` : ''}`,
  };
}
