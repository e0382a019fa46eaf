import type { z } from 'zod';
import { ValidationError } from '../../../shared/errors';
import { DETAIL_TYPES, EVENT_DETAIL_SCHEMAS } from '../../../shared/schemas/events';
import { Lease, Operation, TrafficWeights } from '../../../shared/schemas/operation';
import { MetricSeries, Prediction } from '../../../shared/schemas/series';
import { Signal } from '../../../shared/schemas/signal';
import { parseOrThrow } from '../../../shared/validation';

const T0 = Date.UTC(2026, 0, 5);

function expectRejected(schema: z.ZodType, input: unknown, path: string): void {
  expect(() => parseOrThrow(schema, input, 'record')).toThrow(ValidationError);
  try {
    parseOrThrow(schema, input, 'record');
  } catch (error) {
    expect((error as ValidationError).issues.map((i) => i.path)).toContain(path);
  }
}

const series = { metric: 'requests', startMs: T0, intervalMs: 300_000, values: [1, null, 3] };
const prediction = {
  workloadId: 'checkout-api',
  metric: 'requests',
  generatedAt: T0,
  startMs: T0 + 300_000,
  intervalMs: 300_000,
  point: [1, 2],
  quantiles: [{ q: 0.95, values: [2, 3] }],
  model: 'ets',
  confidence: 'high',
};
const signal = {
  signalId: 'deploy-42',
  tag: 'deploy',
  startsAt: T0,
  endsAt: T0 + 3_600_000,
  expectedUplift: 0.3,
};
const operation = {
  operationId: 'op-1',
  workloadId: 'checkout-api',
  kind: 'migration',
  status: 'running',
  startedAt: T0,
  updatedAt: T0,
};

describe('record schemas', () => {
  it('accept valid records', () => {
    expect(MetricSeries.parse(series).values).toEqual([1, null, 3]);
    expect(Prediction.parse(prediction).signals).toEqual([]);
    expect(Signal.parse(signal).source).toBe('manual');
    expect(Operation.parse(operation).steps).toEqual([]);
    expect(Lease.parse({ workloadId: 'a', holder: 'op-1', acquiredAt: T0, expiresAt: T0 + 1 }).holder).toBe(
      'op-1',
    );
  });

  it.each<[string, z.ZodType, unknown, string]>([
    ['series with only gaps', MetricSeries, { ...series, values: [null, null] }, 'values'],
    ['series with zero interval', MetricSeries, { ...series, intervalMs: 0 }, 'intervalMs'],
    ['series with NaN', MetricSeries, { ...series, values: [Number.NaN] }, 'values[0]'],
    ['series with an unknown field', MetricSeries, { ...series, unit: 'x' }, 'unit'],
    [
      'prediction quantile out of range',
      Prediction,
      { ...prediction, quantiles: [{ q: 1, values: [1, 2] }] },
      'quantiles[0].q',
    ],
    [
      'prediction quantile length mismatch',
      Prediction,
      { ...prediction, quantiles: [{ q: 0.5, values: [1] }] },
      'quantiles',
    ],
    ['prediction bad confidence', Prediction, { ...prediction, confidence: 'medium' }, 'confidence'],
    ['prediction missing model', Prediction, { ...prediction, model: undefined }, 'model'],
    ['signal ending before it starts', Signal, { ...signal, endsAt: T0 - 1 }, 'endsAt'],
    ['signal uplift of -100%', Signal, { ...signal, expectedUplift: -1 }, 'expectedUplift'],
    ['signal with an upper-case tag', Signal, { ...signal, tag: 'Deploy' }, 'tag'],
    ['signal longer than 31 days', Signal, { ...signal, endsAt: T0 + 32 * 86_400_000 }, 'endsAt'],
    ['operation with unknown status', Operation, { ...operation, status: 'done' }, 'status'],
    ['operation with a float time', Operation, { ...operation, startedAt: 1.5 }, 'startedAt'],
    ['weights not summing to 100', TrafficWeights, { primary: 60, shadow: 30 }, 'shadow'],
    ['weights with a fraction', TrafficWeights, { primary: 50.5, shadow: 49.5 }, 'primary'],
    ['lease without holder', Lease, { workloadId: 'a', acquiredAt: T0, expiresAt: T0 }, 'holder'],
  ])('reject %s', (_name, schema, input, path) => expectRejected(schema, input, path));
});

describe('event detail schemas', () => {
  const valid: Record<string, unknown> = {
    'Forecast Computed': {
      workloadId: 'a',
      generatedAt: T0,
      metrics: [
        { metric: 'm', model: 'ets', confidence: 'high', horizonSteps: 12, peakP50: 1, peakAtQuantile: 2 },
      ],
      contentionScore: 0,
    },
    'Contention Predicted': {
      workloadId: 'a',
      score: 0.2,
      threshold: 0.05,
      shortageAt: T0,
      peakUnits: 24,
      primaryMaxUnits: 20,
      recommendedShadowUnits: 5,
      predictedAt: T0,
    },
    'Contention Cleared': { workloadId: 'a', score: 0, clearThreshold: 0.01, clearedAt: T0 },
    'Migration Started': { workloadId: 'a', operationId: 'o', at: T0, kind: 'migration', reason: 'r' },
    'Migration Succeeded': {
      workloadId: 'a',
      operationId: 'o',
      at: T0,
      kind: 'migration',
      weights: { primary: 0, shadow: 100 },
      shadowUnits: 4,
    },
    'Migration Rolled Back': {
      workloadId: 'a',
      operationId: 'o',
      at: T0,
      kind: 'return',
      weights: { primary: 100, shadow: 0 },
      error: { name: 'GateFailedError', message: 'x' },
    },
    'Failover Started': {
      workloadId: 'a',
      operationId: 'o',
      at: T0,
      fromRegion: 'us-east-1',
      toRegion: 'us-west-2',
      reason: 'r',
    },
    'Failover Succeeded': {
      workloadId: 'a',
      operationId: 'o',
      at: T0,
      fromRegion: 'us-east-1',
      toRegion: 'us-west-2',
      regionWeights: { 'us-east-1': 0, 'us-west-2': 100 },
    },
    'Failover Rolled Back': {
      workloadId: 'a',
      operationId: 'o',
      at: T0,
      fromRegion: 'us-east-1',
      toRegion: 'us-west-2',
      regionWeights: { 'us-east-1': 100, 'us-west-2': 0 },
      error: { name: 'E', message: 'x' },
    },
    'Anomaly Detected': {
      workloadId: 'a',
      metric: 'm',
      at: T0,
      observed: 9,
      expectedLow: 1,
      expectedHigh: 2,
    },
    'Anomaly Cleared': { workloadId: 'a', metric: 'm', at: T0 + 60_000, since: T0, score: 0.2 },
    'Lifecycle Completed': {
      workloadId: 'a',
      rule: 'r',
      eventId: 'e',
      trigger: 'Anomaly Detected',
      status: 'failed',
      at: T0,
      actions: [{ type: 'notify', status: 'failed', error: { name: 'TransientError', message: 'x' } }],
    },
    'Signal Scheduled': signal,
  };

  it('has a schema and a valid example for every detail type in DESIGN.md', () => {
    expect(DETAIL_TYPES.sort()).toEqual(Object.keys(valid).sort());
  });

  it.each(DETAIL_TYPES)('%s: accepts a valid detail, rejects a missing field and an unknown one', (type) => {
    const schema = EVENT_DETAIL_SCHEMAS[type];
    const example = valid[type] as Record<string, unknown>;
    expect(schema.safeParse(example).success).toBe(true);
    const [firstKey] = Object.keys(example);
    const { [firstKey as string]: _dropped, ...missing } = example;
    expectRejected(schema, missing, firstKey as string);
    expectRejected(schema, { ...example, surprise: 1 }, 'surprise');
  });
});
