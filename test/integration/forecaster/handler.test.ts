import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/forecast';
import { handler as ingestHandler } from '../../../functions/ingest-signal';
import { EVENT_BUS_ENV, resetEventsCache } from '../../../functions/runtime/events';
import { resetRuntime, setRuntime } from '../../../functions/runtime/index';
import { resetMetricsCache } from '../../../functions/runtime/metrics';
import { ManualClock } from '../../../shared/clock';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import type { Repositories } from '../../../shared/ports/repositories';
import { useDynamo } from '../../helpers/dynamo';
import { T0, workload } from '../../unit/forecaster/helpers';

jest.setTimeout(120_000);

const PERIOD = 300_000;
const DAY = 86_400_000;
const context = {
  functionName: 'forecast',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

const cw = mockClient(CloudWatchClient);
const eb = mockClient(EventBridgeClient);

/** Demand per CloudWatch series, keyed by its first dimension value; undefined = no datapoints. */
const demand = new Map<string, (t: number) => number>();

/** GetMetricData as CloudWatch answers: datapoints only where there is data, one page of 2 series. */
function answer(input: GetMetricDataCommandInput) {
  const start = input.StartTime?.getTime() ?? 0;
  const end = input.EndTime?.getTime() ?? 0;
  const queries = input.MetricDataQueries ?? [];
  const offset = Number(input.NextToken ?? 0);
  const page = queries.slice(offset, offset + 2);
  const results: MetricDataResult[] = page.map((q) => {
    const key = q.MetricStat?.Metric?.Dimensions?.[0]?.Value ?? '';
    const f = demand.get(key);
    const times: Date[] = [];
    const values: number[] = [];
    const period = (q.MetricStat?.Period ?? 300) * 1000;
    // History starts three days back, which keeps the real engine's fits quick.
    for (let t = Math.max(start, T0 - 3 * DAY); f && t < end; t += period) {
      times.push(new Date(t));
      values.push(f(t));
    }
    return { Id: q.Id, Timestamps: times, Values: values, StatusCode: 'Complete' };
  });
  return {
    MetricDataResults: results,
    ...(offset + 2 < queries.length ? { NextToken: String(offset + 2) } : {}),
  };
}

function shop(id: string) {
  return workload(id, (w) => {
    const [requests, cpu] = w.metrics;
    if (requests) requests.dimensions = { TargetGroup: `${id}-requests` };
    if (cpu) cpu.dimensions = { ServiceName: `${id}-cpu` };
  });
}

const entries = (): PutEventsRequestEntry[] =>
  eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);

describe('forecast handler end to end: DynamoDB (dynalite), mocked CloudWatch and EventBridge', () => {
  const dynamo = useDynamo('forecaster');
  let repos: Repositories;
  let clock: ManualClock;

  beforeEach(() => {
    cw.reset();
    eb.reset();
    demand.clear();
    resetMetricsCache();
    resetEventsCache();
    process.env[EVENT_BUS_ENV] = 'shadowscale-test-bus';
    clock = new ManualClock(T0);
    const { client, names } = dynamo();
    repos = makeDynamoRepositories({ client, names, clock });
    // Only the clock and the repositories are installed: CloudWatch and EventBridge are the real
    // adapters functions/runtime builds, over the mocked SDK clients.
    setRuntime({ clock, repositories: repos });
    cw.on(GetMetricDataCommand).callsFake(answer);
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
    }));
  });
  afterEach(() => {
    resetRuntime();
    delete process.env[EVENT_BUS_ENV];
  });

  it('forecasts on a schedule event, stores in DynamoDB, publishes, and isolates a workload without data', async () => {
    const ids = ['e2e-calm', 'e2e-hot', 'e2e-silent'];
    for (const id of ids) await repos.workloads.create(shop(id));
    const wave = (base: number) => (t: number) => base * (1 + 0.05 * Math.sin((2 * Math.PI * t) / DAY));
    demand.set('e2e-calm-requests', wave(40_000));
    demand.set('e2e-calm-cpu', wave(400));
    demand.set('e2e-hot-requests', wave(130_000));
    demand.set('e2e-hot-cpu', wave(400));
    demand.set('e2e-silent-requests', wave(40_000)); // e2e-silent-cpu publishes nothing

    const summary = await handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      context,
    );

    expect(summary).toMatchObject({ workloads: 3, ok: 2, failed: 1, series: 4, publishFailures: [] });
    expect(summary.outcomes[0]).toMatchObject({ workloadId: 'e2e-silent', status: 'failed' });
    expect(summary.outcomes[0]?.error).toMatch(/^NoDataError: metric cpu/);
    // Reads were paginated and every call stayed within GetMetricData's limits.
    const reads = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(reads.some((r) => r.NextToken)).toBe(true);
    for (const r of reads) expect(r.MetricDataQueries?.length).toBeLessThanOrEqual(500);

    const sent = entries();
    expect(sent.every((e) => e.Source === 'shadowscale' && e.EventBusName === 'shadowscale-test-bus')).toBe(
      true,
    );
    expect(sent.map((e) => `${e.DetailType}:${JSON.parse(e.Detail ?? '{}').workloadId}`).sort()).toEqual([
      'Contention Predicted:e2e-hot',
      'Forecast Computed:e2e-calm',
      'Forecast Computed:e2e-hot',
    ]);
    const predicted = JSON.parse(sent.find((e) => e.DetailType === 'Contention Predicted')?.Detail ?? '{}');
    expect(predicted.recommendedShadowUnits).toBeGreaterThan(0);
    expect(predicted.shortageAt).toBeGreaterThanOrEqual(T0 - 2 * PERIOD);

    expect(await repos.predictions.getDecision('e2e-hot')).toMatchObject({ contended: true });
    expect(await repos.predictions.getDecision('e2e-calm')).toMatchObject({ contended: false });
    expect(await repos.predictions.getDecision('e2e-silent')).toBeUndefined();
    const stored = await repos.predictions.getModelState('e2e-hot', 'requests');
    expect(stored?.lastPointMs).toBe(T0 - 2 * PERIOD);
    expect((await repos.predictions.getLatest('e2e-calm', 'cpu'))?.quantiles.length).toBeGreaterThan(0);

    // Ten minutes later: only new points are read, and the unchanged decision publishes nothing new.
    cw.resetHistory();
    eb.resetHistory();
    clock.set(T0 + 10 * 60_000);

    const again = await handler({ workloadIds: ['e2e-hot', 'e2e-calm'] }, context);

    expect(again).toMatchObject({ workloads: 2, ok: 2, failed: 0 });
    const starts = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.StartTime?.getTime());
    expect(new Set(starts)).toEqual(new Set([T0 - PERIOD]));
    expect(entries().map((e) => e.DetailType)).toEqual(['Forecast Computed', 'Forecast Computed']);
    expect((await repos.predictions.getModelState('e2e-hot', 'requests'))?.lastPointMs).toBe(T0);
  });

  it('reports a PutEvents entry failure in the result and keeps the decision for the next run', async () => {
    await repos.workloads.create(shop('e2e-flaky'));
    demand.set('e2e-flaky-requests', () => 130_000);
    demand.set('e2e-flaky-cpu', () => 400);
    eb.on(PutEventsCommand).callsFake((input: { Entries: { DetailType: string }[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((e, i) =>
        e.DetailType === 'Contention Predicted'
          ? { ErrorCode: 'ValidationException', ErrorMessage: 'bus rejected it' }
          : { EventId: `e-${i}` },
      ),
    }));

    const summary = await handler({ workloadIds: ['e2e-flaky'] }, context);

    expect(summary.publishFailures).toEqual([
      {
        workloadId: 'e2e-flaky',
        detailType: 'Contention Predicted',
        error: 'ValidationException: bus rejected it',
      },
    ]);
    expect(await repos.predictions.getDecision('e2e-flaky')).toBeUndefined();
  });

  it('throws a ValidationError naming the field for bad input', async () => {
    await expect(handler({ workloadIds: ['Not An Id'] }, context)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/workloadIds\[0\]|workloadIds/),
    });
  });

  it('ingests a Signal Scheduled event idempotently and the forecaster reads it', async () => {
    const event = {
      source: 'ci.deployments',
      'detail-type': 'Signal Scheduled',
      detail: {
        signalId: 'deploy-42',
        tag: 'deploy',
        workloadId: 'e2e-signal',
        startsAt: T0 + 20 * 60_000,
        endsAt: T0 + 40 * 60_000,
        expectedUplift: 0.5,
      },
    };

    const first = await ingestHandler(event, context);
    const second = await ingestHandler(event, context);

    expect(first).toEqual(second);
    const stored = await repos.signals.forWorkload('e2e-signal', [], T0, T0 + DAY);
    expect(stored.map((s) => s.signalId)).toEqual(['deploy-42']);

    await repos.workloads.create(shop('e2e-signal'));
    demand.set('e2e-signal-requests', () => 40_000);
    demand.set('e2e-signal-cpu', () => 400);
    await handler({ workloadIds: ['e2e-signal'] }, context);
    const prediction = await repos.predictions.getLatest('e2e-signal', 'requests');
    expect(prediction?.signals).toEqual(['deploy-42']);
    await expect(
      ingestHandler({ ...event, detail: { ...event.detail, endsAt: 1 } }, context),
    ).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});
