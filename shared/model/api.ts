import type { Signal } from '../schemas/signal';

/**
 * The contract of the forecasting engine (shared/forecast). Pure: no I/O, no clock reads.
 * Consumers (the backtester's `shadowscale` policy, the forecaster Lambda, the CLI) import
 * `engine` from `shared/forecast` and use only what is declared here.
 */

/** A regular series after input hygiene: values[i] is at startMs + i * intervalMs; NaN is a gap. */
export interface RegularSeries {
  startMs: number;
  intervalMs: number;
  values: number[];
}

/** What input hygiene did to a raw series, so a user can see it. */
export interface HygieneReport {
  intervalMs: number;
  inputPoints: number;
  outputPoints: number;
  duplicatesDropped: number;
  nonNumericDropped: number;
  outOfOrder: number;
  /** Points moved onto the regular grid (irregular spacing). */
  realigned: number;
  /** Gap points filled by interpolation (short gaps only). */
  filled: number;
  /** Gap points left as gaps (long gaps). */
  gaps: number;
  /** Counter resets detected (a drop to near zero after a monotonic rise). */
  resets: number;
}

export interface CleanOptions {
  /** Known interval; inferred from the median spacing when absent. */
  intervalMs?: number;
  /** Longest gap (in steps) filled by interpolation; longer gaps stay gaps. */
  maxFillSteps?: number;
}

export interface FitOptions {
  /** Model to use; 'auto' chooses by rolling-origin backtest on the series' own past. */
  model?: 'auto' | 'ensemble' | string;
  /** Quantiles to calibrate; forecast() may ask for any, these are the ones kept exact. */
  quantiles?: readonly number[];
  /** Horizon (steps) the selection and calibration optimise for. */
  horizonSteps?: number;
  /**
   * Learn a short-horizon nowcaster that forecasts the next 30 minutes (default true with model
   * auto or ensemble; a model named explicitly forecasts alone); false keeps the seasonal
   * forecast alone there (the benchmark's baseline).
   */
  nowcast?: boolean;
}

/** Serialisable fitted state (plain JSON, well under 400 KB). Its fields are the engine's business. */
export interface ModelState {
  /** Engine format version, to refuse states written by an incompatible engine. */
  format: number;
  model: string;
  intervalMs: number;
  /** Time of the last observation absorbed. */
  lastPointMs: number;
  /** When this state was last fully fitted (data time, epoch ms). */
  fittedAtMs: number;
  confidence: 'high' | 'low';
  [key: string]: unknown;
}

export interface ForecastOptions {
  horizonSteps: number;
  quantiles: readonly number[];
  /** Future signals to apply over their windows. */
  signals?: readonly Signal[];
  /** Past signals with their tags, to learn uplift where none is given. */
  pastSignals?: readonly Signal[];
}

export interface ForecastResult {
  /** Time of the first step (= lastPointMs + intervalMs). */
  startMs: number;
  intervalMs: number;
  /** Median (p50) path. */
  point: number[];
  quantiles: { q: number; values: number[] }[];
  model: string;
  confidence: 'high' | 'low';
  /** Ids of signals that changed this forecast. */
  appliedSignals: string[];
}

export interface ForecastEngine {
  /** Regularise raw points (any order, duplicates, NaN) onto a grid; throws ForecastInputError if unusable. */
  clean(
    points: readonly { t: number; v: number }[],
    options?: CleanOptions,
  ): { series: RegularSeries; report: HygieneReport };
  /** Full fit (model selection + calibration). Throws ForecastInputError on unusable input. */
  fit(series: RegularSeries, options?: FitOptions): ModelState;
  /** Absorb new points after state.lastPointMs without a full refit. */
  update(state: ModelState, newer: RegularSeries): ModelState;
  forecast(state: ModelState, options: ForecastOptions): ForecastResult;
  /** True when errors have drifted or the state is older than the refit schedule. */
  needsRefit(state: ModelState, nowMs: number): boolean;
}
