import { runPrewarm } from '../../../functions/prewarm/core';
import { ManualClock } from '../../../shared/clock';
import type { ComputePool, PoolStatus } from '../../../shared/ports/compute';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const T0 = Date.UTC(2026, 0, 1);
const workload = Workload.parse(workloadInput());

/** The pools: floor and desired count set absolutely, as ECS/Application Auto Scaling and EKS do. */
function pool(desired: number) {
  const calls: string[] = [];
  let current = desired;
  let floor = 0;
  const status = (): PoolStatus => ({
    exists: true,
    desired: current,
    pending: 0,
    ready: current,
    draining: 0,
  });
  const compute: ComputePool = {
    describe: async (_w, role) =>
      role === 'primary' ? status() : { exists: false, desired: 0, pending: 0, ready: 0, draining: 0 },
    scale: async (_w, role, n) => {
      calls.push(`scale ${role} ${n}`);
      current = n;
    },
    setFloor: async (_w, role, n) => {
      calls.push(`floor ${role} ${n}`);
      floor = n;
      current = Math.max(current, n);
    },
    ensureShadow: async () => status(),
    deleteShadow: async () => undefined,
  };
  return { compute, calls, state: () => ({ desired: current, floor }) };
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
  it('leaves the pools as one delivery does: the floor is an absolute value', async () => {
    // Prepare: EventBridge delivers at least once, so the same event can arrive twice.
    const { compute, calls, state } = pool(4);
    const ports = {
      clock: new ManualClock(T0),
      compute,
      traffic: { getWeights: async () => ({ primary: 100, shadow: 0 }) },
      repositories: {
        workloads: { get: async () => ({ workload, version: 1 }) },
        predictions: {
          getLatest: async (_id: string, metric: string) => (metric === 'requests' ? prediction : undefined),
        },
        operations: { getLease: async () => undefined, get: async () => undefined },
      } as never,
    };
    const event = { 'detail-type': 'Forecast Computed', detail: { workloadId: 'checkout-api' } };

    // Act
    await runPrewarm(event, ports);
    const afterFirst = state();
    await runPrewarm(event, ports);

    // Assess: the second delivery writes the same absolute values and changes nothing.
    expect(afterFirst.floor).toBeGreaterThan(4);
    expect(state()).toEqual(afterFirst);
    expect(calls.slice(calls.length / 2)).toEqual(calls.slice(0, calls.length / 2));
  });
});
