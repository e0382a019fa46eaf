/**
 * The policy backtester: replay a demand trace through scaling policies under the same
 * simulated physics (`shared/sim`) and score them with the SPEC RG elasticity metrics.
 *
 * - `runBacktest(setup, names?)` / `runPolicy(setup, policy)` / `toJson(result)` — the replay.
 * - `elasticityMetrics(run)` — θU, θO, τU, τO, instability, overload, unit-hours, cost, actions.
 * - Policies: `ReactivePolicy` (+ `ReactiveTracker`), `HourlyPredictivePolicy`,
 *   `ShadowscalePolicy`, `OraclePolicy`.
 * - Pure decisions, shared with the forecaster Lambda: `desiredCapacity`, `recommendShadowUnits`,
 *   `trafficWeights`, `contentionScore`, `nextContention`, `planCapacity`, `lagSteps`, `unitsFor`.
 */
export { desiredCapacity, trafficWeights } from '../planning/capacity';
export * from './deployed';
export * from './metrics';
export * from './policies/hourly-predictive';
export * from './policies/oracle';
export * from './policies/reactive';
export * from './policy';
export * from './runner';
