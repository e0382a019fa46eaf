/**
 * The forecasting engine. Import `engine` and the types from here; everything else in
 * this folder is internal. Pure: no I/O, no clock reads. augurs (MSTL) is NOT loaded by the
 * engine; only the benchmark uses it, through `./augurs` (which honours `AUGURS_WASM_DIR`).
 *
 * Typical use (the forecaster Lambda, the backtester):
 *   const { series, report } = engine.clean(points);             // regular grid + what was done
 *   let state = engine.fit(series, { horizonSteps: 288 });        // model choice + calibration
 *   state = engine.update(state, newerPoints);                    // cheap, every interval
 *   const fc = engine.forecast(state, { horizonSteps: 288, quantiles: [0.5, 0.8, 0.95] });
 *   if (engine.needsRefit(state, nowMs)) state = engine.fit(history, ...); // daily or on drift
 * `state` is plain JSON (about 10-40 KB for 5-minute series) to store between runs.
 *
 * Models (chosen per series and per horizon segment by rolling-origin backtest on the series'
 * own past): naive, damped-trend ETS with optional mean reversion, daily and weekly seasonal
 * naive, a multi-seasonal profile (daily + hour-of-week) with that ETS on the residual, and
 * means of the best two or three. Quantiles come from the chosen forecast's out-of-sample errors
 * per horizon step.
 */
export type {
  CleanOptions,
  FitOptions,
  ForecastEngine,
  ForecastOptions,
  ForecastResult,
  HygieneReport,
  ModelState,
  RegularSeries,
} from './api';
export { DEFAULT_QUANTILES, type EngineState, engine, MODEL_NAMES } from './engine';
export { DEFAULT_MAX_FILL_STEPS, hygieneRepairs } from './hygiene';
