import type { ModelState } from '../model/api';
import { planningQuantiles } from '../planning/path';
import type { ModelStateRecord } from '../ports/repositories';
import type { Signal } from '../schemas/signal';
import type { Workload, WorkloadMetric } from '../schemas/workload';

/**
 * The pure decisions of a forecaster run for one series: which window to read, how many steps to
 * forecast, which quantiles to keep. No I/O, no clock: `nowMs` is passed in.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface PlanOptions {
  /** History read for a full fit (capped by CloudWatch retention for the period). Default 35 days. */
  historyMs: number;
  /**
   * Periods younger than this are not read yet: CloudWatch may still be aggregating them, and
   * absorbing a half-filled period would bake a low value into the model. Default 60 s.
   */
  settleMs: number;
  /** A series whose newest point is older than this has gone quiet: reported as no data. */
  staleAfterMs: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = {
  historyMs: 35 * DAY_MS,
  settleMs: MINUTE_MS,
  staleAfterMs: 6 * HOUR_MS,
};

/**
 * How long CloudWatch keeps data at a period: under 60 s for 3 hours, 60 s for 15 days, 300 s for
 * 63 days, an hour for 455 days.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention
 */
export function retentionMs(periodSeconds: number): number {
  if (periodSeconds < 60) return 3 * HOUR_MS;
  if (periodSeconds < 300) return 15 * DAY_MS;
  if (periodSeconds < 3600) return 63 * DAY_MS;
  return 455 * DAY_MS;
}

export type ReadMode = 'full' | 'incremental';

export interface SeriesRead {
  mode: ReadMode;
  startMs: number;
  /** Exclusive; period-aligned. `endMs <= startMs` means nothing new can be read yet. */
  endMs: number;
  /** Why a full read was chosen (absent for incremental reads). */
  reason?:
    | 'no-state'
    | 'requested'
    | 'interval-changed'
    | 'refit-due'
    | 'accuracy-drift'
    | 'incompatible-state';
  /** A due refit was put off to a later run (the incremental read stands in). */
  deferred?: boolean;
}

/** Points after the stored state's last one, up to `endMs`. */
export function incrementalRead(metric: WorkloadMetric, stored: ModelStateRecord, endMs: number): SeriesRead {
  return { mode: 'incremental', startMs: stored.lastPointMs + metric.periodSeconds * 1000, endMs };
}

/** End (exclusive, period-aligned) of what may be read now: settled periods only. */
export function readEnd(metric: WorkloadMetric, nowMs: number, options: PlanOptions): number {
  const periodMs = metric.periodSeconds * 1000;
  return Math.floor((nowMs - options.settleMs) / periodMs) * periodMs;
}

/** A full-history read, as long as the options and CloudWatch retention allow. */
export function fullRead(
  metric: WorkloadMetric,
  nowMs: number,
  options: PlanOptions,
  reason: SeriesRead['reason'],
): SeriesRead {
  const endMs = readEnd(metric, nowMs, options);
  const history = Math.min(options.historyMs, retentionMs(metric.periodSeconds));
  return { mode: 'full', startMs: Math.max(0, endMs - history), endMs, reason };
}

/** Is the stored state usable for an incremental update at this metric's period? */
export function planRead(
  metric: WorkloadMetric,
  stored: ModelStateRecord | undefined,
  nowMs: number,
  options: PlanOptions,
  refitDue: (state: ModelState) => boolean,
  fullRefit: boolean,
  /** The feedback loop says the stored forecasts have drifted (shared/profile/feedback.ts). */
  accuracyDrifted = false,
): SeriesRead {
  const periodMs = metric.periodSeconds * 1000;
  const endMs = readEnd(metric, nowMs, options);
  const full = (reason: SeriesRead['reason']): SeriesRead => fullRead(metric, nowMs, options, reason);
  if (fullRefit) return full('requested');
  if (!stored) return full('no-state');
  const state = stored.state as ModelState | undefined;
  if (!state || typeof state !== 'object' || typeof state.intervalMs !== 'number') {
    return full('incompatible-state');
  }
  if (state.intervalMs !== periodMs) return full('interval-changed');
  let due: boolean;
  try {
    due = refitDue(state);
  } catch {
    // The engine refuses a state it cannot read (another format version): start over.
    return full('incompatible-state');
  }
  if (due) return full('refit-due');
  if (accuracyDrifted) return full('accuracy-drift');
  return incrementalRead(metric, stored, endMs);
}

/**
 * Steps to forecast so the horizon covers [now, now + horizonSeconds] even when the newest point is
 * a few periods old (metric delay); bounded so a stalled series never asks for a huge forecast.
 */
export function horizonSteps(
  forecastStartMs: number,
  intervalMs: number,
  nowMs: number,
  horizonSeconds: number,
) {
  const ahead = Math.ceil((horizonSeconds * 1000) / intervalMs);
  const behind = Math.max(0, Math.ceil((nowMs - forecastStartMs) / intervalMs));
  return Math.max(1, ahead + Math.min(behind, ahead));
}

/** The quantiles a metric's forecast carries: the planning core decides (`planningQuantiles`). */
export const quantilesFor = planningQuantiles;

const SIGNAL_TAG = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/**
 * The tags a workload listens to for signals: the keys and the values of `workload.tags` that are
 * valid signal tags (e.g. `{ "campaigns": "retail-eu" }` listens to `campaigns` and `retail-eu`).
 */
export function signalTagsOf(workload: Workload): string[] {
  const out = new Set<string>();
  for (const [key, value] of Object.entries(workload.tags)) {
    if (SIGNAL_TAG.test(key)) out.add(key);
    if (SIGNAL_TAG.test(value)) out.add(value);
  }
  return [...out].sort();
}

/** Split signals into those still to come (they shape the forecast) and past ones (they teach uplift). */
export function splitSignals(
  signals: readonly Signal[],
  nowMs: number,
): { future: Signal[]; past: Signal[] } {
  const future: Signal[] = [];
  const past: Signal[] = [];
  for (const s of signals) (s.endsAt > nowMs ? future : past).push(s);
  return { future, past };
}

/**
 * Points onto the metric's period grid, as CloudWatch stamps a period (at its start, aligned to
 * the epoch): several points in one period are averaged, so a finer source (the simulator, a
 * custom feed) gives the model the same series CloudWatch would. Sorted by time.
 */
export function bucketByPeriod(
  points: readonly { t: number; v: number }[],
  periodMs: number,
): { t: number; v: number }[] {
  let aligned = true;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as { t: number; v: number };
    if (p.t % periodMs !== 0 || (i > 0 && p.t <= (points[i - 1] as { t: number }).t)) {
      aligned = false;
      break;
    }
  }
  if (aligned) return points.slice();
  const sums = new Map<number, { sum: number; n: number }>();
  for (const p of points) {
    const t = Math.floor(p.t / periodMs) * periodMs;
    const b = sums.get(t);
    if (b) {
      b.sum += p.v;
      b.n++;
    } else sums.set(t, { sum: p.v, n: 1 });
  }
  return [...sums].sort((a, b) => a[0] - b[0]).map(([t, b]) => ({ t, v: b.sum / b.n }));
}
