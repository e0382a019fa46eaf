import type { ElasticityMetrics } from '../../shared/backtest/metrics';

/** Elasticity metrics for bench and report tests: plausible values, overridden where a test cares. */
export function elasticity(over: Partial<ElasticityMetrics> = {}): ElasticityMetrics {
  return {
    theta_u: 1,
    theta_o: 10,
    tau_u: 10,
    tau_o: 90,
    instability: 50,
    overload_minutes: 100,
    unserved_fraction: 0.01,
    unit_hours: 100,
    cost: 100,
    actions: 10,
    ...over,
  };
}
