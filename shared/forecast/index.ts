/**
 * The forecasting engine (issue 3). Import `engine` and the types from here; everything else in
 * this folder is internal. Pure: no I/O, no clock reads. augurs (MSTL) is NOT loaded by the
 * engine; only the benchmark uses it, through `./augurs`.
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
export { DEFAULT_MAX_FILL_STEPS } from './hygiene';
