import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetricsSource } from '../../../shared/aws/cloudwatch-metrics';
import { ConfigError, TransientError } from '../../../shared/errors';
import type { MetricQuery } from '../../../shared/ports/metrics';
import { WorkloadMetric } from '../../../shared/schemas/workload';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const P = 300_000;
const T0 = 1_700_000_100_000 - (1_700_000_100_000 % P);

function metric(name: string, periodSeconds = 300): WorkloadMetric {
  return WorkloadMetric.parse({
    name,
    namespace: 'AWS/ECS',
    metricName: 'CPUUtilization',
    dimensions: { ServiceName: name },
    stat: 'Average',
    periodSeconds,
    capacityPerUnit: 100,
  });
}

function query(id: string, startMs = T0, endMs = T0 + 12 * P, periodSeconds = 300): MetricQuery {
  return { id, metric: metric(id, periodSeconds), startMs, endMs };
}

function source(sleeps: number[] = []) {
  return new CloudWatchMetricsSource(new CloudWatchClient({}), {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
  });
}

const series = (id: string, steps: number[], values: number[], status = 'Complete'): MetricDataResult => ({
  Id: id,
  Timestamps: steps.map((s) => new Date(T0 + s * P)),
  Values: values,
  StatusCode: status as MetricDataResult['StatusCode'],
});

const calls = () => cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);

describe('CloudWatchMetricsSource', () => {
  it('sends one aligned call with a MetricStat per query and maps results back in order', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series('m1', [0, 1], [5, 6]), series('m0', [2], [7])],
    });

    const results = await source().fetch([query('a', T0 + 1_000, T0 + 12 * P - 1), query('b')]);

    expect(calls()).toHaveLength(1);
    const input = calls()[0];
    expect(input?.StartTime).toEqual(new Date(T0));
    expect(input?.EndTime).toEqual(new Date(T0 + 12 * P));
    expect(input?.ScanBy).toBe('TimestampAscending');
    // Same aligned window, so request order is query order: a is m0, b is m1.
    expect(
      input?.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.Dimensions?.[0]?.Value]),
    ).toEqual([
      ['m0', 'a'],
      ['m1', 'b'],
    ]);
    expect(input?.MetricDataQueries?.[0]?.MetricStat).toMatchObject({ Period: 300, Stat: 'Average' });
    // Results come back in query order whatever order CloudWatch answers in; query a starts 1 s
    // after T0, so nothing at T0 could be in it, and its point at T0 + 2P is.
    expect(results).toEqual([
      { id: 'a', kind: 'data', points: [{ t: T0 + 2 * P, v: 7 }], complete: true },
      {
        id: 'b',
        kind: 'data',
        points: [
          { t: T0, v: 5 },
          { t: T0 + P, v: 6 },
        ],
        complete: true,
      },
    ]);
  });

  it('follows NextToken across pages and concatenates a series split over pages', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [series('m0', [0, 1], [1, 2], 'PartialData')], NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: [series('m0', [2, 3], [3, 4])] });

    const [result] = await source().fetch([query('a')]);

    expect(calls().map((c) => c.NextToken)).toEqual([undefined, 'page-2']);
    expect(result).toEqual({
      id: 'a',
      kind: 'data',
      points: [0, 1, 2, 3].map((s) => ({ t: T0 + s * P, v: s + 1 })),
      complete: true,
    });
  });

  it('reports PartialData left after the last page as complete: false', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('m0', [0], [1], 'PartialData')] });

    const [result] = await source().fetch([query('a')]);

    expect(result).toEqual({ id: 'a', kind: 'data', points: [{ t: T0, v: 1 }], complete: false });
  });

  it('keeps missing periods as gaps and answers no-data for an empty series, never zeros', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series('m0', [0, 5, 6], [10, Number.NaN, 12]), series('m1', [], [])],
    });

    const results = await source().fetch([query('a'), query('b')]);

    expect(results[0]).toEqual({
      id: 'a',
      kind: 'data',
      points: [
        { t: T0, v: 10 },
        { t: T0 + 6 * P, v: 12 },
      ],
      complete: true,
    });
    expect(results[1]).toEqual({ id: 'b', kind: 'no-data' });
  });

  it('retries throttling with backoff, then succeeds', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    cw.on(GetMetricDataCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ MetricDataResults: [series('m0', [0], [1])] });
    const sleeps: number[] = [];

    const [result] = await source(sleeps).fetch([query('a')]);

    expect(result).toMatchObject({ kind: 'data', points: [{ t: T0, v: 1 }] });
    expect(calls()).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
  });

  it('gives up on persistent throttling with a TransientError', async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
    );

    await expect(source().fetch([query('a')])).rejects.toBeInstanceOf(TransientError);
    expect(calls()).toHaveLength(4);
  });

  it('does not retry a non-transient error', async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('bad'), { name: 'InvalidParameterValueException' }),
    );

    await expect(source().fetch([query('a')])).rejects.toThrow('bad');
    expect(calls()).toHaveLength(1);
  });

  it('turns a Forbidden query into a ConfigError naming the metric', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('m0', [], [], 'Forbidden')] });

    await expect(source().fetch([query('a')])).rejects.toThrow(ConfigError);
  });

  it.each([
    [1, 1],
    [500, 1],
    [501, 2],
    [1_234, 3],
  ])('splits %i queries into %i calls of at most 500', async (n, expectedCalls) => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    const results = await source().fetch(Array.from({ length: n }, (_, i) => query(`q${i}`)));

    expect(calls()).toHaveLength(expectedCalls);
    for (const c of calls()) expect(c.MetricDataQueries?.length).toBeLessThanOrEqual(500);
    expect(results).toHaveLength(n);
    expect(results.every((r) => r.kind === 'no-data')).toBe(true);
  });

  it('keeps an incremental read out of a full-history call, and separates periods', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const end = T0 + 12 * P;

    await source().fetch([
      query('recent-1', end - 2 * P, end),
      query('recent-2', end - 3 * P, end),
      query('history', end - 28 * 86_400_000, end),
      query('minutely', end - 2 * P, end, 60),
    ]);

    const spans = calls()
      .map((c) => ({
        n: c.MetricDataQueries?.length,
        hours: ((c.EndTime?.getTime() ?? 0) - (c.StartTime?.getTime() ?? 0)) / 3_600_000,
      }))
      .sort((a, b) => a.hours - b.hours || (a.n ?? 0) - (b.n ?? 0));
    expect(spans).toEqual([
      { n: 1, hours: 10 / 60 },
      { n: 2, hours: 0.25 },
      { n: 1, hours: 28 * 24 },
    ]);
  });

  it('rejects duplicate query ids and empty windows', async () => {
    await expect(source().fetch([query('a'), query('a')])).rejects.toThrow(/used twice/);
    await expect(source().fetch([query('a', T0, T0)])).rejects.toThrow(/endMs/);
  });
});
