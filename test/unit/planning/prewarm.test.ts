import { nearestQuantile, planPrewarm } from '../../../shared/planning/prewarm';
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
describe('planPrewarm', () => {
  it.each([
    ['needs more than desired: scale out', [42_000, 8_400, 99_999], 4, 'scale-out', 10, false],
    ['step 1 is inside the window', [4_200, 50_400, 99_999], 4, 'scale-out', 12, false],
    ['already enough: hold', [42_000, 0, 99_999], 12, 'hold', 12, false],
    ['never below the minimum', [0, 0, 0], 0, 'scale-out', 2, false],
    ['capped at the maximum', [210_000, 0, 0], 4, 'scale-out', 20, true],
    ['float noise does not add a unit', [4_200 * 3, 0, 0], 2, 'scale-out', 3, false],
  ])('%s', (_name, p95, current, action, desired, limited) => {
    const d = planPrewarm(workload, [prediction('requests', p95)], current, T0);
    expect(d.action).toBe(action);
    expect(d.desired).toBe(desired);
    expect(d.limitedByMax).toBe(limited);
  });

  it('plans against the most demanding metric, at its planning quantile', () => {
    // cpu: 100 per unit → 70 at target; p95 of 700 needs 10 units; requests need 2.
    const d = planPrewarm(
      workload,
      [prediction('requests', [8_400, 8_400, 8_400]), prediction('cpu', [700, 700, 700])],
      2,
      T0,
    );
    expect(d.desired).toBe(10);
    expect(d.byMetric.map((m) => [m.metric, m.quantile, Math.ceil(m.units)])).toEqual([
      ['requests', 0.95, 2],
      ['cpu', 0.95, 10],
    ]);
  });

  it('ignores steps that already ended', () => {
    const d = planPrewarm(workload, [prediction('requests', [420_000, 4_200, 4_200, 4_200])], 1, T0 + STEP);
    expect(d.neededUnits).toBe(1);
  });

  it('holds when no forecast covers the window', () => {
    const d = planPrewarm(workload, [], 5, T0);
    expect(d).toMatchObject({ action: 'hold', desired: 5, reason: 'no forecast covers the pre-warm window' });
  });

  it.each([
    [0.95, 0.95],
    [0.9, 0.95],
    [0.7, 0.5],
    [0.725, 0.95],
  ])('nearestQuantile(%s) = %s', (q, expected) => {
    expect(nearestQuantile(prediction('requests', [1]), q).q).toBe(expected);
  });
});
