import { ForecastInputError } from '../errors';
import type {
  FitOptions,
  ForecastEngine,
  ForecastOptions,
  ForecastResult,
  ModelState,
  RegularSeries,
} from './api';
import { type Calibration, calibrate, offsetAt, offsetPath, round7 } from './calibrate';
import { cleanSeries } from './hygiene';
import { type LevelParams, type LevelState, levelForecast, levelStep, newLevelState } from './level';
import {
  cloneNowcast,
  compactNowcast,
  isNowcast,
  type NowcastState,
  newNowcast,
  nowcastPaths,
  nowcastStep,
} from './nowcast';
import { DAY_MS, estimateProfile, HOUR_MS, type SeasonProfile, seasonAt, stepsPerDay } from './season';
import { addHourly, emptyHourly, type HourlyHistory, signalMultipliers } from './signals';

export const ENGINE_FORMAT = 1;
/** History used by a full fit: five weeks is enough for daily and weekly shapes, and bounds cost. */
export const MAX_HISTORY_MS = 35 * DAY_MS;
export const MIN_POINTS = 3;
export const DEFAULT_QUANTILES = [0.5, 0.8, 0.95] as const;
export const DEFAULT_REFIT_EVERY_MS = DAY_MS;
/** Drift: refit when the smoothed one-step error is this many times the calibrated one. */
export const DRIFT_RATIO = 2.5;
/** Widening of interval half-widths when confidence is low (short history, few errors to learn from). */
const LOW_CONFIDENCE_INFLATE = 1.5;
/** Widening for selection bias: the same errors choose the model and calibrate it. */
const SELECTION_INFLATE = 1.15;

export const MODEL_NAMES = [
  'naive',
  'ets-damped',
  'snaive-daily',
  'snaive-weekly',
  'mseas-ets',
  'mseas-ets-weekly',
] as const;
export type SingleModel = (typeof MODEL_NAMES)[number];

type Member =
  | { kind: 'snaive'; name: SingleModel; period: number }
  | { kind: 'level'; name: SingleModel; season: 0 | 1 | 2; params: LevelParams; state: LevelState };

/** The engine's concrete state (ModelState's open fields, typed). */
export interface EngineState extends ModelState {
  format: 1;
  horizonSteps: number;
  members: Member[];
  /**
   * Which members forecast which steps: segment k covers steps up to `to` (inclusive, 1-based)
   * and averages members[idx]; the last segment also covers every later step. Absent = all
   * members over the whole horizon.
   */
  segments?: { to: number; idx: number[] }[];
  profile: SeasonProfile | null;
  /** Last observations (NaN as null in JSON), newest last; as long as the longest seasonal-naive period. */
  buffer: (number | null)[];
  calib: Calibration;
  nonNegative: boolean;
  drift: { ewma: number; n: number };
  hourly: HourlyHistory;
  refitEveryMs: number;
  stepsSinceFit: number;
  /** Fallback scale (one-step) when calibration had too few errors. */
  diffScale: number;
  /** Standard deviation of the fitted values: caps the low-confidence widening (absent in old states). */
  spread?: number;
  /** The short-horizon nowcaster (shared/model/nowcast.ts); absent in old states. */
  nowcast?: NowcastState;
}

/**
 * The state's fields a full fit sets and an update leaves as they are: the seasonal profile, the
 * calibration, the horizon segments and the fit's scales — about a third of the stored state. The
 * store writes them apart, only when they change (`shared/data/records.ts`); a field listed here
 * that did change would only be written more often, never lost (the store compares contents).
 */
export const FIT_ONLY_FIELDS = [
  'profile',
  'calib',
  'segments',
  'diffScale',
  'spread',
  'refitEveryMs',
  'horizonSteps',
] as const satisfies readonly (keyof EngineState)[];

/** The nowcaster learns over the last this-much history at every fit, so it is never cold. */
export const NOWCAST_WARMUP_MS = 2 * DAY_MS;

interface Candidate {
  name: SingleModel;
  member: Member;
  mae: number;
  /** Forecasts per origin x step (flattened). */
  f: Float64Array;
}

function trendGrid(stepsPerHour: number): { beta: number; phi: number }[] {
  return [
    { beta: 0, phi: 0 },
    { beta: 0.02, phi: 0.5 ** (1 / Math.max(1, 2 * stepsPerHour)) },
  ];
}

function rhoGrid(stepsPerHour: number): number[] {
  return [1, 0.5 ** (1 / Math.max(1, 24 * stepsPerHour)), 0.5 ** (1 / Math.max(1, 3 * stepsPerHour))];
}

const ALPHAS = [0.05, 0.2, 0.5, 1];

function validateSeries(series: RegularSeries, what: string): void {
  if (!(Number.isInteger(series.intervalMs) && series.intervalMs > 0))
    throw new ForecastInputError(`${what}: intervalMs must be a positive integer, got ${series.intervalMs}`);
  if (!Number.isFinite(series.startMs))
    throw new ForecastInputError(`${what}: startMs must be a finite epoch ms, got ${series.startMs}`);
  if (!Array.isArray(series.values)) throw new ForecastInputError(`${what}: values must be an array`);
}

function toNum(v: number | null | undefined): number {
  return v === null || v === undefined ? Number.NaN : v;
}

type Segment = { to: number; idx: number[] };
type FitModel = NonNullable<FitOptions['model']>;

/** The model chosen by the backtest: members, which members forecast which steps, their forecasts. */
interface Choice {
  members: Member[];
  segments: Segment[];
  /** The choice's backtest forecasts (null: too short for any backtest). */
  f: Float64Array | null;
  mae: number;
}

/** What the backtest of one fit works on: the history, the rolling origins and their actuals. */
interface Backtest {
  values: Float64Array;
  startMs: number;
  intervalMs: number;
  /** Index of the first point used (at most MAX_HISTORY_MS back), and the number of points. */
  from: number;
  n: number;
  /** Steps per day (0 when the interval does not divide a day). */
  P: number;
  stepsPerHour: number;
  model: FitModel;
  origins: number[];
  /** Steps evaluated after each origin. */
  hEval: number;
  /** Actual values per origin x step (flattened). */
  actual: Float64Array;
}

export function fitSeries(series: RegularSeries, options: FitOptions = {}): EngineState {
  const input = checkFitInput(series, options);
  const { values, requested, model, P, H } = input;
  const { intervalMs, startMs } = series;
  const n = values.length;
  const from = Math.max(0, n - Math.max(1, Math.round(MAX_HISTORY_MS / intervalMs)));
  const usable = n - from;
  const stepsPerHour = Math.max(1, HOUR_MS / intervalMs);
  const { hEval, origins } = rollingOrigins(n, from, usable, H, P);
  const bt: Backtest = {
    values,
    startMs,
    intervalMs,
    from,
    n,
    P,
    stepsPerHour,
    model,
    origins,
    hEval,
    actual: actualsAt(values, origins, hEval),
  };

  const candidates = origins.length > 0 ? backtestCandidates(bt) : [];
  const chosen =
    (candidates.length > 0 ? chooseBySegment(bt, candidates) : null) ?? naiveFallback(bt, usable);

  // Calibrate from the chosen model's out-of-sample errors.
  const lowHistory = P > 0 ? usable < 2 * P : usable < 48;
  const calib = calibrateChoice(bt, chosen, requested, lowHistory);
  const confidence: 'high' | 'low' = lowHistory || calib.samples1 < 20 ? 'low' : 'high';
  const diffScale = diffSd(values, from, n);
  const spread = valueSd(values, from, n);
  // The filters run up to the warm-up window; absorbing its points trains the nowcaster on the
  // engine's own forecasts, exactly as later updates will.
  const warm = !nowcastWanted(options)
    ? 0
    : Math.min(Math.round(NOWCAST_WARMUP_MS / intervalMs), Math.max(0, n - from - 1));
  const cut = n - warm;
  const final = finalMembers(bt, chosen.members, cut);
  const cutMs = startMs + (cut - 1) * intervalMs;

  const s: EngineState = {
    format: ENGINE_FORMAT,
    model: modelName(final.members, chosen.segments),
    intervalMs,
    lastPointMs: cutMs,
    fittedAtMs: cutMs,
    confidence,
    horizonSteps: H,
    members: final.members,
    segments: chosen.segments,
    profile: final.profile,
    buffer: recentBuffer(values.subarray(0, cut), final.members),
    calib,
    nonNegative: allNonNegative(values, from),
    drift: { ewma: 1, n: 0 },
    hourly: hourlyHistory({ ...bt, n: cut }, cutMs),
    refitEveryMs: DEFAULT_REFIT_EVERY_MS,
    stepsSinceFit: 0,
    diffScale,
    spread,
    nowcast: nowcastWanted(options) ? newNowcast(intervalMs, diffScale) : undefined,
  };
  if (!s.nowcast) delete s.nowcast;
  const bufLen = s.buffer.length;
  const off50 = offsetAt(calib, 0.5, 1);
  const scale = calib.mae1 > 0 ? calib.mae1 : diffScale;
  for (let i = cut; i < n; i++)
    absorb(s, s.lastPointMs + intervalMs, values[i] as number, bufLen, off50, scale);
  if (s.nowcast) compactNowcast(s.nowcast);
  return { ...s, fittedAtMs: s.lastPointMs, drift: { ewma: 1, n: 0 }, stepsSinceFit: 0 };
}

/** The nowcaster serves the automatic choice; a model asked for by name forecasts alone. */
function nowcastWanted(options: FitOptions): boolean {
  const model = options.model ?? 'auto';
  return options.nowcast !== false && (model === 'auto' || model === 'ensemble');
}

/** Validate the series and options; the values as numbers (NaN for gaps), the horizon. */
function checkFitInput(
  series: RegularSeries,
  options: FitOptions,
): { values: Float64Array; requested: readonly number[]; model: FitModel; P: number; H: number } {
  validateSeries(series, 'fit');
  const all = series.values.map((v) => toNum(v as number | null));
  let finite = 0;
  for (const v of all) if (Number.isFinite(v)) finite++;
  if (finite < MIN_POINTS)
    throw new ForecastInputError(
      `series has ${finite} numeric value(s); at least ${MIN_POINTS} are needed to forecast`,
    );
  const requested = options.quantiles ?? DEFAULT_QUANTILES;
  for (const q of requested)
    if (!(q > 0 && q < 1)) throw new ForecastInputError(`quantile ${q} must be strictly between 0 and 1`);
  const model = options.model ?? 'auto';
  if (model !== 'auto' && model !== 'ensemble' && !(MODEL_NAMES as readonly string[]).includes(model))
    throw new ForecastInputError(
      `unknown model ${JSON.stringify(model)}; expected auto, ensemble or one of ${MODEL_NAMES.join(', ')}`,
    );
  const P = stepsPerDay(series.intervalMs);
  const H = options.horizonSteps ?? (P > 0 ? P : 24);
  if (!(Number.isInteger(H) && H > 0))
    throw new ForecastInputError(`horizonSteps must be a positive integer, got ${H}`);
  return { values: Float64Array.from(all), requested, model, P, H };
}

/** Rolling origins over the last ~30% of the history (never past the end of the known data). */
function rollingOrigins(
  n: number,
  from: number,
  usable: number,
  H: number,
  P: number,
): { hEval: number; origins: number[] } {
  const hEval = Math.min(H, Math.max(1, Math.floor(usable / 3)));
  const warm = P > 0 && usable >= 3 * P ? P : Math.max(2, Math.floor(usable / 3));
  let o0 = n - hEval - Math.max(hEval, Math.round(0.3 * usable));
  o0 = Math.max(o0, from + warm);
  const lastOrigin = n - hEval;
  const origins: number[] = [];
  if (o0 <= lastOrigin) {
    // Up to 40 origins: enough errors per step to calibrate, few enough to fit in milliseconds.
    let stride = Math.max(1, Math.round(hEval / 24));
    stride = Math.max(stride, Math.ceil((lastOrigin - o0 + 1) / 40));
    // A stride sharing a factor with the day (or the hour) would put every origin at the same
    // phase of a short cycle, and a model's luck at that phase would pass for skill.
    while (stride > 1 && (gcd(stride, 12) > 1 || (P > 0 && gcd(stride, P) > 1))) stride++;
    for (let o = lastOrigin; o >= o0; o -= stride) origins.unshift(o);
  }
  return { hEval, origins };
}

function actualsAt(values: Float64Array, origins: readonly number[], hEval: number): Float64Array {
  const actual = new Float64Array(origins.length * hEval);
  origins.forEach((o, oi) => {
    for (let h = 0; h < hEval; h++) actual[oi * hEval + h] = values[o + h] as number;
  });
  return actual;
}

/** Mean absolute error of backtest forecasts `f` against the actuals (NaN pairs skipped). */
function maeOf(bt: Backtest, f: Float64Array): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < f.length; i++) {
    const a = bt.actual[i] as number;
    const x = f[i] as number;
    if (Number.isNaN(a) || Number.isNaN(x)) continue;
    s += Math.abs(a - x);
    c++;
  }
  return c > 0 ? s / c : Number.POSITIVE_INFINITY;
}

function allowed(model: FitModel, name: SingleModel): boolean {
  return model === 'auto' || model === 'ensemble' || model === name;
}

/** Every allowed model, backtested: seasonal naive, level models (best parameters), naive. */
function backtestCandidates(bt: Backtest): Candidate[] {
  const oStart = bt.origins[0] ?? bt.n;
  const profileSpan = oStart - bt.from;
  const profileBT =
    bt.P > 0 && profileSpan >= bt.P
      ? estimateProfile(bt.values, bt.startMs, bt.intervalMs, bt.from, oStart, true)
      : null;
  const out = new Float64Array(bt.hEval);
  const candidates = seasonalNaiveCandidates(bt, profileSpan);
  candidates.push(...levelCandidates(bt, profileBT, out));
  if (allowed(bt.model, 'naive')) {
    const params: LevelParams = { alpha: 1, beta: 0, phi: 0, rho: 1, eta: 0 };
    const f = runLevelBacktest(bt.values, null, bt.from, bt.origins, bt.hEval, params, out);
    candidates.push({
      name: 'naive',
      member: { kind: 'level', name: 'naive', season: 0, params, state: newLevelState() },
      mae: maeOf(bt, f),
      f,
    });
  }
  return candidates;
}

function seasonalNaiveCandidates(bt: Backtest, profileSpan: number): Candidate[] {
  const { P, hEval, origins } = bt;
  const candidates: Candidate[] = [];
  for (const [name, period] of [
    ['snaive-daily', P],
    ['snaive-weekly', 7 * P],
  ] as const) {
    if (P === 0 || !allowed(bt.model, name) || profileSpan < period) continue;
    const f = new Float64Array(origins.length * hEval);
    origins.forEach((o, oi) => {
      for (let h = 0; h < hEval; h++) f[oi * hEval + h] = snaiveAt(bt.values, o, period, h + 1);
    });
    candidates.push({ name, member: { kind: 'snaive', name, period }, mae: maeOf(bt, f), f });
  }
  return candidates;
}

/** Naive-free level models (ETS damped, multi-seasonal + ETS), each at its best parameters. */
function levelCandidates(bt: Backtest, profileBT: SeasonProfile | null, out: Float64Array): Candidate[] {
  const weeklyOK = profileBT !== null && profileBT.weekly.length === 168;
  const seasons: { name: SingleModel; season: 0 | 1 | 2 }[] = [
    { name: 'ets-damped', season: 0 },
    { name: 'mseas-ets', season: 1 },
    { name: 'mseas-ets-weekly', season: 2 },
  ];
  const candidates: Candidate[] = [];
  for (const { name, season } of seasons) {
    if (!allowed(bt.model, name)) continue;
    if (season > 0 && profileBT === null) continue;
    if (season === 2 && !weeklyOK) continue;
    const best = bestLevelParams(
      bt,
      name,
      season,
      seasonArray(profileBT, season, bt.startMs, bt.intervalMs, bt.n),
      out,
    );
    if (best) candidates.push(best);
  }
  return candidates;
}

function bestLevelParams(
  bt: Backtest,
  name: SingleModel,
  season: 0 | 1 | 2,
  S: Float64Array | null,
  out: Float64Array,
): Candidate | null {
  let best: Candidate | null = null;
  const eta = etaFor(bt.P, bt.intervalMs);
  const tryParams = (params: LevelParams): number => {
    const f = runLevelBacktest(bt.values, S, bt.from, bt.origins, bt.hEval, params, out);
    const mae = maeOf(bt, f);
    if (best === null || mae < best.mae)
      best = { name, member: { kind: 'level', name, season, params, state: newLevelState() }, mae, f };
    return mae;
  };
  // Coarse to fine: the smoothing weight first, then trend and mean reversion at that weight
  // (9 backtests instead of 24; the grid is too coarse for the interactions to matter).
  let alpha = 1;
  let alphaMae = Number.POSITIVE_INFINITY;
  for (const a of ALPHAS) {
    const mae = tryParams({ alpha: a, beta: 0, phi: 0, rho: 1, eta });
    if (mae < alphaMae) [alpha, alphaMae] = [a, mae];
  }
  for (const { beta, phi } of trendGrid(bt.stepsPerHour))
    for (const rho of rhoGrid(bt.stepsPerHour))
      if (beta !== 0 || rho !== 1) tryParams({ alpha, beta, phi, rho, eta });
  return best;
}

/**
 * Pick per horizon segment (the next hour, the next quarter day, the rest): a single model or
 * the mean of the best two / three there. What wins at one step often loses a day ahead.
 * Null when a segment has no pick.
 */
function chooseBySegment(bt: Backtest, candidates: readonly Candidate[]): Choice | null {
  const { hEval } = bt;
  const nO = bt.origins.length;
  const bounds = segmentBounds(hEval, bt.stepsPerHour);
  const used: Candidate[] = [];
  const segments: Segment[] = [];
  const f = new Float64Array(nO * hEval);
  let lo = 1;
  for (const to of bounds) {
    const best = bestInSegment(bt, candidates, lo, to);
    if (best === null) break;
    const idx = best.pick
      .map((c) => {
        let j = used.indexOf(c);
        if (j < 0) j = used.push(c) - 1;
        return j;
      })
      .sort((a, b) => a - b);
    segments.push({ to, idx });
    for (let oi = 0; oi < nO; oi++)
      for (let h = lo; h <= to; h++) f[oi * hEval + h - 1] = best.g[oi * hEval + h - 1] as number;
    lo = to + 1;
  }
  if (segments.length !== bounds.length) return null;
  return { members: used.map((c) => c.member), segments: mergeSegments(segments), f, mae: maeOf(bt, f) };
}

/** The best single model, or mean of the top two or three, over steps lo..to. */
function bestInSegment(
  bt: Backtest,
  candidates: readonly Candidate[],
  lo: number,
  to: number,
): { pick: Candidate[]; g: Float64Array; mae: number } | null {
  const { hEval, model } = bt;
  const nO = bt.origins.length;
  const maeIn = (g: Float64Array): number => maeRange(bt.actual, g, nO, hEval, lo, to);
  const ranked = candidates.map((c) => ({ c, mae: maeIn(c.f) })).sort((a, b) => a.mae - b.mae);
  let best: { pick: Candidate[]; g: Float64Array; mae: number } | null = null;
  if (model !== 'ensemble' && ranked[0]) best = { pick: [ranked[0].c], g: ranked[0].c.f, mae: ranked[0].mae };
  if (model === 'auto' || model === 'ensemble')
    for (const k of [2, 3]) {
      if (ranked.length < k) continue;
      const top = ranked.slice(0, k).map((r) => r.c);
      const g = new Float64Array(nO * hEval);
      for (let oi = 0; oi < nO; oi++)
        for (let h = lo; h <= to; h++) {
          const i = oi * hEval + h - 1;
          let sum = 0;
          for (const c of top) sum += c.f[i] as number;
          g[i] = sum / k;
        }
      const mae = maeIn(g);
      if (best === null || mae < best.mae) best = { pick: top, g, mae };
    }
  return best;
}

/** Merge neighbours that use the same members. */
function mergeSegments(segments: readonly Segment[]): Segment[] {
  const merged: Segment[] = [];
  for (const seg of segments) {
    const prev = merged[merged.length - 1];
    if (prev && prev.idx.join() === seg.idx.join()) prev.to = seg.to;
    else merged.push({ to: seg.to, idx: seg.idx });
  }
  return merged;
}

/** Too short for any backtest: a naive forecast with wide, diffusion-scaled intervals. */
function naiveFallback(bt: Backtest, usable: number): Choice {
  const { model } = bt;
  if (model !== 'auto' && model !== 'ensemble' && model !== 'naive' && model !== 'ets-damped')
    throw new ForecastInputError(
      `model ${model} needs more history than ${usable} point(s) of ${bt.intervalMs} ms`,
    );
  return {
    members: [
      {
        kind: 'level',
        name: 'naive',
        season: 0,
        params: { alpha: 1, beta: 0, phi: 0, rho: 1, eta: 0 },
        state: newLevelState(),
      },
    ],
    segments: [{ to: 1, idx: [0] }],
    f: null,
    mae: Number.NaN,
  };
}

function calibrateChoice(
  bt: Backtest,
  chosen: Choice,
  requested: readonly number[],
  lowHistory: boolean,
): Calibration {
  if (chosen.f === null) return calibrate(new Float64Array(0), 0, 1, requested, 1);
  const nO = bt.origins.length;
  const errors = new Float64Array(nO * bt.hEval);
  for (let i = 0; i < errors.length; i++) errors[i] = (bt.actual[i] as number) - (chosen.f[i] as number);
  return calibrate(
    errors,
    nO,
    bt.hEval,
    requested,
    SELECTION_INFLATE * (lowHistory ? LOW_CONFIDENCE_INFLATE : 1),
  );
}

/** Final state: re-estimate the profile on all the history and run the level filters up to `runTo`. */
function finalMembers(
  bt: Backtest,
  chosen: readonly Member[],
  runTo: number,
): { members: Member[]; profile: SeasonProfile | null } {
  const { values, startMs, intervalMs, from, n } = bt;
  const members = chosen.map((m) => structuredClone(m));
  const needsProfile = members.some((m) => m.kind === 'level' && m.season > 0);
  const needsWeekly = members.some((m) => m.kind === 'level' && m.season === 2);
  const profile =
    needsProfile && bt.P > 0
      ? roundProfile(estimateProfile(values, startMs, intervalMs, from, n, needsWeekly))
      : null;
  for (const m of members) {
    if (m.kind !== 'level') continue;
    const S = m.season > 0 ? seasonArray(profile, m.season, startMs, intervalMs, n) : null;
    m.state = newLevelState();
    for (let i = from; i < runTo; i++)
      levelStep(m.params, m.state, (values[i] as number) - (S ? (S[i] as number) : 0));
  }
  return { members, profile };
}

/** The last observations the seasonal-naive members need (NaN as null), newest last. */
function recentBuffer(values: Float64Array, members: readonly Member[]): (number | null)[] {
  const n = values.length;
  const bufLen = members.reduce((acc, m) => (m.kind === 'snaive' ? Math.max(acc, m.period) : acc), 0);
  const buffer: (number | null)[] = [];
  for (let i = Math.max(0, n - bufLen); i < n; i++) {
    const v = values[i] as number;
    buffer.push(Number.isNaN(v) ? null : v);
  }
  return buffer;
}

function hourlyHistory(bt: Backtest, lastPointMs: number): HourlyHistory {
  const { values, startMs, intervalMs, from, n } = bt;
  const hourly = emptyHourly(Math.max(startMs, lastPointMs - 35 * DAY_MS + HOUR_MS));
  for (let i = from; i < n; i++) addHourly(hourly, startMs + i * intervalMs, values[i] as number);
  return hourly;
}

function allNonNegative(values: Float64Array, from: number): boolean {
  let nonNegative = true;
  for (let i = from; i < values.length; i++) if ((values[i] as number) < 0) nonNegative = false;
  return nonNegative;
}

/** Segment ends (inclusive steps): the first hour, the first quarter of the horizon, the rest. */
function segmentBounds(hEval: number, stepsPerHour: number): number[] {
  const out: number[] = [];
  const a = Math.round(stepsPerHour);
  const b = Math.round(hEval / 4);
  if (a >= 1 && a < hEval && hEval >= 8) out.push(a);
  if (b > (out[out.length - 1] ?? 0) + 1 && b < hEval && hEval >= 8) out.push(b);
  out.push(hEval);
  return out;
}

function maeRange(
  actual: Float64Array,
  f: Float64Array,
  nO: number,
  hEval: number,
  lo: number,
  hi: number,
): number {
  let sum = 0;
  let count = 0;
  for (let oi = 0; oi < nO; oi++)
    for (let h = lo; h <= hi; h++) {
      const i = oi * hEval + h - 1;
      const a = actual[i] as number;
      const x = f[i] as number;
      if (Number.isNaN(a) || Number.isNaN(x)) continue;
      sum += Math.abs(a - x);
      count++;
    }
  return count > 0 ? sum / count : Number.POSITIVE_INFINITY;
}

function groupName(members: readonly Member[], idx: readonly number[]): string {
  const names = idx.map((i) => (members[i] as Member).name);
  return names.length > 1 ? `ensemble(${names.join('+')})` : (names[0] as string);
}

/** `ets-damped`, `ensemble(a+b)`, or per segment `horizon(1-12:a|13-72:ensemble(a+b)|73+:c)`. */
function modelName(members: readonly Member[], segments: readonly { to: number; idx: number[] }[]): string {
  if (segments.length <= 1) return groupName(members, segments[0]?.idx ?? members.map((_, i) => i));
  let lo = 1;
  const parts = segments.map((seg, k) => {
    const range = k === segments.length - 1 ? `${lo}+` : `${lo}-${seg.to}`;
    lo = seg.to + 1;
    return `${range}:${groupName(members, seg.idx)}`;
  });
  return `horizon(${parts.join('|')})`;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

function etaFor(P: number, intervalMs: number): number {
  // The long-run mean forgets with a half-life of three days.
  const steps = P > 0 ? 3 * P : (3 * DAY_MS) / intervalMs;
  return 1 - 0.5 ** (1 / Math.max(1, steps));
}

function seasonArray(
  profile: SeasonProfile | null,
  season: 0 | 1 | 2,
  startMs: number,
  intervalMs: number,
  n: number,
): Float64Array | null {
  if (profile === null || season === 0) return null;
  const S = new Float64Array(n + 1);
  for (let i = 0; i < n + 1; i++) S[i] = seasonAt(profile, startMs + i * intervalMs, season === 2);
  return S;
}

/** Seasonal-naive value for step h after origin o (data known before index o), skipping gaps. */
function snaiveAt(values: Float64Array, o: number, period: number, h: number): number {
  const k = Math.ceil(h / period);
  for (let back = k; back <= k + 3; back++) {
    const idx = o + h - 1 - back * period;
    if (idx < 0) break;
    const v = values[idx] as number;
    if (!Number.isNaN(v)) return v;
  }
  for (let i = o - 1; i >= 0; i--) if (!Number.isNaN(values[i] as number)) return values[i] as number;
  return Number.NaN;
}

/**
 * One pass of a level model over values[from, lastOrigin), forecasting hEval steps at each origin.
 * The seasonal profile S was estimated before the first origin, so no forecast sees its future.
 */
function runLevelBacktest(
  values: Float64Array,
  S: Float64Array | null,
  from: number,
  origins: readonly number[],
  hEval: number,
  params: LevelParams,
  out: Float64Array,
): Float64Array {
  const f = new Float64Array(origins.length * hEval);
  const state = newLevelState();
  let i = from;
  for (let oi = 0; oi < origins.length; oi++) {
    const o = origins[oi] as number;
    for (; i < o; i++) levelStep(params, state, (values[i] as number) - (S ? (S[i] as number) : 0));
    levelForecast(params, state, hEval, out);
    const base = oi * hEval;
    for (let h = 0; h < hEval; h++) f[base + h] = (out[h] as number) + (S ? (S[o + h] ?? 0) : 0);
  }
  return f;
}

function diffSd(values: Float64Array, from: number, n: number): number {
  let s = 0;
  let s2 = 0;
  let c = 0;
  for (let i = from + 1; i < n; i++) {
    const d = (values[i] as number) - (values[i - 1] as number);
    if (Number.isNaN(d)) continue;
    s += d;
    s2 += d * d;
    c++;
  }
  if (c < 2) {
    let m = 0;
    let k = 0;
    for (let i = from; i < n; i++)
      if (!Number.isNaN(values[i] as number)) {
        m += Math.abs(values[i] as number);
        k++;
      }
    return k > 0 ? Math.max(1e-9, (0.5 * m) / k) : 1;
  }
  return Math.sqrt(Math.max(0, s2 / c - (s / c) ** 2)) || 1e-9;
}

function valueSd(values: Float64Array, from: number, n: number): number {
  let s = 0;
  let s2 = 0;
  let c = 0;
  for (let i = from; i < n; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    s += v;
    s2 += v * v;
    c++;
  }
  return c > 1 ? Math.sqrt(Math.max(0, s2 / c - (s / c) ** 2)) : 0;
}

function roundProfile(p: SeasonProfile): SeasonProfile {
  return { bucketMs: p.bucketMs, daily: p.daily.map(round7), weekly: p.weekly.map(round7) };
}

function asEngineState(state: ModelState): EngineState {
  if (state === null || typeof state !== 'object' || state.format !== ENGINE_FORMAT)
    throw new ForecastInputError(
      `model state format ${String((state as { format?: unknown } | null)?.format)} is not ${ENGINE_FORMAT}; refit`,
    );
  const s = state as EngineState;
  if (!Array.isArray(s.members) || s.members.length === 0 || typeof s.calib !== 'object')
    throw new ForecastInputError('model state is incomplete; refit');
  if (
    s.segments !== undefined &&
    (!Array.isArray(s.segments) ||
      s.segments.length === 0 ||
      s.segments.some((g) => g.idx.length === 0 || g.idx.some((i) => !(i >= 0 && i < s.members.length))))
  )
    throw new ForecastInputError('model state has inconsistent horizon segments; refit');
  return s;
}

/** Mean forecast (without quantile offsets) over `steps`, each step from its segment's members. */
function meanPath(s: EngineState, steps: number): Float64Array {
  const first = s.lastPointMs + s.intervalMs;
  const paths = s.members.map((m) => {
    const path = new Float64Array(steps);
    if (m.kind === 'snaive') {
      const len = s.buffer.length;
      for (let h = 1; h <= steps; h++) {
        let v = Number.NaN;
        for (let back = Math.ceil(h / m.period); back <= Math.ceil(h / m.period) + 3; back++) {
          const idx = len - 1 + h - back * m.period;
          if (idx < 0) break;
          const x = s.buffer[idx];
          if (x !== null && x !== undefined) {
            v = x;
            break;
          }
        }
        path[h - 1] = Number.isNaN(v) ? lastFinite(s) : v;
      }
    } else {
      levelForecast(m.params, m.state, steps, path);
      if (m.season > 0 && s.profile)
        for (let h = 0; h < steps; h++)
          path[h] = (path[h] as number) + seasonAt(s.profile, first + h * s.intervalMs, m.season === 2);
    }
    return path;
  });
  const segments = s.segments ?? [{ to: steps, idx: s.members.map((_, i) => i) }];
  const out = new Float64Array(steps);
  let seg = 0;
  for (let h = 1; h <= steps; h++) {
    while (seg < segments.length - 1 && h > (segments[seg] as { to: number }).to) seg++;
    const idx = (segments[seg] as { idx: number[] }).idx;
    let sum = 0;
    for (const i of idx) sum += (paths[i] as Float64Array)[h - 1] as number;
    out[h - 1] = sum / idx.length;
  }
  return out;
}

function lastFinite(s: EngineState): number {
  for (let i = s.buffer.length - 1; i >= 0; i--) {
    const x = s.buffer[i];
    if (x !== null && x !== undefined) return x;
  }
  for (const m of s.members) if (m.kind === 'level' && m.state.init) return m.state.l;
  return 0;
}

export function updateState(state: ModelState, newer: RegularSeries): EngineState {
  const old = asEngineState(state);
  validateSeries(newer, 'update');
  if (newer.intervalMs !== old.intervalMs)
    throw new ForecastInputError(
      `update: interval ${newer.intervalMs} ms differs from the model's ${old.intervalMs} ms; refit`,
    );
  const s: EngineState = {
    ...old,
    members: old.members.map((m) => (m.kind === 'level' ? { ...m, state: { ...m.state } } : m)),
    buffer: old.buffer.slice(),
    drift: { ...old.drift },
    hourly: { startMs: old.hourly.startMs, sums: old.hourly.sums.slice(), counts: old.hourly.counts.slice() },
    nowcast: isNowcast(old.nowcast, old.intervalMs) ? cloneNowcast(old.nowcast) : undefined,
  };
  const iv = s.intervalMs;
  const bufLen = old.buffer.length;
  const off50 = offsetAt(s.calib, 0.5, 1);
  const scale = s.calib.mae1 > 0 ? s.calib.mae1 : s.diffScale;
  for (let j = 0; j < newer.values.length; j++) {
    const t = newer.startMs + j * iv;
    const step = Math.round((t - s.lastPointMs) / iv);
    if (step <= 0) continue;
    // Steps skipped by the newer series are gaps.
    for (let g = 1; g < step; g++) absorbRounded(s, Number.NaN, bufLen, off50, scale);
    absorbRounded(s, toNum(newer.values[j] as number | null), bufLen, off50, scale);
  }
  if (!s.nowcast) delete s.nowcast;
  return s;
}

/**
 * Absorb the next point and round the nowcaster as stored: a batch of points then leaves the same
 * state as the same points sent one update at a time.
 */
function absorbRounded(s: EngineState, y: number, bufLen: number, off50: number, scale: number): void {
  absorb(s, s.lastPointMs + s.intervalMs, y, bufLen, off50, scale);
  if (s.nowcast) compactNowcast(s.nowcast);
}

function absorb(s: EngineState, t: number, y: number, bufLen: number, off50: number, scale: number): void {
  if (!Number.isNaN(y)) {
    const pred = (meanPath(s, 1)[0] as number) + off50;
    const r = Math.abs(y - pred) / scale;
    s.drift.n++;
    const w = 1 / Math.min(s.drift.n, 36);
    s.drift.ewma += (Math.min(r, 20) - s.drift.ewma) * w;
    if (y < 0) s.nonNegative = false;
  }
  for (const m of s.members) {
    if (m.kind !== 'level') continue;
    const season = m.season > 0 && s.profile ? seasonAt(s.profile, t, m.season === 2) : 0;
    levelStep(m.params, m.state, y - season);
  }
  if (bufLen > 0) {
    s.buffer.push(Number.isNaN(y) ? null : y);
    if (s.buffer.length > bufLen) s.buffer.shift();
  }
  addHourly(s.hourly, t, y);
  s.lastPointMs = t;
  s.stepsSinceFit++;
  if (s.nowcast) nowcastStep(s.nowcast, y, nowcastContext(s), s.intervalMs);
}

/** The engine's mean path and the seasonal profile over the nowcaster's steps, from lastPointMs. */
function nowcastContext(s: EngineState): { engine: Float64Array; season: Float64Array | null } {
  const steps = (s.nowcast as NowcastState).steps;
  const engine = meanPath(s, steps);
  const p = s.profile;
  if (!p) return { engine, season: null };
  const weekly = p.weekly.length === 168;
  const season = new Float64Array(steps + 1);
  for (let h = 0; h <= steps; h++) season[h] = seasonAt(p, s.lastPointMs + h * s.intervalMs, weekly);
  return { engine, season };
}

/**
 * Replace the first steps of the level paths by the nowcaster's, and fade its correction of the
 * median into the engine's path over as many steps again (no jump where the nowcast ends).
 */
function applyNowcast(s: EngineState, levels: readonly number[], paths: number[][], steps: number): void {
  const nc = isNowcast(s.nowcast, s.intervalMs) ? s.nowcast : null;
  if (!nc) return;
  const now = nowcastPaths(nc, levels);
  if (!now) return;
  const N = nc.steps;
  const mi = levels.indexOf(0.5);
  const last = Math.min(N, steps);
  const corr = ((now[mi] as number[])[last - 1] as number) - ((paths[mi] as number[])[last - 1] as number);
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i] as number[];
    const src = now[i] as number[];
    for (let h = 1; h <= last; h++) path[h - 1] = src[h - 1] as number;
  }
  for (let h = N + 1; h <= Math.min(2 * N, steps); h++) {
    const f = corr * (1 - (h - N) / (N + 1));
    for (const path of paths) path[h - 1] = (path[h - 1] as number) + f;
  }
}

export function forecastState(state: ModelState, options: ForecastOptions): ForecastResult {
  const s = asEngineState(state);
  const steps = options.horizonSteps;
  if (!(Number.isInteger(steps) && steps > 0))
    throw new ForecastInputError(`horizonSteps must be a positive integer, got ${steps}`);
  const qs = [...new Set(options.quantiles)].sort((a, b) => a - b);
  for (const q of qs)
    if (!(q > 0 && q < 1)) throw new ForecastInputError(`quantile ${q} must be strictly between 0 and 1`);
  const startMs = s.lastPointMs + s.intervalMs;
  const mean = meanPath(s, steps);
  const lowInflate = s.confidence === 'low' ? LOW_CONFIDENCE_INFLATE : 1;
  const noCalib = s.calib.samples1 === 0;
  const levels = [...new Set([0.5, ...qs])].sort((a, b) => a - b);
  const med = offsetPath(s.calib, 0.5, steps);
  const thin = noCalib || s.confidence === 'low';
  const spread = s.spread !== undefined && s.spread > 0 ? s.spread : Number.POSITIVE_INFINITY;
  const paths = levels.map((q) => {
    const out = new Array<number>(steps);
    const z = normalQuantile(q);
    const off = q === 0.5 ? med : offsetPath(s.calib, q, steps);
    for (let h = 1; h <= steps; h++) {
      const m = med[h - 1] as number;
      let dev = (off[h - 1] as number) - m;
      if (thin) {
        // Never narrower than a random walk with the series' own step noise when evidence is
        // thin, but no wider than the series' own spread (a random walk's grows without bound).
        const floor = z * Math.min(s.diffScale * Math.sqrt(h), spread) * lowInflate;
        if (Math.abs(floor) > Math.abs(dev)) dev = floor;
      }
      out[h - 1] = (mean[h - 1] as number) + m + dev;
    }
    return out;
  });
  applyNowcast(s, levels, paths, steps);
  const { mult, applied } = signalMultipliers(
    startMs,
    s.intervalMs,
    steps,
    options.signals ?? [],
    options.pastSignals ?? [],
    s.hourly,
  );
  // Apply signal multipliers, keep quantiles from crossing, and clip at zero for series that never
  // went below it.
  const L = paths.length;
  const col = new Float64Array(L);
  for (let h = 0; h < steps; h++) {
    const f = mult[h] as number;
    let sorted = true;
    for (let i = 0; i < L; i++) {
      col[i] = ((paths[i] as number[])[h] as number) * f;
      if (i > 0 && (col[i] as number) < (col[i - 1] as number)) sorted = false;
    }
    if (!sorted) col.sort();
    for (let i = 0; i < L; i++) {
      const v = col[i] as number;
      (paths[i] as number[])[h] = s.nonNegative && v < 0 ? 0 : v;
    }
  }
  const medianPath = paths[levels.indexOf(0.5)] as number[];
  return {
    startMs,
    intervalMs: s.intervalMs,
    point: medianPath,
    quantiles: qs.map((q) => ({ q, values: (paths[levels.indexOf(q)] as number[]).slice() })),
    model: s.model,
    confidence: s.confidence,
    appliedSignals: applied,
  };
}

export function needsRefitState(state: ModelState, nowMs: number): boolean {
  const s = asEngineState(state);
  if (nowMs - s.fittedAtMs >= s.refitEveryMs) return true;
  if (s.drift.n >= 12 && s.drift.ewma > DRIFT_RATIO) return true;
  const P = stepsPerDay(s.intervalMs);
  return s.confidence === 'low' && s.stepsSinceFit >= Math.max(12, P > 0 ? P / 4 : 12);
}

/** Acklam's rational approximation of the standard normal quantile. */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - pl) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

export const engine: ForecastEngine = {
  clean: cleanSeries,
  fit: fitSeries,
  update: updateState,
  forecast: forecastState,
  needsRefit: needsRefitState,
};
