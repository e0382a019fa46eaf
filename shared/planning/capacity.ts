import type { TrafficWeights } from '../schemas/operation';

/**
 * The pure decisions of the `shadowscale` policy, shared with the forecaster Lambda: how many units
 * to hold, how big a shadow pool to stand up, how to weight traffic, and when to move it home.
 * No clock reads, no I/O: every input is an argument.
 */

/** Units needed for `value` (in the metric's unit) at the target utilisation: value / (capacity × u). */
export function unitsFor(value: number, capacityPerUnit: number, targetUtilization: number): number {
  return value / (capacityPerUnit * targetUtilization);
}

/** Steps a unit needs to become ready: ⌈lag / interval⌉ (0 when the lag is 0). */
export function lagSteps(lagMs: number, intervalMs: number): number {
  return Math.max(0, Math.ceil(lagMs / intervalMs - 1e-9));
}

/**
 * Capacity to hold now so that every step from `from` through `through` (indices into `path`, the
 * demand in units per future step, e.g. a forecast quantile) is covered: the largest of them,
 * rounded up, within [minUnits, maxUnits]. A unit launched now is ready `lag` later, so a caller
 * passes `through = from + lagSteps`: capacity raised ahead by the provisioning lag (pre-warm),
 * while what is needed before then is kept.
 */
export function desiredCapacity(
  path: ArrayLike<number>,
  from: number,
  through: number,
  limits: { minUnits: number; maxUnits?: number },
): number {
  let peak = 0;
  const last = Math.min(through, path.length - 1);
  for (let i = Math.max(0, from); i <= last; i++) {
    const v = path[i] as number;
    if (v > peak) peak = v;
  }
  // 1e-9: 20.000000001 units from float noise must not buy a 21st unit.
  const units = Math.max(limits.minUnits, Math.ceil(peak - 1e-9));
  return limits.maxUnits === undefined ? units : Math.min(units, limits.maxUnits);
}

/**
 * The path capacity is planned against: the quantile path `high`, its excess over the median capped
 * at `maxHeadroom` × median, but never below `floor` (a lower quantile's path) where `high` is
 * above it:  plan_h = max(min(high_h, median_h × (1 + maxHeadroom)), min(high_h, floor_h)).
 * A band far wider than the median is unforecastable noise or spikes, and paying for all of it
 * every step costs more than the shortfalls it avoids; where the band is narrow the quantile binds.
 * `maxHeadroom` Infinity returns `high` unchanged. The backtest's `shadowscale` policy and the
 * forecaster Lambda (a metric's `maxHeadroom`) share this rule.
 */
export function planningPath(
  high: readonly number[],
  median: readonly number[],
  maxHeadroom: number,
  floor?: readonly number[],
): number[] {
  if (!Number.isFinite(maxHeadroom)) return high.slice();
  return high.map((v, i) => {
    const capped = Math.min(v, (median[i] ?? v) * (1 + maxHeadroom));
    return Math.max(capped, Math.min(v, floor?.[i] ?? capped));
  });
}

export interface ShadowSizing {
  /** Units needed in all (primary + shadow). */
  neededUnits: number;
  primaryMax: number;
  shadowMax: number;
  /** Share of the deficit the shadow pool takes (workload `migration.shadowShare`). Default 1. */
  shadowShare?: number;
  /** Extra fraction on top (workload `migration.bufferFraction`). Default 0.2. */
  bufferFraction?: number;
}

/**
 * Shadow pool size when the primary's maximum would be exceeded:
 * ⌈(needed − primaryMax) × share × (1 + buffer)⌉, capped at shadowMax; 0 when the primary suffices.
 */
export function recommendShadowUnits(s: ShadowSizing): number {
  const deficit = s.neededUnits - s.primaryMax;
  if (deficit <= 1e-9) return 0;
  const units = Math.ceil(deficit * (s.shadowShare ?? 1) * (1 + (s.bufferFraction ?? 0.2)) - 1e-9);
  return Math.max(0, Math.min(s.shadowMax, units));
}

/**
 * Contention score of a plan: the predicted deficit relative to the primary's maximum,
 * max(0, needed / primaryMax − 1) (0 = fits, 1 = needs twice the primary), as in the workload schema.
 */
export function contentionScore(neededUnits: number, primaryMax: number): number {
  if (primaryMax <= 0) return neededUnits > 0 ? Number.POSITIVE_INFINITY : 0;
  return Math.max(0, neededUnits / primaryMax - 1);
}

/**
 * Weights between the primary and shadow pools. Never routes to a pool with no ready unit; the
 * weights are integers summing to 100. With both pools ready, traffic is shared in proportion to
 * ready units (equal utilisation); when the demand is known, the shadow weight is moved to the
 * nearest integer at which neither pool receives more than its ready units.
 */
export function trafficWeights(
  primaryReady: number,
  shadowReady: number,
  demandUnits?: number,
): TrafficWeights {
  if (shadowReady <= 0) return { primary: 100, shadow: 0 };
  if (primaryReady <= 0) return { primary: 0, shadow: 100 };
  let shadow = Math.round((100 * shadowReady) / (primaryReady + shadowReady));
  if (demandUnits !== undefined && demandUnits > 0) {
    const lo = Math.ceil(100 * (1 - primaryReady / demandUnits) - 1e-9);
    const hi = Math.floor((100 * shadowReady) / demandUnits + 1e-9);
    if (lo <= hi) shadow = Math.min(Math.max(shadow, lo), hi);
  }
  shadow = Math.min(100, Math.max(0, shadow));
  return { primary: 100 - shadow, shadow };
}

/** Hysteresis of the branch decision (see `nextContention`). */
export interface ContentionState {
  contended: boolean;
  /** While contended: when the score last dropped to the clear level (undefined = not clearing). */
  clearSinceMs?: number;
}

export interface ContentionInput {
  score: number;
  nowMs: number;
  /** Enter contention when score > enter. */
  enter: number;
  /** While contended, the score must stay <= clear for `returnAfterMs` before traffic goes home. */
  clear: number;
  returnAfterMs: number;
}

/** Enter on score > enter; leave only after score <= clear held for returnAfterMs (no flapping). */
export function nextContention(state: ContentionState, input: ContentionInput): ContentionState {
  if (!state.contended) return input.score > input.enter ? { contended: true } : { contended: false };
  if (input.score > input.clear) return { contended: true };
  const since = state.clearSinceMs ?? input.nowMs;
  if (input.nowMs - since >= input.returnAfterMs) return { contended: false };
  return { contended: true, clearSinceMs: since };
}

export interface PlanInput {
  /** Units needed in all over the steps this decision covers (from `desiredCapacity` without a max). */
  neededUnits: number;
  /** Best estimate of the demand in units during the coming step (for the weights). */
  demandNowUnits?: number;
  primaryMin: number;
  primaryMax: number;
  shadowMax: number;
  shadowShare?: number;
  bufferFraction?: number;
  primaryReady: number;
  shadowReady: number;
  shadowDesired: number;
  currentWeights: TrafficWeights;
  state: ContentionState;
  nowMs: number;
  enter?: number;
  clear?: number;
  returnAfterMs?: number;
}

export interface Plan {
  primaryDesired: number;
  shadowDesired: number;
  weights: TrafficWeights;
  state: ContentionState;
}

/**
 * One decision of the shadowscale policy: the primary holds what it can; while contention is
 * predicted a shadow pool is sized (and pre-warmed, since `neededUnits` already covers the lag)
 * and traffic is shared by ready capacity; when contention has cleared for `returnAfterMs`,
 * traffic goes home first and the shadow pool is scaled to zero at the next decision, once no
 * traffic is routed to it any more.
 */
export function planCapacity(p: PlanInput): Plan {
  const state = nextContention(p.state, {
    score: contentionScore(p.neededUnits, p.primaryMax),
    nowMs: p.nowMs,
    enter: p.enter ?? 0,
    clear: p.clear ?? 0,
    returnAfterMs: p.returnAfterMs ?? 900_000,
  });
  const primaryDesired = Math.min(p.primaryMax, Math.max(p.primaryMin, Math.ceil(p.neededUnits - 1e-9)));
  if (state.contended && p.shadowMax > 0) {
    const recommended = recommendShadowUnits({
      neededUnits: p.neededUnits,
      primaryMax: p.primaryMax,
      shadowMax: p.shadowMax,
      shadowShare: p.shadowShare,
      bufferFraction: p.bufferFraction,
    });
    // While clearing, keep one warm unit so traffic can stay until the return.
    const shadowDesired = Math.max(recommended, 1);
    // A scale-in removes pending units first, then ready ones at once: weigh what stays ready.
    return {
      primaryDesired,
      shadowDesired,
      weights: trafficWeights(
        Math.min(p.primaryReady, primaryDesired),
        Math.min(p.shadowReady, shadowDesired),
        p.demandNowUnits,
      ),
      state,
    };
  }
  // Not contended: traffic home now; the shadow pool goes once nothing is routed to it.
  const shadowDesired = p.currentWeights.shadow > 0 ? p.shadowDesired : 0;
  return {
    primaryDesired,
    shadowDesired,
    weights:
      Math.min(p.primaryReady, primaryDesired) > 0
        ? { primary: 100, shadow: 0 }
        : trafficWeights(0, Math.min(p.shadowReady, shadowDesired)),
    state,
  };
}
