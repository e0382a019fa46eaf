/**
 * Self-contained HTML reports with inline SVG charts (no scripts, no network).
 * - `lineChart`, `timeline`, `table`, `page`: reusable pieces (series + events -> HTML), used by the
 *   backtest report and the local run's report.
 * - `renderBacktestReport(result)`: the backtest report of `shadowscale backtest --report`.
 */
export * from './backtest';
export * from './chart';
export * from './daily';
export * from './time-axis';
