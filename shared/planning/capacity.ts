import type { TrafficWeights } from '../schemas/operation';
import { peakOver } from './path';
import { wholeUnits } from './units';

/**
 * Capacity over a known demand path: what to hold now so a lagged launch is ready in time, and how
 * to weight traffic between two pools by their ready units. No clock reads, no I/O.
 */

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
  const units = Math.max(limits.minUnits, wholeUnits(peakOver(path, from, through)));
  return limits.maxUnits === undefined ? units : Math.min(units, limits.maxUnits);
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
