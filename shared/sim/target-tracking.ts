/**
 * What target tracking sees when it decides at `nowMs`: the published steps only (metric delay),
 * demand in units at target and ready capacity per step, and the pool's limits.
 */
export interface TrackingView {
  nowMs: number;
  intervalMs: number;
  visible: number;
  demand: Float64Array;
  capacity: Float64Array;
  limits: { primaryMin: number; primaryMax: number };
}

const clampUnits = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, n));

/**
 * `reactive`: target tracking as AWS Application Auto Scaling documents it
 * (https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
 * and the ScaleInCooldown / ScaleOutCooldown fields of TargetTrackingScalingPolicyConfiguration).
 * Rules emulated, with the metric = load per ready unit relative to the target (like
 * ALBRequestCountPerTarget, it does not saturate at 100%), i.e. r_j = d_j / s_j for published step j:
 *
 * 1. Scale-out alarm (the "AlarmHigh" target tracking creates): r > 1 for the last ⌈3 min / Δ⌉
 *    published datapoints (3 datapoints of 1 minute in AWS; at least one).
 * 2. Scale-in alarm ("AlarmLow"): r < 0.9 (threshold at 90% of the target) for the last
 *    ⌈15 min / Δ⌉ published datapoints (15 of 1 minute in AWS): scale in is slower and more
 *    conservative than scale out.
 * 3. New capacity is proportional: ⌈s_j × r_j⌉ = ⌈d_j⌉, within [min, max].
 * 4. Scale-out cooldown (default 300 s): during it a further scale-out happens only when it asks for
 *    more than the capacity already added (the added capacity counts as part of the desired
 *    capacity); scale-in is blocked.
 * 5. Scale-in cooldown (default 300 s) after a scale-in blocks another scale-in, never a scale-out.
 * 6. Metrics arrive late (the view shows only published steps) and new units are ready after the
 *    provisioning lag — both by the simulated fleet, for every policy alike.
 */
export interface TargetTrackingOptions {
  scaleOutCooldownMs?: number;
  scaleInCooldownMs?: number;
  highWindowMs?: number;
  lowWindowMs?: number;
  /** Scale-in threshold as a fraction of the target. */
  lowFraction?: number;
}

export class ReactiveTracker {
  private lastOutMs = Number.NEGATIVE_INFINITY;
  private lastInMs = Number.NEGATIVE_INFINITY;
  private readonly o: Required<TargetTrackingOptions>;

  constructor(options: TargetTrackingOptions = {}) {
    this.o = {
      scaleOutCooldownMs: options.scaleOutCooldownMs ?? 300_000,
      scaleInCooldownMs: options.scaleInCooldownMs ?? 300_000,
      highWindowMs: options.highWindowMs ?? 180_000,
      lowWindowMs: options.lowWindowMs ?? 900_000,
      lowFraction: options.lowFraction ?? 0.9,
    };
  }

  /** Desired primary capacity given the current desired count `current`. */
  desired(view: TrackingView, current: number): number {
    const { visible, demand, capacity, intervalMs, nowMs } = view;
    const { primaryMin, primaryMax } = view.limits;
    if (visible === 0) return current;
    const nHigh = Math.max(1, Math.ceil(this.o.highWindowMs / intervalMs - 1e-9));
    const nLow = Math.max(1, Math.ceil(this.o.lowWindowMs / intervalMs - 1e-9));
    const latest = demand[visible - 1] as number;
    const proposed = clampUnits(Math.ceil(latest - 1e-9), primaryMin, primaryMax);
    if (visible >= nHigh && proposed > current) {
      let breach = true;
      for (let j = visible - nHigh; j < visible; j++)
        if (!(loadRatio(demand, capacity, j) > 1)) breach = false;
      if (breach) {
        this.lastOutMs = nowMs;
        return proposed;
      }
    }
    if (visible >= nLow && proposed < current) {
      if (nowMs - this.lastOutMs < this.o.scaleOutCooldownMs) return current;
      if (nowMs - this.lastInMs < this.o.scaleInCooldownMs) return current;
      for (let j = visible - nLow; j < visible; j++)
        if (!(loadRatio(demand, capacity, j) < this.o.lowFraction)) return current;
      this.lastInMs = nowMs;
      return proposed;
    }
    return current;
  }
}

/** r_j = d_j / s_j: load per ready unit relative to the target (∞ when demand meets no unit). */
function loadRatio(demand: Float64Array, capacity: Float64Array, j: number): number {
  const d = demand[j] as number;
  const s = capacity[j] as number;
  return s > 0 ? d / s : d > 0 ? Number.POSITIVE_INFINITY : 0;
}
