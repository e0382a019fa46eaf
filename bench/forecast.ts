import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ForecastInputError } from '../shared/errors';
import {
  engine,
  type ForecastResult,
  hygieneRepairs,
  type ModelState,
  type RegularSeries,
} from '../shared/model';
import { mstlForecast } from '../shared/model/augurs';
import { assertMostlyUsable, parseTimestampValueCsv, repairLine } from '../shared/series/csv';

/**
 * `shadowscale bench forecast`: rolling-origin evaluation of the engine on real traces.
 *
 * Per series: origins every 6 hours over the last 25% (at least 4), horizons 1 h and 24 h.
 * The engine runs as it would in production: a full fit at the first origin and whenever
 * `needsRefit` says so (daily schedule or drift), otherwise `update` absorbs the new points one
 * at a time (the forecaster's 5-minute cadence) and forecasts again. Baselines in the same run:
 * daily seasonal naive and augurs MSTL (refitted at every origin on the same history window).
 *
 * Short horizons (15 and 30 minutes, `benchShort`): from every step of the same last 25%, scored
 * against persistence, daily seasonal naive and the engine without its nowcaster (same run).
 *
 * Series finer than 5 minutes are averaged onto aligned 5-minute buckets first; a bucket only
 * holds its own minutes and origins fall on bucket boundaries, so nothing leaks from the future.
 */

export const HORIZONS = [
  { name: '1h', ms: 3_600_000 },
  { name: '24h', ms: 86_400_000 },
] as const;
export type HorizonName = (typeof HORIZONS)[number]['name'];

/**
 * Short horizons (the lead times pre-warm and migration act on), scored at every step of the
 * evaluation window on the one forecast step that lies that far ahead.
 */
export const SHORT_HORIZONS = [
  { name: '15m', ms: 15 * 60_000 },
  { name: '30m', ms: 30 * 60_000 },
] as const;
export type ShortHorizonName = (typeof SHORT_HORIZONS)[number]['name'];

const DAY_MS = 86_400_000;
const ORIGIN_EVERY_MS = 6 * 3_600_000;
const MIN_ORIGINS = 4;
const EVAL_FRACTION = 0.25;
const MIN_INTERVAL_MS = 300_000;
/** Interval quantiles evaluated: 80% = [0.1, 0.9], 95% = [0.025, 0.975]. */
const BENCH_QUANTILES = [0.025, 0.1, 0.5, 0.9, 0.975] as const;
/** The same history window the engine fits on, so MSTL is not handicapped nor favoured. */
const MSTL_HISTORY_MS = 35 * DAY_MS;

export const TARGETS = {
  '1h': { relSnaive: 0.8 },
  '24h': { relSnaive: 0.9 },
  coverage80: [0.75, 0.85],
  coverage95: [0.9, 0.98],
  fitMs: 20,
  updateMs: 1,
  '15m': { relPersistence: 0.75 },
  /** Interval coverage at the short horizons: within 5 points of nominal. */
  shortCoverageTolerance: 0.05,
} as const;

export interface SeriesRow {
  name: string;
  horizon: HorizonName;
  model: string;
  mase: number;
  smape: number;
  pinball: number;
  coverage80: number;
  coverage95: number;
  fit_ms: number;
  update_ms: number;
  snaive_mae: number;
  mae: number;
  mstl_mae: number;
}

export interface HorizonSummary {
  geomean_rel_mae_vs_snaive: number;
  geomean_rel_mae_vs_mstl: number;
  mean_coverage80: number;
  mean_coverage95: number;
  median_fit_ms: number;
  median_update_ms: number;
}

/** One series at one short horizon: the engine (with its nowcaster) against its baselines. */
export interface ShortRow {
  name: string;
  horizon: ShortHorizonName;
  /** Forecast step scored (the horizon in steps of the series' interval). */
  step: number;
  /** Forecasts scored (every step of the evaluation window with a known actual). */
  n: number;
  mae: number;
  /** Last observed value. */
  persistence_mae: number;
  /** Daily seasonal naive. */
  snaive_mae: number;
  /** The engine's seasonal forecast without the nowcaster, same run (absent with --no-baseline-engine). */
  seasonal_mae?: number;
  coverage80: number;
  coverage95: number;
}

export interface ShortSummary {
  geomean_rel_mae_vs_persistence: number;
  geomean_rel_mae_vs_snaive: number;
  /** The engine without the nowcaster, vs persistence: what the nowcaster improves on. */
  geomean_rel_mae_seasonal_vs_persistence: number;
  mean_coverage80: number;
  mean_coverage95: number;
}

export interface BenchResult {
  series: SeriesRow[];
  short: ShortRow[];
  summary: Partial<Record<HorizonName, HorizonSummary>> & Partial<Record<ShortHorizonName, ShortSummary>>;
}

/** Speed on a 14-day, 5-minute series (4,032 points): the fit / update targets. */
export interface SpeedResult {
  name: string;
  points: number;
  fit_ms: number;
  update_forecast_ms: number;
  mstl_ms: number;
  /** Process CPU time per call: what the code costs when other processes share the cores. */
  fit_cpu_ms: number;
  update_forecast_cpu_ms: number;
  mstl_cpu_ms: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

export interface BenchProgress {
  done: number;
  total: number;
  name: string;
}

export interface BenchOptions {
  /** Only files whose name contains one of these strings (all when empty). */
  filter?: readonly string[];
  onProgress?: (p: BenchProgress) => void;
  /** Skip the MSTL baseline (its fits dominate the run time). */
  noMstl?: boolean;
  /** Skip the short-horizon baseline of the engine without its nowcaster (halves that part). */
  noSeasonalBaseline?: boolean;
}

/** Every `*.csv` in dir, sorted by name. */
export function listTraceFiles(dir: string, filter: readonly string[] = []): string[] {
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
    .sort()
    .map((f) => join(dir, f));
}

/** Load a trace, clean it, and average onto aligned 5-minute buckets when finer. */
export function loadTrace(path: string, onRepairs?: (line: string) => void): RegularSeries {
  const points = parseTimestampValueCsv(readFileSync(path, 'utf8'), basename(path));
  assertMostlyUsable(points, basename(path));
  const { series, report } = engine.clean(points);
  const repaired = repairLine(basename(path), points.length, hygieneRepairs(report));
  if (repaired) onRepairs?.(repaired);
  return series.intervalMs < MIN_INTERVAL_MS ? downsample(series, MIN_INTERVAL_MS) : series;
}

/** Mean of each aligned bucket [k * to, (k + 1) * to); NaN where a bucket has no values. */
export function downsample(series: RegularSeries, toMs: number): RegularSeries {
  const { startMs, intervalMs, values } = series;
  const first = Math.floor(startMs / toMs) * toMs;
  const lastT = startMs + (values.length - 1) * intervalMs;
  const n = Math.floor((lastT - first) / toMs) + 1;
  const sums = new Float64Array(n);
  const counts = new Uint32Array(n);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    const k = Math.floor((startMs + i * intervalMs - first) / toMs);
    sums[k] = (sums[k] as number) + v;
    counts[k] = (counts[k] as number) + 1;
  }
  const out: number[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = counts[k] ? (sums[k] as number) / (counts[k] as number) : Number.NaN;
  return { startMs: first, intervalMs: toMs, values: out };
}

/** Origin indices (first forecast step = values[o]) every 6 h over the last 25%, at least 4. */
export function originsFor(n: number, intervalMs: number, h24: number): number[] {
  const last = n - h24;
  const first = Math.floor(n * (1 - EVAL_FRACTION));
  if (last < 2) return [];
  let stride = Math.max(1, Math.round(ORIGIN_EVERY_MS / intervalMs));
  const span = last - Math.min(first, last);
  if (Math.floor(span / stride) + 1 < MIN_ORIGINS) stride = Math.max(1, Math.floor(span / (MIN_ORIGINS - 1)));
  const out: number[] = [];
  for (let o = last; o >= Math.min(first, last) && o > 0; o -= stride) out.unshift(o);
  return out;
}

function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function geomean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (ok.length === 0) return Number.NaN;
  return Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length);
}

function mean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length ? ok.reduce((a, x) => a + x, 0) / ok.length : Number.NaN;
}

/** Seasonal naive with period p from origin o (values before o known), skipping gaps. */
function snaive(values: readonly number[], o: number, p: number, h: number): number {
  for (let k = Math.ceil(h / p); k <= Math.ceil(h / p) + 7; k++) {
    const idx = o + h - 1 - k * p;
    if (idx < 0) break;
    const v = values[idx] as number;
    if (!Number.isNaN(v)) return v;
  }
  for (let i = o - 1; i >= 0; i--) if (!Number.isNaN(values[i] as number)) return values[i] as number;
  return Number.NaN;
}

/** Gap-free copy for MSTL: linear interpolation inside, carried at the ends. */
function fillGaps(values: readonly number[]): number[] {
  const out = values.slice();
  let prev = -1;
  for (let i = 0; i <= out.length; i++) {
    if (i < out.length && Number.isNaN(out[i] as number)) continue;
    if (i - prev > 1) {
      const a = prev >= 0 ? (out[prev] as number) : (out[i] as number);
      const b = i < out.length ? (out[i] as number) : a;
      for (let k = prev + 1; k < i; k++) out[k] = a + ((b - a) * (k - prev)) / (i - prev);
    }
    prev = i;
  }
  return out;
}

interface Acc {
  ae: number;
  snAe: number;
  mstlAe: number;
  mstlN: number;
  sm: number;
  smN: number;
  pin: number;
  pinN: number;
  c80: number;
  c95: number;
  n: number;
}

function newAcc(): Acc {
  return { ae: 0, snAe: 0, mstlAe: 0, mstlN: 0, sm: 0, smN: 0, pin: 0, pinN: 0, c80: 0, c95: 0, n: 0 };
}

/** Evaluate one series; returns one row per horizon. */
export function benchSeries(name: string, series: RegularSeries, options: BenchOptions = {}): SeriesRow[] {
  const { values, intervalMs } = series;
  const n = values.length;
  const P = Math.round(DAY_MS / intervalMs);
  const hSteps = HORIZONS.map((h) => Math.max(1, Math.round(h.ms / intervalMs)));
  const h24 = hSteps[hSteps.length - 1] as number;
  const origins = originsFor(n, intervalMs, h24);
  if (origins.length === 0) throw new ForecastInputError(`${name}: too short for a rolling-origin benchmark`);
  const scale = maseScale(values, P, origins[0] as number);

  const accs = HORIZONS.map(() => newAcc());
  const walk = new EngineWalk(series, h24);
  const mstlWindow = Math.round(MSTL_HISTORY_MS / intervalMs);
  for (const o of origins) {
    const fc = walk.forecastAt(o);
    const mstl = options.noMstl ? null : mstlAt(values, o, mstlWindow, P, h24);
    HORIZONS.forEach((_, hi) => {
      accumulate(accs[hi] as Acc, values, o, hSteps[hi] as number, P, fc, mstl);
    });
  }

  const model = [...walk.models.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'none';
  const fitMs = median(walk.fitTimes);
  const updMs = median(walk.updateTimes);
  return HORIZONS.map((hz, hi) => {
    const acc = accs[hi] as Acc;
    const mae = acc.ae / acc.n;
    return {
      name,
      horizon: hz.name,
      model,
      mase: mae / scale,
      smape: acc.sm / Math.max(1, acc.smN),
      pinball: acc.pin / Math.max(1, acc.pinN),
      coverage80: acc.c80 / acc.n,
      coverage95: acc.c95 / acc.n,
      fit_ms: fitMs,
      update_ms: updMs,
      snaive_mae: acc.snAe / acc.n,
      mae,
      mstl_mae: acc.mstlAe / Math.max(1, acc.mstlN),
    };
  });
}

/** Last finite value before index o (NaN when none). */
export function persistenceAt(values: readonly number[], o: number): number {
  for (let i = o - 1; i >= 0; i--) if (!Number.isNaN(values[i] as number)) return values[i] as number;
  return Number.NaN;
}

/** Seasonal naive with a daily period: the value one day before step h after origin o. */
export function snaiveAt(values: readonly number[], o: number, P: number, h: number): number {
  return snaive(values, o, P, h);
}

interface ShortAcc {
  n: number;
  ae: number;
  persAe: number;
  snAe: number;
  seasAe: number;
  c80: number;
  c95: number;
}

/**
 * Short horizons of one series: from every step of the evaluation window (the last 25%, from the
 * first long-horizon origin), the engine as the forecaster runs it (update every step, refit when
 * due) forecasts the next 30 minutes; each short horizon scores the one step that far ahead against
 * persistence, daily seasonal naive and (same run) the engine without its nowcaster.
 */
export function benchShort(name: string, series: RegularSeries, options: BenchOptions = {}): ShortRow[] {
  const { values, intervalMs } = series;
  const n = values.length;
  const P = Math.round(DAY_MS / intervalMs);
  const h24 = Math.max(1, Math.round(DAY_MS / intervalMs));
  const origins = originsFor(n, intervalMs, h24);
  if (origins.length === 0) throw new ForecastInputError(`${name}: too short for a rolling-origin benchmark`);
  const steps = SHORT_HORIZONS.map((hz) => Math.max(1, Math.round(hz.ms / intervalMs)));
  const maxStep = Math.max(...steps);
  const walk = new EngineWalk(series, h24, true);
  const seasonal = options.noSeasonalBaseline ? null : new EngineWalk(series, h24, false);
  const accs: ShortAcc[] = SHORT_HORIZONS.map(() => ({
    n: 0,
    ae: 0,
    persAe: 0,
    snAe: 0,
    seasAe: 0,
    c80: 0,
    c95: 0,
  }));
  for (let o = origins[0] as number; o + maxStep <= n; o++) {
    const fc = walk.forecastShort(o, maxStep);
    const base = seasonal?.forecastShort(o, maxStep) ?? null;
    const pers = persistenceAt(values, o);
    steps.forEach((h, hi) => {
      const a = values[o + h - 1] as number;
      if (Number.isNaN(a) || Number.isNaN(pers)) return;
      const acc = accs[hi] as ShortAcc;
      acc.n++;
      acc.ae += Math.abs(a - (fc.point[h - 1] as number));
      acc.persAe += Math.abs(a - pers);
      acc.snAe += Math.abs(a - snaive(values, o, P, h));
      if (base) acc.seasAe += Math.abs(a - (base.point[h - 1] as number));
      const at = (q: number): number => fc.quantiles.find((x) => x.q === q)?.values[h - 1] ?? Number.NaN;
      if (a >= at(0.1) && a <= at(0.9)) acc.c80++;
      if (a >= at(0.025) && a <= at(0.975)) acc.c95++;
    });
  }
  return SHORT_HORIZONS.map((hz, hi) => {
    const acc = accs[hi] as ShortAcc;
    const row: ShortRow = {
      name,
      horizon: hz.name,
      step: steps[hi] as number,
      n: acc.n,
      mae: acc.ae / acc.n,
      persistence_mae: acc.persAe / acc.n,
      snaive_mae: acc.snAe / acc.n,
      coverage80: acc.c80 / acc.n,
      coverage95: acc.c95 / acc.n,
    };
    if (seasonal) row.seasonal_mae = acc.seasAe / acc.n;
    return row;
  });
}

/** MASE scale: in-sample daily seasonal naive MAE over the part before the first origin. */
function maseScale(values: readonly number[], P: number, first: number): number {
  let scaleSum = 0;
  let scaleN = 0;
  for (let i = P; i < first; i++) {
    const d = (values[i] as number) - (values[i - P] as number);
    if (!Number.isNaN(d)) {
      scaleSum += Math.abs(d);
      scaleN++;
    }
  }
  return scaleN > 0 ? scaleSum / scaleN : Number.NaN;
}

/**
 * The engine run along the series as the forecaster runs it: a fit when none exists or a refit
 * is due, otherwise the new points absorbed one at a time; then a forecast at each origin. Times
 * fits and (update + forecast) per point, and counts the models chosen.
 */
class EngineWalk {
  readonly fitTimes: number[] = [];
  readonly updateTimes: number[] = [];
  readonly models = new Map<string, number>();
  private state: ModelState | null = null;
  private pos = 0;

  constructor(
    private readonly series: RegularSeries,
    private readonly h24: number,
    private readonly nowcast = true,
  ) {}

  /** The forecast of the next `steps` steps from origin `o` (a short horizon, not timed). */
  forecastShort(o: number, steps: number): ForecastResult {
    return engine.forecast(this.advanceTo(o), { horizonSteps: steps, quantiles: BENCH_QUANTILES });
  }

  forecastAt(o: number): ForecastResult {
    const state = this.advanceTo(o);
    const t1 = performance.now();
    const fc = engine.forecast(state, { horizonSteps: this.h24, quantiles: BENCH_QUANTILES });
    const fcMs = performance.now() - t1;
    if (this.updateTimes.length > 0)
      this.updateTimes[this.updateTimes.length - 1] =
        (this.updateTimes[this.updateTimes.length - 1] as number) + fcMs;
    this.models.set(fc.model, (this.models.get(fc.model) ?? 0) + 1);
    return fc;
  }

  private advanceTo(o: number): ModelState {
    const { startMs, intervalMs, values } = this.series;
    const originMs = startMs + o * intervalMs;
    if (this.state === null || engine.needsRefit(this.state, originMs - intervalMs)) {
      const hist: RegularSeries = { startMs, intervalMs, values: values.slice(0, o) };
      const t0 = performance.now();
      this.state = engine.fit(hist, {
        horizonSteps: this.h24,
        quantiles: BENCH_QUANTILES,
        nowcast: this.nowcast,
      });
      this.fitTimes.push(performance.now() - t0);
      this.pos = o;
      return this.state;
    }
    // Absorb the new points one at a time, as the forecaster would every interval.
    let state: ModelState = this.state;
    let spent = 0;
    let count = 0;
    for (; this.pos < o; this.pos++) {
      const t0 = performance.now();
      state = engine.update(state, {
        startMs: startMs + this.pos * intervalMs,
        intervalMs,
        values: [values[this.pos] as number],
      });
      spent += performance.now() - t0;
      count++;
    }
    if (count > 0) this.updateTimes.push(spent / count);
    this.state = state;
    return state;
  }
}

/** The augurs MSTL baseline forecast at origin `o` (null when too short or the fit failed). */
function mstlAt(
  values: readonly number[],
  o: number,
  mstlWindow: number,
  P: number,
  h24: number,
): number[] | null {
  const hist = fillGaps(values.slice(Math.max(0, o - mstlWindow), o));
  const periods = hist.length >= 14 * P ? [P, 7 * P] : hist.length >= 2 * P ? [P] : [];
  if (periods.length === 0) return null;
  try {
    return mstlForecast(hist, periods, h24);
  } catch {
    return null;
  }
}

/** Add the errors of the forecast at origin `o` over the first H steps to `acc`. */
function accumulate(
  acc: Acc,
  values: readonly number[],
  o: number,
  H: number,
  P: number,
  fc: ForecastResult,
  mstl: number[] | null,
): void {
  const q = (level: number): number[] => fc.quantiles.find((x) => x.q === level)?.values ?? [];
  const paths = BENCH_QUANTILES.map(q);
  const [q025, q10, , q90, q975] = paths as [number[], number[], number[], number[], number[]];
  for (let h = 1; h <= H; h++) {
    const a = values[o + h - 1] as number;
    if (Number.isNaN(a)) continue;
    const f = fc.point[h - 1] as number;
    const sn = snaive(values, o, P, h);
    acc.n++;
    acc.ae += Math.abs(a - f);
    acc.snAe += Math.abs(a - sn);
    const m = mstl?.[h - 1];
    // A failed MSTL fit counts as seasonal naive (what an operator would fall back to).
    acc.mstlAe += Math.abs(a - (m !== undefined && Number.isFinite(m) ? m : sn));
    acc.mstlN++;
    const den = Math.abs(a) + Math.abs(f);
    if (den > 0) {
      acc.sm += (200 * Math.abs(a - f)) / den;
      acc.smN++;
    }
    BENCH_QUANTILES.forEach((level, qi) => {
      const path = paths[qi] as number[];
      const x = path[h - 1] as number;
      const d = a - x;
      acc.pin += d >= 0 ? level * d : (level - 1) * d;
      acc.pinN++;
    });
    if (a >= (q10[h - 1] as number) && a <= (q90[h - 1] as number)) acc.c80++;
    if (a >= (q025[h - 1] as number) && a <= (q975[h - 1] as number)) acc.c95++;
  }
}

export function summarise(rows: readonly SeriesRow[]): Record<HorizonName, HorizonSummary> {
  const out = {} as Record<HorizonName, HorizonSummary>;
  for (const hz of HORIZONS) {
    const rs = rows.filter((r) => r.horizon === hz.name);
    out[hz.name] = {
      geomean_rel_mae_vs_snaive: geomean(rs.map((r) => r.mae / r.snaive_mae)),
      geomean_rel_mae_vs_mstl: geomean(rs.map((r) => r.mae / r.mstl_mae)),
      mean_coverage80: mean(rs.map((r) => r.coverage80)),
      mean_coverage95: mean(rs.map((r) => r.coverage95)),
      median_fit_ms: median(rs.map((r) => r.fit_ms)),
      median_update_ms: median(rs.map((r) => r.update_ms)),
    };
  }
  return out;
}

export function summariseShort(rows: readonly ShortRow[]): Record<ShortHorizonName, ShortSummary> {
  const out = {} as Record<ShortHorizonName, ShortSummary>;
  for (const hz of SHORT_HORIZONS) {
    const rs = rows.filter((r) => r.horizon === hz.name);
    out[hz.name] = {
      geomean_rel_mae_vs_persistence: geomean(rs.map((r) => r.mae / r.persistence_mae)),
      geomean_rel_mae_vs_snaive: geomean(rs.map((r) => r.mae / r.snaive_mae)),
      geomean_rel_mae_seasonal_vs_persistence: geomean(
        rs.map((r) => (r.seasonal_mae ?? Number.NaN) / r.persistence_mae),
      ),
      mean_coverage80: mean(rs.map((r) => r.coverage80)),
      mean_coverage95: mean(rs.map((r) => r.coverage95)),
    };
  }
  return out;
}

export function runForecastBench(dir: string, options: BenchOptions = {}): BenchResult {
  const files = listTraceFiles(dir, options.filter);
  if (files.length === 0) throw new ForecastInputError(`no .csv files in ${dir}`);
  const rows: SeriesRow[] = [];
  const short: ShortRow[] = [];
  files.forEach((file, i) => {
    const name = basename(file, '.csv');
    options.onProgress?.({ done: i, total: files.length, name });
    const series = loadTrace(file);
    rows.push(...benchSeries(name, series, options));
    short.push(...benchShort(name, series, options));
  });
  options.onProgress?.({ done: files.length, total: files.length, name: '' });
  return { series: rows, short, summary: { ...summarise(rows), ...summariseShort(short) } };
}

/**
 * Fit and update+forecast speed on a 14-day, 5-minute window (4,032 points) of a series, against
 * augurs MSTL's fit+predict on the same window. Medians over `reps` repetitions.
 */
export function speedOn(name: string, series: RegularSeries, reps = 7): SpeedResult | null {
  const need = 4032;
  const extra = 288;
  if (series.intervalMs !== MIN_INTERVAL_MS || series.values.length < need) return null;
  // Timing only: past the end of the file, replay the value of one day earlier.
  const next = (i: number): number => (series.values[need + i] ?? series.values[need + i - extra]) as number;
  const values = series.values.slice(0, need);
  const hist: RegularSeries = { startMs: series.startMs, intervalMs: series.intervalMs, values };
  const fits: number[] = [];
  let state: ModelState | null = null;
  const cpuFit = process.cpuUsage();
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    state = engine.fit(hist, { horizonSteps: 288, quantiles: BENCH_QUANTILES });
    fits.push(performance.now() - t0);
  }
  const fitCpu = cpuMs(cpuFit) / reps;
  const ups: number[] = [];
  let s = state as ModelState;
  const cpuUp = process.cpuUsage();
  for (let i = 0; i < extra; i++) {
    const t0 = performance.now();
    s = engine.update(s, {
      startMs: series.startMs + (need + i) * series.intervalMs,
      intervalMs: series.intervalMs,
      values: [next(i)],
    });
    engine.forecast(s, { horizonSteps: 288, quantiles: BENCH_QUANTILES });
    ups.push(performance.now() - t0);
  }
  const upCpu = cpuMs(cpuUp) / extra;
  const mstls: number[] = [];
  const filled = fillGaps(values);
  const mstlReps = Math.min(reps, 3);
  const cpuMstl = process.cpuUsage();
  for (let r = 0; r < mstlReps; r++) {
    const t0 = performance.now();
    mstlForecast(filled, [288, 2016], 288);
    mstls.push(performance.now() - t0);
  }
  return {
    name,
    points: need,
    fit_ms: median(fits),
    update_forecast_ms: median(ups),
    mstl_ms: median(mstls),
    fit_cpu_ms: fitCpu,
    update_forecast_cpu_ms: upCpu,
    mstl_cpu_ms: cpuMs(cpuMstl) / mstlReps,
  };
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

function mark(ok: boolean): string {
  return ok ? 'ok' : 'MISS';
}

/** Plain-text summary: per-series table, then the targets with the measured values. */
export function formatReport(result: BenchResult, speed: readonly SpeedResult[]): string {
  const lines: string[] = [];
  const w = Math.max(12, ...result.series.map((r) => r.name.length));
  lines.push(
    `${'series'.padEnd(w)}  hz   ${'model'.padEnd(30)} ${'rel_sn'.padStart(7)} ${'rel_mstl'.padStart(8)} ${'mase'.padStart(7)} ${'smape'.padStart(7)} ${'cov80'.padStart(6)} ${'cov95'.padStart(6)} ${'fit_ms'.padStart(7)} ${'upd_ms'.padStart(7)}`,
  );
  for (const r of result.series)
    lines.push(
      `${r.name.padEnd(w)}  ${r.horizon.padEnd(4)} ${r.model.slice(0, 30).padEnd(30)} ${fmt(r.mae / r.snaive_mae).padStart(7)} ${fmt(r.mae / r.mstl_mae).padStart(8)} ${fmt(r.mase).padStart(7)} ${fmt(r.smape, 2).padStart(7)} ${fmt(r.coverage80).padStart(6)} ${fmt(r.coverage95).padStart(6)} ${fmt(r.fit_ms, 1).padStart(7)} ${fmt(r.update_ms, 3).padStart(7)}`,
    );
  if (result.short.length > 0) {
    lines.push('');
    lines.push(
      `${'series'.padEnd(w)}  hz   ${'step'.padStart(4)} ${'n'.padStart(6)} ${'rel_pers'.padStart(8)} ${'rel_sn'.padStart(7)} ${'seas/pers'.padStart(9)} ${'cov80'.padStart(6)} ${'cov95'.padStart(6)}`,
    );
    for (const r of result.short)
      lines.push(
        `${r.name.padEnd(w)}  ${r.horizon.padEnd(4)} ${String(r.step).padStart(4)} ${String(r.n).padStart(6)} ${fmt(r.mae / r.persistence_mae).padStart(8)} ${fmt(r.mae / r.snaive_mae).padStart(7)} ${fmt((r.seasonal_mae ?? Number.NaN) / r.persistence_mae).padStart(9)} ${fmt(r.coverage80).padStart(6)} ${fmt(r.coverage95).padStart(6)}`,
      );
  }
  lines.push('');
  lines.push('summary (against the accuracy targets)');
  for (const hz of HORIZONS) {
    const s = result.summary[hz.name];
    if (!s) continue;
    const t = TARGETS[hz.name].relSnaive;
    const [c80lo, c80hi] = TARGETS.coverage80;
    const [c95lo, c95hi] = TARGETS.coverage95;
    lines.push(
      `  ${hz.name.padEnd(4)} geomean rel MAE vs snaive ${fmt(s.geomean_rel_mae_vs_snaive)} (target <= ${t}: ${mark(s.geomean_rel_mae_vs_snaive <= t)})` +
        `  vs MSTL ${fmt(s.geomean_rel_mae_vs_mstl)} (target < 1: ${mark(s.geomean_rel_mae_vs_mstl < 1)})`,
    );
    lines.push(
      `       coverage80 ${fmt(s.mean_coverage80)} (target [${c80lo}, ${c80hi}]: ${mark(s.mean_coverage80 >= c80lo && s.mean_coverage80 <= c80hi)})` +
        `  coverage95 ${fmt(s.mean_coverage95)} (target [${c95lo}, ${c95hi}]: ${mark(s.mean_coverage95 >= c95lo && s.mean_coverage95 <= c95hi)})` +
        `  median fit ${fmt(s.median_fit_ms, 1)} ms, update+forecast ${fmt(s.median_update_ms, 3)} ms`,
    );
  }
  const tol = TARGETS.shortCoverageTolerance;
  for (const hz of SHORT_HORIZONS) {
    const s = result.summary[hz.name];
    if (!s || result.short.every((r) => r.horizon !== hz.name)) continue;
    const goal = hz.name === '15m' ? TARGETS['15m'].relPersistence : null;
    lines.push(
      `  ${hz.name.padEnd(4)} geomean rel MAE vs persistence ${fmt(s.geomean_rel_mae_vs_persistence)}` +
        (goal === null ? '' : ` (target <= ${goal}: ${mark(s.geomean_rel_mae_vs_persistence <= goal)})`) +
        `  vs snaive ${fmt(s.geomean_rel_mae_vs_snaive)}` +
        `  seasonal forecast alone vs persistence ${fmt(s.geomean_rel_mae_seasonal_vs_persistence)}`,
    );
    lines.push(
      `       coverage80 ${fmt(s.mean_coverage80)} (target 0.8 +/- ${tol}: ${mark(Math.abs(s.mean_coverage80 - 0.8) <= tol)})` +
        `  coverage95 ${fmt(s.mean_coverage95)} (target 0.95 +/- ${tol}: ${mark(Math.abs(s.mean_coverage95 - 0.95) <= tol)})`,
    );
  }
  if (speed.length > 0) {
    const fit = median(speed.map((s) => s.fit_ms));
    const upd = median(speed.map((s) => s.update_forecast_ms));
    const mstl = median(speed.map((s) => s.mstl_ms));
    lines.push(
      `  speed on 14-day 5-min windows (${speed.length} series, 4032 points): median fit ${fmt(fit, 1)} ms (target <= ${TARGETS.fitMs}: ${mark(fit <= TARGETS.fitMs)}),` +
        ` update + 24h forecast ${fmt(upd, 3)} ms (target <= ${TARGETS.updateMs}: ${mark(upd <= TARGETS.updateMs)}),` +
        ` augurs MSTL fit+predict ${fmt(mstl, 1)} ms (fit ratio engine/MSTL ${fmt(fit / mstl, 3)})`,
    );
    const fitCpu = median(speed.map((s) => s.fit_cpu_ms));
    const updCpu = median(speed.map((s) => s.update_forecast_cpu_ms));
    const mstlCpu = median(speed.map((s) => s.mstl_cpu_ms));
    lines.push(
      `  same, as process CPU time per call (robust to other load on the machine): fit ${fmt(fitCpu, 1)} ms,` +
        ` update + 24h forecast ${fmt(updCpu, 3)} ms, augurs MSTL ${fmt(mstlCpu, 1)} ms (fit ratio ${fmt(fitCpu / mstlCpu, 3)})`,
    );
  }
  return `${lines.join('\n')}\n`;
}
