import { z } from 'zod';
import type { PlanningSettings } from '../schemas/series';
import type { Workload, WorkloadMetric } from '../schemas/workload';
import { cappedPath, planningQuantiles, type QuantilePaths, quantilePath } from './path';
import { metricUnits, wholeUnits } from './units';

/**
 * The planning-settings learner: per workload metric, it picks the planning path's settings
 * (quantile and headroom cap) that would have cost least under the user's policy, from what
 * actually happened.
 *
 * Every forecaster run, each arm (one setting of the path) is scored on the same forecast:
 * - the **floor** the arm would have had pre-warm set (the peak of its path over the pre-warm
 *   window, in whole units, as `planPools` computes it);
 * - once the demand of the window that floor served has been observed, the **capacity** the arm
 *   would have had ready: the larger of its floor and what the service's own target tracking
 *   gives, modelled as the observed demand one provisioning lag plus three one-minute alarm
 *   datapoints earlier (in whole units, within the pool's limits);
 * - the **loss** of that capacity: unit-hours paid, plus the policy's price of each minute short
 *   of capacity at the target utilisation and of each overloaded minute.
 *
 * The demand is observed whatever arm was played, so every arm is scored exactly on every window
 * (full information, not a bandit): nothing has to be explored, and no setting is ever played to
 * find out what it would cost. Losses decay with a half-life and are kept per time-of-day bucket;
 * the arm with the least decayed loss in the current bucket is played, switching only when it
 * beats the current one by a margin, and every switch carries its reason.
 *
 * Safe by construction: the chosen path only sets a floor; the service's target tracking still
 * scales above it, so no arm ever plans below what target tracking would do.
 */

export interface Arm {
  quantile: number;
  /** Infinity: uncapped. */
  maxHeadroom: number;
}

const ARM_QUANTILES = [0.8, 0.9, 0.95, 0.99, 0.999] as const;
const ARM_HEADROOMS = [0.1, 0.2, 0.35, 0.6, Number.POSITIVE_INFINITY] as const;
/** The cap never plans below this quantile (every arm's floor). */
const ARM_MIN_QUANTILE = 0.8;

/** The arms: the median, then every quantile × headroom cap. Indices are stored: append only. */
export const ARMS: readonly Arm[] = [
  { quantile: 0.5, maxHeadroom: Number.POSITIVE_INFINITY },
  ...ARM_QUANTILES.flatMap((quantile) => ARM_HEADROOMS.map((maxHeadroom) => ({ quantile, maxHeadroom }))),
];

/** Quantiles a forecast must carry for every arm to be scored. */
export const LEARNER_QUANTILES: readonly number[] = [0.5, ARM_MIN_QUANTILE, ...ARM_QUANTILES].filter(
  (q, i, all) => all.indexOf(q) === i,
);

/** Quantiles a metric's forecasts carry: its own planning ones, and every arm's when learning. */
export function forecastQuantiles(workload: Workload, metric: WorkloadMetric): number[] {
  const own = planningQuantiles(metric);
  if (!workload.policy.learn) return own;
  return [...new Set([...own, ...LEARNER_QUANTILES])].sort((a, b) => a - b);
}

/** Time-of-day buckets (UTC) the losses are kept in: demand near a daily peak is not the trough's. */
const BUCKETS = 4;
/** A bucket decides alone once it holds this many hours of evidence; before that, all buckets do. */
const BUCKET_MIN_HOURS = 6;
/** No switch away from the configured settings before this much evidence. */
const MIN_EVIDENCE_HOURS = 24;
/** A switch needs the best arm's loss this much below the current one's. */
const SWITCH_MARGIN = 0.03;
/** Target tracking scales out after three one-minute datapoints above target. */
const REACT_DELAY_MS = 3 * 60_000;
/** A window between two runs longer than this is scored over its last hour only. */
const MAX_WINDOW_MS = 3_600_000;
/** Plans waiting for their demand to be observed; older ones are dropped. */
const MAX_PENDING = 24;

export const LearnerState = z.strictObject({
  /** The arm played now (index into ARMS). */
  arm: z.number().int().nonnegative(),
  /** When the arm was chosen. */
  since: z.number().int().nonnegative(),
  /** Decayed losses per bucket and arm. */
  loss: z.array(z.array(z.number().nonnegative())),
  /** Decayed hours of evidence per bucket. */
  hours: z.array(z.number().nonnegative()),
  /** Hours ever evaluated (not decayed). */
  evaluatedHours: z.number().nonnegative(),
  decayedTo: z.number().int().nonnegative(),
  /** Observed demand in units at the target utilisation, one per interval from `startMs`; null: missing. */
  recent: z.strictObject({
    startMs: z.number().int().nonnegative(),
    intervalMs: z.number().int().positive(),
    values: z.array(z.number().nullable()),
  }),
  /** Each run's floor per arm (whole units), waiting for the demand they served. */
  pending: z.array(z.strictObject({ madeAt: z.number().int().nonnegative(), floors: z.array(z.number()) })),
});
export type LearnerState = z.infer<typeof LearnerState>;

export interface LearnerChange {
  from: PlanningSettings;
  to: PlanningSettings;
  reason: string;
}

export interface LearnerStep {
  state: LearnerState;
  settings: PlanningSettings;
  /** Set when this run changed the settings. */
  change?: LearnerChange;
}

/** Loss weights of a policy for one workload, in unit-hours. */
export interface LossWeights {
  /** Per minute with demand above the ready capacity at the target utilisation. */
  shortMinute: number;
  /** Per overloaded minute (demand above 100 % of the ready capacity), on top of the above. */
  overloadMinute: number;
}

/**
 * The policy's weights in unit-hours. Defaults are relative to the workload's size, so one
 * definition fits a 3-unit service and a 300-unit one: an overloaded minute costs as much as
 * running the primary at its maximum for `overloadMinutes` minutes.
 */
export function lossWeights(workload: Workload): LossWeights {
  const p = workload.policy;
  const fullHour = workload.capacity.maxUnits;
  return {
    shortMinute: p.shortMinuteUnitHours ?? (fullHour * p.shortMinutes) / 60,
    overloadMinute: p.overloadMinuteUnitHours ?? (fullHour * p.overloadMinutes) / 60,
  };
}

/** The settings a metric is configured with (what the learner starts from and falls back to). */
export function configuredSettings(metric: WorkloadMetric): PlanningSettings {
  return {
    quantile: metric.quantile,
    ...(metric.maxHeadroom !== undefined ? { maxHeadroom: metric.maxHeadroom } : {}),
    minQuantile: Math.min(metric.minQuantile, metric.quantile),
  };
}

export function armSettings(arm: Arm): PlanningSettings {
  return {
    quantile: arm.quantile,
    ...(Number.isFinite(arm.maxHeadroom) ? { maxHeadroom: arm.maxHeadroom } : {}),
    minQuantile: Math.min(ARM_MIN_QUANTILE, arm.quantile),
  };
}

/** The arm nearest the configured settings (the starting arm). */
export function nearestArm(settings: PlanningSettings): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  ARMS.forEach((arm, i) => {
    const cap = settings.maxHeadroom ?? Number.POSITIVE_INFINITY;
    const dq = Math.abs(Math.log((1 - arm.quantile) / (1 - settings.quantile)));
    const finite = Number.isFinite(arm.maxHeadroom) && Number.isFinite(cap);
    const dh = arm.maxHeadroom === cap ? 0 : finite ? Math.abs(arm.maxHeadroom - cap) : 1;
    const d = dq + dh;
    if (d < bestD - 1e-12) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

export function initialLearnerState(metric: WorkloadMetric, nowMs: number): LearnerState {
  return {
    arm: nearestArm(configuredSettings(metric)),
    since: nowMs,
    loss: Array.from({ length: BUCKETS }, () => ARMS.map(() => 0)),
    hours: Array.from({ length: BUCKETS }, () => 0),
    evaluatedHours: 0,
    decayedTo: nowMs,
    recent: { startMs: nowMs, intervalMs: metric.periodSeconds * 1000, values: [] },
    pending: [],
  };
}

export interface LearnerInput {
  workload: Workload;
  metric: WorkloadMetric;
  nowMs: number;
  /** Points observed since the last run (raw values in the metric's unit). */
  observed: readonly { t: number; v: number }[];
  /** This run's forecast, carrying LEARNER_QUANTILES. */
  forecast: QuantilePaths & { startMs: number; intervalMs: number };
}

/**
 * One run of the learner: score the windows whose demand is now observed, choose the settings for
 * this run's plan, remember every arm's floor for this run's window.
 */
export function learnStep(previous: LearnerState | undefined, input: LearnerInput): LearnerStep {
  const { metric, nowMs, workload } = input;
  let state = previous ?? initialLearnerState(metric, nowMs);
  state = absorb(state, input.observed, workload, metric, nowMs);
  state = evaluate(state, workload, metric);
  const chosen = choose(state, workload, nowMs);
  state = chosen.state;
  state = remember(state, input.forecast, workload, metric, nowMs);
  const settings =
    state.evaluatedHours >= MIN_EVIDENCE_HOURS
      ? armSettings(ARMS[state.arm] as Arm)
      : configuredSettings(metric);
  return { state, settings, ...(chosen.change ? { change: chosen.change } : {}) };
}

/** Append observed points to the recent buffer (in units), keeping what scoring still needs. */
function absorb(
  state: LearnerState,
  observed: readonly { t: number; v: number }[],
  workload: Workload,
  metric: WorkloadMetric,
  nowMs: number,
): LearnerState {
  const iv = metric.periodSeconds * 1000;
  let { startMs, values } = state.recent;
  if (state.recent.intervalMs !== iv) {
    startMs = nowMs;
    values = [];
  }
  const next = values.slice();
  if (next.length === 0 && observed.length > 0)
    startMs = Math.floor((observed[0] as { t: number }).t / iv) * iv;
  for (const p of observed) {
    if (!Number.isFinite(p.v)) continue;
    const i = Math.round((p.t - startMs) / iv);
    if (i < 0) continue;
    while (next.length <= i) next.push(null);
    next[i] = round(metricUnits(workload, metric, Math.max(0, p.v)));
  }
  // Keep what the oldest pending window and the reaction delay still need, at most a few hours.
  // A window starts one lag after its plan; target tracking saw demand one lag and REACT_DELAY_MS
  // before that.
  const oldest = state.pending[0]?.madeAt ?? nowMs;
  const keepFrom = Math.max(oldest - REACT_DELAY_MS - iv, nowMs - 6 * 3_600_000);
  const drop = Math.max(0, Math.min(next.length, Math.floor((keepFrom - startMs) / iv)));
  return {
    ...state,
    recent: { startMs: startMs + drop * iv, intervalMs: iv, values: next.slice(drop) },
  };
}

/** Score every pending window whose demand is observed to its end. */
function evaluate(state: LearnerState, workload: Workload, metric: WorkloadMetric): LearnerState {
  const { recent } = state;
  const iv = recent.intervalMs;
  const lagMs = workload.capacity.provisioningLagSeconds * 1000;
  const observedTo = recent.startMs + recent.values.length * iv;
  const weights = lossWeights(workload);
  let loss = state.loss.map((row) => row.slice());
  let hours = state.hours.slice();
  let { decayedTo, evaluatedHours } = state;
  let done = 0;
  for (let k = 0; k + 1 < state.pending.length; k++) {
    const entry = state.pending[k] as LearnerState['pending'][number];
    const nextMade = (state.pending[k + 1] as LearnerState['pending'][number]).madeAt;
    const toMs = nextMade + lagMs;
    if (toMs > observedTo) break;
    const fromMs = Math.max(entry.madeAt + lagMs, toMs - MAX_WINDOW_MS);
    const scored = scoreWindow(entry.floors, recent, fromMs, toMs, workload, weights);
    done = k + 1;
    if (scored.hours === 0) continue;
    const factor = 0.5 ** (Math.max(0, toMs - decayedTo) / (workload.policy.halfLifeHours * 3_600_000));
    if (factor < 1) {
      loss = loss.map((row) => row.map((v) => v * factor));
      hours = hours.map((v) => v * factor);
      decayedTo = toMs;
    }
    const b = bucketOf(fromMs);
    const row = loss[b] as number[];
    scored.loss.forEach((v, a) => {
      row[a] = (row[a] ?? 0) + v;
    });
    hours[b] = (hours[b] ?? 0) + scored.hours;
    evaluatedHours += scored.hours;
  }
  const pending = state.pending.slice(done);
  return {
    ...state,
    loss: loss.map((row) => row.map(round)),
    hours: hours.map(round),
    decayedTo,
    evaluatedHours: round(evaluatedHours),
    pending,
  };
}

/** Each arm's loss over [fromMs, toMs) of observed demand, and the hours scored. */
export function scoreWindow(
  floors: readonly number[],
  recent: LearnerState['recent'],
  fromMs: number,
  toMs: number,
  workload: Workload,
  weights: LossWeights,
): { loss: number[]; hours: number } {
  const iv = recent.intervalMs;
  const { minUnits, maxUnits, shadowMaxUnits, provisioningLagSeconds, targetUtilization } = workload.capacity;
  const reactSteps = Math.round((provisioningLagSeconds * 1000 + REACT_DELAY_MS) / iv);
  const loss = floors.map(() => 0);
  const stepHours = iv / 3_600_000;
  const stepMinutes = iv / 60_000;
  let hours = 0;
  const first = Math.ceil((fromMs - recent.startMs) / iv);
  const last = Math.ceil((toMs - recent.startMs) / iv);
  for (let i = Math.max(0, first); i < last && i < recent.values.length; i++) {
    const d = recent.values[i];
    if (d === null || d === undefined) continue;
    // Before the buffer's start (or where a point is missing) target tracking is taken to be on time.
    const seen = (i >= reactSteps ? recent.values[i - reactSteps] : undefined) ?? d;
    const reactive = Math.min(maxUnits, Math.max(minUnits, wholeUnits(seen)));
    hours += stepHours;
    floors.forEach((floor, a) => {
      const ready = Math.min(maxUnits + shadowMaxUnits, Math.max(floor, reactive));
      let l = ready * stepHours;
      if (d > ready + 1e-9) l += weights.shortMinute * stepMinutes;
      // d is at the target utilisation; at 100 % the same demand needs d × targetUtilization units.
      if (d * targetUtilization > ready + 1e-9) l += weights.overloadMinute * stepMinutes;
      loss[a] = (loss[a] as number) + l;
    });
  }
  return { loss, hours };
}

/** Play the arm with the least decayed loss in this bucket, switching only past the margin. */
function choose(
  state: LearnerState,
  workload: Workload,
  nowMs: number,
): { state: LearnerState; change?: LearnerChange } {
  if (state.evaluatedHours < MIN_EVIDENCE_HOURS) return { state };
  const b = bucketOf(nowMs);
  const own = (state.hours[b] ?? 0) >= BUCKET_MIN_HOURS;
  const losses = own
    ? (state.loss[b] as number[])
    : ARMS.map((_, a) => state.loss.reduce((s, row) => s + (row[a] ?? 0), 0));
  let best = state.arm;
  for (let a = 0; a < ARMS.length; a++) {
    if ((losses[a] ?? Infinity) < (losses[best] ?? Infinity) - 1e-12) best = a;
  }
  const current = losses[state.arm] ?? Infinity;
  const bestLoss = losses[best] ?? Infinity;
  if (best === state.arm || bestLoss > current * (1 - SWITCH_MARGIN)) return { state };
  const weights = lossWeights(workload);
  const change: LearnerChange = {
    from: armSettings(ARMS[state.arm] as Arm),
    to: armSettings(ARMS[best] as Arm),
    reason: `${describeArm(ARMS[best] as Arm)} would have cost ${fmt(bestLoss)} against ${fmt(current)} for ${describeArm(ARMS[state.arm] as Arm)} (unit-hours + ${fmt(weights.shortMinute)} per minute short + ${fmt(weights.overloadMinute)} per overloaded minute, ${own ? `${bucketName(b)} UTC` : 'all day'}, half-life ${workload.policy.halfLifeHours} h)`,
  };
  return { state: { ...state, arm: best, since: nowMs }, change };
}

/** Remember each arm's floor for the window this run plans (pre-warm's window, as `planPools`). */
function remember(
  state: LearnerState,
  forecast: LearnerInput['forecast'],
  workload: Workload,
  metric: WorkloadMetric,
  nowMs: number,
): LearnerState {
  const floors = armFloors(forecast, workload, metric, nowMs);
  const pending = [...state.pending.filter((p) => p.madeAt < nowMs), { madeAt: nowMs, floors }];
  return { ...state, pending: pending.slice(-MAX_PENDING) };
}

/** Whole units each arm's path needs over [now, now + lag + interval] (pre-warm's window). */
export function armFloors(
  forecast: LearnerInput['forecast'],
  workload: Workload,
  metric: WorkloadMetric,
  nowMs: number,
): number[] {
  const iv = forecast.intervalMs;
  const endMs = nowMs + workload.capacity.provisioningLagSeconds * 1000 + iv;
  const from = Math.max(0, Math.ceil((nowMs - forecast.startMs) / iv));
  const through = Math.min(forecast.point.length - 1, Math.floor((endMs - forecast.startMs) / iv));
  if (through < from) return ARMS.map(() => 0);
  const median = forecast.point.slice(from, through + 1);
  const floorPath = quantilePath(forecast, ARM_MIN_QUANTILE).slice(from, through + 1);
  return ARMS.map((arm) => {
    const high = quantilePath(forecast, arm.quantile).slice(from, through + 1);
    const path = cappedPath(high, median, arm.maxHeadroom, floorPath);
    let peak = 0;
    for (const v of path) peak = Math.max(peak, v);
    return wholeUnits(metricUnits(workload, metric, peak));
  });
}

function bucketOf(ms: number): number {
  const hour = new Date(ms).getUTCHours();
  return Math.floor((hour * BUCKETS) / 24);
}

function bucketName(b: number): string {
  const from = (b * 24) / BUCKETS;
  const to = ((b + 1) * 24) / BUCKETS;
  return `${String(from).padStart(2, '0')}:00–${String(to).padStart(2, '0')}:00`;
}

export function describeArm(arm: Arm): string {
  return Number.isFinite(arm.maxHeadroom)
    ? `q${arm.quantile} capped at ${Math.round(arm.maxHeadroom * 100)}%`
    : `q${arm.quantile} uncapped`;
}

export function describeSettings(s: PlanningSettings): string {
  return describeArm({ quantile: s.quantile, maxHeadroom: s.maxHeadroom ?? Number.POSITIVE_INFINITY });
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** Six significant digits keep the stored state small without changing a choice. */
function round(v: number): number {
  return Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(6)) : v;
}
