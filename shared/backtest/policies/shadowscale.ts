import { ForecastInputError } from '../../errors';
import { engine, type ModelState } from '../../model';

/** After the engine refuses a series, wait this long before fitting again. */
const RETRY_FIT_MS = 6 * 3_600_000;

import { type ContentionState, lagSteps, planCapacity, planningPath } from '../../planning/capacity';
import type { BandSample, Decision, Policy, PolicyView } from '../policy';
import { type ReactiveOptions, ReactiveTracker } from './reactive';

export interface ShadowscaleOptions extends ReactiveOptions {
  /** Demand quantile capacity is planned against (then capped by `maxHeadroom`). Default 0.99. */
  quantile?: number;
  /** Lower edge of the band shown in the report. Default 0.5 (the median). */
  bandLow?: number;
  /** Published history needed before the first fit (before it the policy tracks reactively). Default 1 day. */
  minFitMs?: number;
  /**
   * History handed to a (re)fit. Default 14 days (as AWS predictive scaling): a fit costs in
   * proportion to its history and the engine asks for one about daily; on the bench traces 14 and
   * 35 days (the engine's own bound) score the same.
   */
  fitHistoryMs?: number;
  /**
   * While the engine reports low confidence (short history, few errors to calibrate on), its bands
   * are widened to a random walk's: 'reactive' tracks reactively meanwhile, 'forecast' trusts them.
   */
  lowConfidence?: 'reactive' | 'forecast';
  /**
   * Cap of the planning headroom above the median, as a fraction of the median. Default 0.2;
   * `Infinity` for none. A band far wider than the median is unforecastable noise or spikes, and
   * paying for all of it every step costs more than the shortfalls it avoids; where the band is
   * narrow the quantile itself binds.
   */
  maxHeadroom?: number;
  /**
   * The headroom cap never plans below this quantile. Default 0.8: keeps noisy but forecastable
   * series (per-minute request counts) covered while the cap trims heavy tails.
   *
   * `npm run bench:backtest` (26 traces; shadowscale vs reactive: τU, overload minutes, unit-hours;
   * then unit-hours vs the oracle; ratios of geometric means, zeros floored at one step):
   *   q 0.9, no cap                                        0.40  0.39  1.18  1.21
   *   q 0.9, reactive while the engine's confidence is low 0.45  0.48  1.10  1.13
   *   q 0.99, cap 0.2                                      0.38  0.59  1.07  1.09
   *   + target-tracking floor                              0.35  0.52  1.09  1.11
   *   + min quantile 0.8 (the defaults)                    0.31  0.45  1.11  1.13
   *   cap 0.1, min quantile 0.7, scale-in hold 10 min      0.32  0.45  1.14  1.16
   * `npm run bench:frontier` scores a whole grid of quantiles and caps the same way.
   */
  minQuantile?: number;
  /** Contention score thresholds (workload `contention`): enter above, leave below for returnAfterMs. */
  enter?: number;
  clear?: number;
  returnAfterMs?: number;
  /** Workload `migration.shadowShare` and `bufferFraction`. */
  shadowShare?: number;
  bufferFraction?: number;
  /**
   * Keep target tracking as a floor under the forecast (default true): after a sustained breach
   * the forecast missed (a surge that lasts), the primary holds at least what `reactive` would.
   */
  reactiveFloor?: boolean;
  /**
   * Scale in only to the highest plan over this long (default 0: at once). A unit let go and
   * launched again soon after is billed while it drains and while it starts, and is not ready;
   * on the bench a 10-minute hold bought less τU than it cost (see `minQuantile`).
   */
  scaleInHoldMs?: number;
  /** Scale-in window of the floor's target tracking. Default 5 min: the forecast takes over again. */
  floorLowWindowMs?: number;
}

/**
 * `shadowscale`: the forecast engine's quantile path, capacity raised ahead by the provisioning lag,
 * a shadow pool sized and pre-warmed when the primary's maximum would be exceeded, traffic weighted
 * onto it by ready capacity, and traffic home once the contention has cleared (with hysteresis).
 *
 * The model is fitted once (when a day of metrics is published), then updated incrementally with
 * each newly published sample, and refitted only when `engine.needsRefit` says so. The forecast
 * starts at the first unpublished step, so the metric delay is crossed by the forecast too. Until
 * the first fit, and while the engine reports low confidence (by default), the primary is scaled by
 * the same target tracking as `reactive`; the shadow pool and weights are then left as they are.
 *
 * Capacity at step k: ⌈max over steps k … k + ⌈lag/Δ⌉ of the planning path⌉ (`planCapacity`), where
 * plan = max(min(q, median × (1 + headroom)), min(q_min, q)) with q = the 0.99 quantile, headroom
 * 0.2 and q_min the 0.8 quantile; at least the target-tracking floor. A unit launched now is ready
 * for the step that needs it and units needed before then are kept.
 */
export class ShadowscalePolicy implements Policy {
  readonly name = 'shadowscale' as const;
  private readonly tracker: ReactiveTracker;
  private readonly floorTracker: ReactiveTracker;
  private state: ModelState | undefined;
  /** Published steps absorbed into the state. */
  private absorbed = 0;
  private contention: ContentionState = { contended: false };
  private lastBand: BandSample | undefined;
  private readonly q: number;
  private readonly qLow: number;
  /** The floor's own desired count (target tracking run beside the forecast). */
  private floor = 0;
  private retryAtMs = Number.NEGATIVE_INFINITY;
  private readonly recent: number[] = [];
  /** Fits or updates the engine refused (ForecastInputError); the policy tracked reactively meanwhile. */
  failures = 0;
  fits = 0;

  constructor(private readonly options: ShadowscaleOptions = {}) {
    this.tracker = new ReactiveTracker(options);
    this.floorTracker = new ReactiveTracker({ ...options, lowWindowMs: options.floorLowWindowMs ?? 300_000 });
    this.q = options.quantile ?? 0.99;
    this.qLow = options.bandLow ?? 0.5;
  }

  band(): BandSample | undefined {
    return this.lastBand;
  }

  decide(view: PolicyView): Decision {
    const { visible, intervalMs } = view;
    const ls = lagSteps(view.lagMs, intervalMs);
    this.lastBand = undefined;
    try {
      this.observe(view);
    } catch (error) {
      // A series the engine cannot model (yet): track reactively and try a fresh fit later.
      if (!(error instanceof ForecastInputError)) throw error;
      this.state = undefined;
      this.failures++;
      this.retryAtMs = view.nowMs + RETRY_FIT_MS;
    }
    const state = this.state;
    const lowConfidence = this.options.lowConfidence ?? 'reactive';
    if (state === undefined || (state.confidence === 'low' && lowConfidence === 'reactive')) {
      this.floor = this.tracker.desired(view, view.primary.desired);
      return { primary: this.floor };
    }
    const useFloor = this.options.reactiveFloor ?? true;
    if (useFloor) this.floor = this.floorTracker.desired(view, this.floor);
    // path[0] is the first unpublished step (index `visible`); the step being decided is `from`.
    const from = view.step - visible;
    const qMin = this.options.minQuantile ?? 0.8;
    const qs = [this.qLow, this.q, qMin];
    const fc = engine.forecast(state, { horizonSteps: from + ls + 1, quantiles: qs });
    const at = (q: number): number[] => fc.quantiles.find((x) => x.q === q)?.values ?? fc.point;
    const low = at(this.qLow);
    const high = planningPath(at(this.q), fc.point, this.options.maxHeadroom ?? 0.2, at(qMin));
    const needed = peakOf(high, from, from + ls);
    this.lastBand = { low: low[from] ?? 0, mid: fc.point[from] ?? 0, high: high[from] ?? 0 };
    const { primaryMin, primaryMax, shadowMax } = view.limits;
    const plan = planCapacity({
      neededUnits: useFloor ? Math.max(needed, this.floor) : needed,
      demandNowUnits: high[from],
      primaryMin,
      primaryMax,
      shadowMax,
      shadowShare: this.options.shadowShare,
      bufferFraction: this.options.bufferFraction,
      primaryReady: view.primary.ready,
      shadowReady: view.shadow.ready,
      shadowDesired: view.shadow.desired,
      currentWeights: view.weights,
      state: this.contention,
      nowMs: view.nowMs,
      enter: this.options.enter,
      clear: this.options.clear,
      returnAfterMs: this.options.returnAfterMs,
    });
    this.contention = plan.state;
    const primary = this.hold(view, plan.primaryDesired);
    return { primary, shadow: plan.shadowDesired, weights: plan.weights };
  }

  /** The highest plan over the hold window (a ring of recent plans; the window is a few steps). */
  private hold(view: PolicyView, planned: number): number {
    const holdMs = this.options.scaleInHoldMs ?? 0;
    if (holdMs <= 0) return planned;
    const n = Math.ceil(holdMs / view.intervalMs - 1e-9);
    this.recent.push(planned);
    if (this.recent.length > n + 1) this.recent.shift();
    let max = planned;
    for (const v of this.recent) if (v > max) max = v;
    return Math.min(max, view.limits.primaryMax);
  }

  /** Fit once, absorb newly published samples incrementally, refit only when the engine asks. */
  private observe(view: PolicyView): void {
    const { visible, demand, intervalMs } = view;
    const t0 = view.nowMs - view.step * intervalMs;
    if (this.state === undefined) {
      if (visible * intervalMs < (this.options.minFitMs ?? 86_400_000) || visible < 3) return;
      if (view.nowMs < this.retryAtMs) return;
      this.fit(demand, visible, t0, intervalMs, view);
      return;
    }
    if (visible > this.absorbed) {
      const values: number[] = [];
      for (let j = this.absorbed; j < visible; j++) values.push(demand[j] as number);
      this.state = engine.update(this.state, {
        startMs: t0 + this.absorbed * intervalMs,
        intervalMs,
        values,
      });
      this.absorbed = visible;
    }
    if (engine.needsRefit(this.state, view.nowMs)) this.fit(demand, visible, t0, intervalMs, view);
  }

  private fit(demand: Float64Array, visible: number, t0: number, intervalMs: number, view: PolicyView): void {
    const keep = Math.min(visible, Math.ceil((this.options.fitHistoryMs ?? 14 * 86_400_000) / intervalMs));
    const first = visible - keep;
    const values = Array.from(demand.subarray(first, visible));
    const ls = lagSteps(view.lagMs, intervalMs);
    this.state = engine.fit(
      { startMs: t0 + first * intervalMs, intervalMs, values },
      {
        horizonSteps: view.step - visible + ls + 1,
        quantiles: [this.qLow, this.options.minQuantile ?? 0.8, this.q],
      },
    );
    this.absorbed = visible;
    this.fits++;
  }
}

function peakOf(path: readonly number[], from: number, through: number): number {
  // Not desiredCapacity: the plan wants the raw (unrounded) peak to size the shadow pool.
  let peak = 0;
  for (let i = Math.max(0, from); i <= Math.min(through, path.length - 1); i++) {
    const v = path[i] as number;
    if (v > peak) peak = v;
  }
  return peak;
}
