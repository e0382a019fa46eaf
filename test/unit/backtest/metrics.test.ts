import { elasticityMetrics, type RunSeries } from '../../../shared/backtest/metrics';

/**
 * A 10-step trace where every metric is computed by hand (unit capacity 1, target utilisation 1,
 * so d_t = value_t; 1-minute steps; all traffic on the primary):
 *   d = 2 2 4 4 4 2 2 2 6 2        s = 2 3 3 4 5 5 2 1 6 2
 *   U = 0 0 1 0 0 0 0 1 0 0  -> U/d = 1/4 + 1/2 = 0.75   -> θ_U = 100/10 · 0.75 = 7.5
 *   O = 0 1 0 0 1 3 0 0 0 0  -> O/d = 1/2 + 1/4 + 3/2 = 2.25 -> θ_O = 22.5
 *   τ_U = 2/10 = 20 %, τ_O = 3/10 = 30 %
 *   sgn Δs = + 0 + + 0 - - + -,  sgn Δd = 0 + 0 0 - 0 0 + -  -> 7 of 9 differ -> υ = 77.78 %
 *   overload: 2 steps -> 2 min; unserved = (1 + 1) / 30
 *   unit-hours = Σ s / 60 = 33 / 60 = 0.55; cost at 2 per unit-hour = 1.1
 */
const demand = [2, 2, 4, 4, 4, 2, 2, 2, 6, 2];
const ready = [2, 3, 3, 4, 5, 5, 2, 1, 6, 2];
const zeros = new Array<number>(10).fill(0);

function run(overrides: Partial<RunSeries> = {}): RunSeries {
  return {
    intervalMs: 60_000,
    unitCapacity: 1,
    targetUtilization: 1,
    demand,
    readyPrimary: ready,
    readyShadow: zeros,
    shadowShare: zeros,
    billedPrimary: ready,
    billedShadow: zeros,
    pricePrimary: 2,
    priceShadow: 3,
    actions: 7,
    ...overrides,
  };
}

describe('elasticityMetrics', () => {
  it('matches the hand-computed 10-step case', () => {
    const m = elasticityMetrics(run());
    expect(m.theta_u).toBeCloseTo(7.5, 9);
    expect(m.theta_o).toBeCloseTo(22.5, 9);
    expect(m.tau_u).toBeCloseTo(20, 9);
    expect(m.tau_o).toBeCloseTo(30, 9);
    expect(m.instability).toBeCloseTo((7 / 9) * 100, 9);
    expect(m.overload_minutes).toBeCloseTo(2, 9);
    expect(m.unserved_fraction).toBeCloseTo(2 / 30, 9);
    expect(m.unit_hours).toBeCloseTo(0.55, 9);
    expect(m.cost).toBeCloseTo(1.1, 9);
    expect(m.actions).toBe(7);
  });

  it('separates under-provisioning (vs target utilisation) from overload (vs 100%)', () => {
    // Target utilisation 0.5: d_t = 2·value_t. Supply of 3 units for a value of 2 is 1 unit short of
    // the target (θ_U, τ_U) but serves every request (no overload).
    const m = elasticityMetrics(
      run({
        targetUtilization: 0.5,
        demand: [2, 2],
        readyPrimary: [3, 4],
        readyShadow: [0, 0],
        shadowShare: [0, 0],
        billedPrimary: [3, 4],
        billedShadow: [0, 0],
      }),
    );
    expect(m.tau_u).toBeCloseTo(50, 9);
    expect(m.theta_u).toBeCloseTo(((1 / 4) * 100) / 2, 9);
    expect(m.tau_o).toBe(0);
    expect(m.overload_minutes).toBe(0);
    expect(m.unserved_fraction).toBe(0);
  });

  it('counts supply only where the traffic is routed (primary and shadow)', () => {
    // d = 10, 40% to a shadow of 2 units (2 short), 60% to a primary of 8 (2 in excess).
    const m = elasticityMetrics(
      run({
        demand: [10],
        readyPrimary: [8],
        readyShadow: [2],
        shadowShare: [0.4],
        billedPrimary: [8],
        billedShadow: [2],
      }),
    );
    expect(m.theta_u).toBeCloseTo(20, 9);
    expect(m.theta_o).toBeCloseTo(20, 9);
    expect(m.tau_u).toBe(100);
    expect(m.tau_o).toBe(100);
    expect(m.overload_minutes).toBeCloseTo(1, 9);
    expect(m.unserved_fraction).toBeCloseTo(0.2, 9);
    expect(m.unit_hours).toBeCloseTo(10 / 60, 9);
    expect(m.cost).toBeCloseTo((8 * 2 + 2 * 3) / 60, 9);
  });

  it('evaluates from a warm-up offset', () => {
    const m = elasticityMetrics(run({ from: 5 }));
    // steps 5..9: d = 2 2 2 6 2, s = 5 2 1 6 2 -> U at step 7 only, O at step 5 only.
    expect(m.tau_u).toBeCloseTo(20, 9);
    expect(m.tau_o).toBeCloseTo(20, 9);
    expect(m.unit_hours).toBeCloseTo(16 / 60, 9);
  });
});
