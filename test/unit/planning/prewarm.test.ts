import { type PoolState, planPools } from '../../../shared/planning/prewarm';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const T0 = Date.UTC(2026, 0, 1);
const STEP = 300_000;

/** checkout-api: requests capacityPerUnit 6000, cpu 100; target 0.7; lag 180 s; units 2..20. */
const workload = Workload.parse(workloadInput());

function prediction(metric: string, p95: number[], p50 = p95.map((v) => v / 2)): Prediction {
  return {
    workloadId: 'checkout-api',
    metric,
    generatedAt: T0,
    startMs: T0,
    intervalMs: STEP,
    point: p50,
    quantiles: [
      { q: 0.5, values: p50 },
      { q: 0.95, values: p95 },
    ],
    model: 'test',
    confidence: 'high',
    signals: [],
  };
}

// 6000 × 0.7 = 4200 requests per unit at target; the window at T0 is [T0, T0 + 180 s + 300 s):
// steps 0 and 1 (step 1 starts at T0 + 300 s < T0 + 480 s), never step 2.
const calm = (primaryDesired: number): PoolState => ({
  primaryDesired,
  shadow: { exists: false, desired: 0 },
  weights: { primary: 100, shadow: 0 },
});

describe('planPools: the primary alone', () => {
  it.each([
    ['needs more than desired: scale out', [42_000, 8_400, 99_999], 4, 'scale-out', 10, 10, false],
    ['step 1 is inside the window', [4_200, 50_400, 99_999], 4, 'scale-out', 12, 12, false],
    [
      'already enough: hold, the floor still follows the forecast',
      [42_000, 0, 99_999],
      12,
      'hold',
      12,
      10,
      false,
    ],
    ['never below the minimum', [0, 0, 0], 0, 'scale-out', 2, 2, false],
    ['capped at the maximum', [210_000, 0, 0], 4, 'scale-out', 20, 20, true],
    ['float noise does not add a unit', [4_200 * 3, 0, 0], 2, 'scale-out', 3, 3, false],
  ])('%s', (_name, p95, current, action, desired, floor, limited) => {
    const d = planPools(workload, [prediction('requests', p95)], calm(current), T0);
    expect(d.action).toBe(action);
    expect(d.desired).toBe(desired);
    expect(d.primaryFloor).toBe(floor);
    expect(d.limitedByMax).toBe(limited);
    expect(d.shadowDesired).toBeUndefined();
  });

  it('plans against the most demanding metric, at its planning quantile', () => {
    // cpu: 100 per unit → 70 at target; p95 of 700 needs 10 units; requests need 2.
    const d = planPools(
      workload,
      [prediction('requests', [8_400, 8_400, 8_400]), prediction('cpu', [700, 700, 700])],
      calm(2),
      T0,
    );
    expect(d.desired).toBe(10);
    expect(d.byMetric.map((m) => [m.metric, Math.ceil(m.units)])).toEqual([
      ['requests', 2],
      ['cpu', 10],
    ]);
  });

  it('ignores steps that already ended', () => {
    const d = planPools(
      workload,
      [prediction('requests', [420_000, 4_200, 4_200, 4_200])],
      calm(1),
      T0 + STEP,
    );
    expect(d.neededUnits).toBe(1);
  });

  it('holds when no forecast covers the window (no forecast is not a forecast of zero)', () => {
    const d = planPools(workload, [], calm(5), T0);
    expect(d).toMatchObject({ action: 'hold', desired: 5, reason: 'no forecast covers the pre-warm window' });
  });
});

describe('planPools: primary and shadow planned together', () => {
  // 16 units over the window (67,200 requests); 25 % of the traffic on the shadow pool.
  const need16 = [prediction('requests', [67_200, 67_200, 0])];
  const split = (operation?: 'migration' | 'return'): PoolState => ({
    primaryDesired: 16,
    shadow: { exists: true, desired: 8 },
    weights: { primary: 75, shadow: 25 },
    ...(operation ? { operation } : {}),
  });

  it('each pool gets its share of the need, never both the whole of it', () => {
    const d = planPools(workload, need16, split(), T0);
    expect(d.primaryFloor).toBe(12);
    expect(d.shadowDesired).toBe(4);
    expect(d.primaryFloor + (d.shadowDesired ?? 0)).toBe(d.neededUnits);
  });

  it('while a migration runs, the primary keeps the share it serves now and the shadow pool is left alone', () => {
    const d = planPools(workload, need16, split('migration'), T0);
    expect(d.primaryFloor).toBe(12);
    expect(d.shadowDesired).toBeUndefined();
  });

  it('while a return runs, the primary is planned for all the traffic (it is coming home)', () => {
    const d = planPools(workload, need16, split('return'), T0);
    expect(d.primaryFloor).toBe(16);
    expect(d.shadowDesired).toBeUndefined();
  });

  it('a shadow pool carrying traffic keeps at least one unit', () => {
    const d = planPools(workload, [prediction('requests', [100, 100, 0])], split(), T0);
    expect(d.shadowDesired).toBe(1);
  });

  it('uses the same quantile rule as the forecaster: exact, else the nearest above', () => {
    const w = Workload.parse({
      ...workloadInput(),
      metrics: [{ ...workloadInput().metrics[0], quantile: 0.7 }],
    });
    // p50 needs 1 unit, p95 needs 10: a 0.7 planning quantile plans at the 0.95 one (never below).
    const d = planPools(w, [prediction('requests', [42_000, 0, 0], [4_200, 0, 0])], calm(1), T0);
    expect(d.neededUnits).toBe(10);
  });
});
