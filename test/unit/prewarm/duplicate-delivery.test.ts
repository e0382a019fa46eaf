import { runPrewarm } from '../../../functions/prewarm/core';
import { ManualClock } from '../../../shared/clock';
import type { ComputePool, PoolStatus } from '../../../shared/ports/compute';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const T0 = Date.UTC(2026, 0, 1);
const workload = Workload.parse(workloadInput());

/** The primary pool: desired count set absolutely, as ECS UpdateService / EKS scaling config do. */
function pool(desired: number) {
  const calls: number[] = [];
  let current = desired;
  const status = (): PoolStatus => ({
    exists: true,
    desired: current,
    pending: 0,
    ready: current,
    draining: 0,
  });
  const compute: ComputePool = {
    describe: async () => status(),
    scale: async (_w, _role, n) => {
      calls.push(n);
      current = n;
    },
    ensureShadow: async () => status(),
    deleteShadow: async () => undefined,
  };
  return { compute, calls };
}

const prediction: Prediction = {
  workloadId: 'checkout-api',
  metric: 'requests',
  generatedAt: T0,
  startMs: T0,
  intervalMs: 300_000,
  point: [21_000, 4_200],
  quantiles: [
    { q: 0.5, values: [21_000, 4_200] },
    { q: 0.95, values: [42_000, 8_400] },
  ],
  model: 'test',
  confidence: 'high',
  signals: [],
};

describe('pre-warm on a duplicate Forecast Computed delivery', () => {
  it('scales out once: the second delivery finds the pool already at the planned size', async () => {
    // Prepare: EventBridge delivers at least once, so the same event can arrive twice.
    const { compute, calls } = pool(4);
    const ports = {
      clock: new ManualClock(T0),
      compute,
      repositories: {
        workloads: { get: async () => ({ workload, version: 1 }) },
        predictions: {
          getLatest: async (_id: string, metric: string) => (metric === 'requests' ? prediction : undefined),
        },
      } as never,
    };
    const event = { 'detail-type': 'Forecast Computed', detail: { workloadId: 'checkout-api' } };

    // Act
    const first = await runPrewarm(event, ports);
    const second = await runPrewarm(event, ports);

    // Assess
    expect(first).toMatchObject({ action: 'scale-out', desired: 10, previousDesired: 4 });
    expect(second).toMatchObject({ action: 'hold', desired: 10, previousDesired: 10 });
    expect(calls).toEqual([10]);
  });
});
