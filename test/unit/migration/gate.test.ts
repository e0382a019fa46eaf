import { breaches, evaluateGate, type GateCounters } from '../../../shared/migration/gate';
import type { TargetHealthResult, TargetHealthSample } from '../../../shared/ports/metrics';
import { GateThresholds } from '../../../shared/schemas/workload';

const gate = GateThresholds.parse({
  max5xxRate: 0.01,
  maxP99LatencyMs: 500,
  noDataRetries: 2,
  maxFailedChecks: 1,
});
const healthy: TargetHealthSample = {
  requestCount: 1_000,
  errors5xx: 2,
  p99LatencyMs: 120,
  unhealthyHosts: 0,
  healthyHosts: 3,
};
const data = (patch: Partial<TargetHealthSample>): TargetHealthResult => ({
  kind: 'data',
  sample: { ...healthy, ...patch },
});
const zero: GateCounters = { noData: 0, failed: 0 };

describe('breaches', () => {
  it.each<[string, Partial<TargetHealthSample>, RegExp | undefined]>([
    ['healthy', {}, undefined],
    ['5xx rate over', { errors5xx: 20 }, /5xx rate 2\.00% > 1\.00%/],
    ['5xx rate exactly at the threshold passes', { errors5xx: 10 }, undefined],
    ['p99 over', { p99LatencyMs: 900 }, /p99 900 ms > 500 ms/],
    ['unhealthy host', { unhealthyHosts: 1 }, /unhealthy hosts 1 > 0/],
    ['no healthy host', { healthyHosts: 0 }, /no healthy host/],
  ])('%s', (_name, patch, expected) => {
    const found = breaches({ ...healthy, ...patch }, gate);
    if (expected) expect(found.join('; ')).toMatch(expected);
    else expect(found).toEqual([]);
  });
});

describe('evaluateGate', () => {
  it.each<[string, TargetHealthResult, GateCounters, string, GateCounters]>([
    ['healthy data passes', data({}), zero, 'pass', zero],
    [
      'no data is retried, never a pass',
      { kind: 'no-data', reason: 'no datapoints' },
      zero,
      'retry',
      { noData: 1, failed: 0 },
    ],
    [
      'zero requests is no data, not healthy',
      data({ requestCount: 0, errors5xx: 0 }),
      zero,
      'retry',
      { noData: 1, failed: 0 },
    ],
    [
      'no latency datapoint is no data',
      data({ p99LatencyMs: undefined }),
      zero,
      'retry',
      { noData: 1, failed: 0 },
    ],
    [
      'no data past the bound fails',
      { kind: 'no-data', reason: 'x' },
      { noData: 2, failed: 0 },
      'fail',
      { noData: 3, failed: 0 },
    ],
    ['a breach within tolerance retries', data({ errors5xx: 50 }), zero, 'retry', { noData: 0, failed: 1 }],
    [
      'a breach past tolerance fails',
      data({ errors5xx: 50 }),
      { noData: 0, failed: 1 },
      'fail',
      { noData: 0, failed: 2 },
    ],
    ['a pass keeps the counters', data({}), { noData: 2, failed: 1 }, 'pass', { noData: 2, failed: 1 }],
  ])('%s', (_name, result, counters, decision, after) => {
    const verdict = evaluateGate(result, gate, counters);
    expect(verdict.decision).toBe(decision);
    expect(verdict.counters).toEqual(after);
  });

  it('names the cause of a failure', () => {
    const noData = evaluateGate({ kind: 'no-data', reason: 'x' }, { ...gate, noDataRetries: 0 }, zero);
    const unhealthy = evaluateGate(data({ p99LatencyMs: 2_000 }), { ...gate, maxFailedChecks: 0 }, zero);
    expect(noData).toMatchObject({ decision: 'fail', cause: 'no-data' });
    expect(unhealthy).toMatchObject({
      decision: 'fail',
      cause: 'unhealthy',
      reasons: ['p99 2000 ms > 500 ms'],
    });
  });
});
