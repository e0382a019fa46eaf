import { clampUnits, type Decision, type Policy, type PolicyView } from '../policy';
import { type ReactiveOptions, ReactiveTracker } from './reactive';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface HourlyPredictiveOptions extends ReactiveOptions {
  /** History the forecast learns from. AWS: up to 14 days. */
  historyMs?: number;
  /** How often the forecast is recomputed. AWS: every 6 hours. */
  refreshMs?: number;
  /** Forecast horizon. AWS: 48 hours. */
  horizonMs?: number;
  /** History needed before the first forecast. AWS: 24 hours. */
  minHistoryMs?: number;
  /**
   * SchedulingBufferTime: capacity for an hour is launched this long before the hour starts.
   * Default: the provisioning lag (AWS default 300 s for EC2 warm-up).
   */
  schedulingBufferMs?: number;
}

/**
 * `hourly-predictive`: an approximation of EC2 Auto Scaling predictive scaling's public behaviour
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-predictive-scaling.html):
 *
 * 1. The forecast is hourly and made from up to 14 days of history, once at least 24 hours exist;
 *    it covers the next 48 hours and is recomputed every 6 hours.
 * 2. AWS does not publish the model; here the load of an hour is the mean load of the same hour of
 *    day over the days available (recent and older days alike), averaged with the same hour one
 *    week earlier when a week of history exists (weekly shape).
 * 3. Capacity for an hour = ⌈forecast load / (unit capacity × target)⌉ (the demand in units here),
 *    applied from `schedulingBuffer` before the hour starts and held to its end, within [min, max].
 * 4. "Forecast and scale" combined with dynamic scaling: the desired count is the higher of the
 *    predictive capacity and the reactive target tracking (`reactive.ts`).
 */
export class HourlyPredictivePolicy implements Policy {
  readonly name = 'hourly-predictive' as const;
  private readonly tracker: ReactiveTracker;
  private readonly o: Required<
    Omit<HourlyPredictiveOptions, keyof ReactiveOptions | 'schedulingBufferMs'>
  > & {
    schedulingBufferMs: number | undefined;
  };
  private forecastStartMs = 0;
  private forecast: number[] = [];
  private lastRefreshMs = Number.NEGATIVE_INFINITY;

  constructor(options: HourlyPredictiveOptions = {}) {
    this.tracker = new ReactiveTracker(options);
    this.o = {
      historyMs: options.historyMs ?? 14 * DAY_MS,
      refreshMs: options.refreshMs ?? 6 * HOUR_MS,
      horizonMs: options.horizonMs ?? 48 * HOUR_MS,
      minHistoryMs: options.minHistoryMs ?? DAY_MS,
      schedulingBufferMs: options.schedulingBufferMs,
    };
  }

  /** Predictive capacity (units) for the hour containing `ms`; undefined outside the forecast. */
  capacityAt(ms: number): number | undefined {
    const i = Math.floor((ms - this.forecastStartMs) / HOUR_MS);
    const v = this.forecast[i];
    return v === undefined ? undefined : Math.ceil(v - 1e-9);
  }

  decide(view: PolicyView): Decision {
    if (view.nowMs - this.lastRefreshMs >= this.o.refreshMs) this.refresh(view);
    const current = view.primary.desired;
    const reactive = this.tracker.desired(view, current);
    const buffer = this.o.schedulingBufferMs ?? view.lagMs;
    const predictive = Math.max(this.capacityAt(view.nowMs) ?? 0, this.capacityAt(view.nowMs + buffer) ?? 0);
    const { primaryMin, primaryMax } = view.limits;
    return { primary: clampUnits(Math.max(reactive, predictive), primaryMin, primaryMax) };
  }

  private refresh(view: PolicyView): void {
    const { visible, demand, intervalMs, nowMs } = view;
    // Step j covers [t0 + j·Δ, t0 + (j+1)·Δ) where t0 = now − step·Δ.
    const t0 = nowMs - view.step * intervalMs;
    const historyMs = visible * intervalMs;
    if (historyMs < this.o.minHistoryMs) return;
    this.lastRefreshMs = nowMs;
    const firstStep = Math.max(0, visible - Math.floor(this.o.historyMs / intervalMs));
    // Hourly mean load per absolute hour, over the history window (index 0 = the first hour).
    const baseHour = Math.floor((t0 + firstStep * intervalMs) / HOUR_MS);
    const lastHour = Math.floor((t0 + (visible - 1) * intervalMs) / HOUR_MS);
    const sums = new Float64Array(lastHour - baseHour + 1);
    const counts = new Uint32Array(lastHour - baseHour + 1);
    for (let j = firstStep; j < visible; j++) {
      const h = Math.floor((t0 + j * intervalMs) / HOUR_MS) - baseHour;
      sums[h] = (sums[h] as number) + (demand[j] as number);
      counts[h] = (counts[h] as number) + 1;
    }
    const hourly = (h: number): number | undefined => {
      const i = h - baseHour;
      const c = i >= 0 && i < counts.length ? (counts[i] as number) : 0;
      return c > 0 ? (sums[i] as number) / c : undefined;
    };
    const startHour = Math.floor(nowMs / HOUR_MS);
    const hours = Math.ceil(this.o.horizonMs / HOUR_MS);
    const out: number[] = [];
    for (let k = 0; k < hours; k++) {
      const h = startHour + k;
      let s = 0;
      let n = 0;
      for (let back = 24; back * HOUR_MS <= this.o.historyMs; back += 24) {
        const v = hourly(h - back);
        if (v !== undefined) {
          s += v;
          n++;
        }
      }
      const daily = n > 0 ? s / n : undefined;
      const weekly = hourly(h - 168);
      out.push(daily === undefined ? (weekly ?? 0) : weekly === undefined ? daily : (daily + weekly) / 2);
    }
    this.forecastStartMs = startHour * HOUR_MS;
    this.forecast = out;
  }
}
