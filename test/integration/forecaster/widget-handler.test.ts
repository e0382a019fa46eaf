import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DOCS, MAX_RANGE_MS } from '../../../functions/forecast-widget/core';
import { handler } from '../../../functions/forecast-widget/index';
import { resetRuntime, setRuntime } from '../../../functions/runtime/index';
import { resetMetricsCache } from '../../../functions/runtime/metrics';
import { ManualClock } from '../../../shared/clock';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import { ValidationError } from '../../../shared/errors';
import type { Repositories } from '../../../shared/ports/repositories';
import type { Prediction } from '../../../shared/schemas/series';
import { useDynamo } from '../../helpers/dynamo';
import { T0, workload } from '../../unit/forecaster/helpers';

jest.setTimeout(60_000);

const STEP = 300_000;
const HOUR = 3_600_000;
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:shadowscale-ForecastWidget';
const context = {
  functionName: 'shadowscale-ForecastWidget',
  awsRequestId: 'req-1',
  invokedFunctionArn: ARN,
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const cw = mockClient(CloudWatchClient);

/** What CloudWatch answers: a value every period of the asked range for every query. */
function answer(input: GetMetricDataCommandInput) {
  const start = input.StartTime?.getTime() ?? 0;
  const end = input.EndTime?.getTime() ?? 0;
  return {
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
      const times: Date[] = [];
      const values: number[] = [];
      for (let t = start; t < end; t += STEP) {
        times.push(new Date(t));
        values.push(1_000 + ((t / STEP) % 12) * 10);
      }
      return { Id: q.Id, Timestamps: times, Values: values, StatusCode: 'Complete' };
    }),
  };
}

function forecast(metric: string, generatedAt: number): Prediction {
  const point = Array.from({ length: 12 }, (_, i) => 1_000 + i * 5);
  return {
    workloadId: 'checkout-api',
    metric,
    generatedAt,
    startMs: generatedAt + STEP,
    intervalMs: STEP,
    point,
    quantiles: [0.5, 0.95].map((q) => ({ q, values: point.map((v) => v * (q === 0.5 ? 1 : 1.2)) })),
    model: 'mstl',
    confidence: 'high',
    signals: [],
  };
}

const widgetContext = (start: number, end: number, forms: Record<string, string> = {}) => ({
  dashboardName: 'shadowscale-us-east-1',
  widgetId: 'widget-7',
  timeRange: { mode: 'relative', start, end, relativeStart: end - start },
  theme: 'light',
  width: 900,
  height: 400,
  forms: { all: forms },
  params: {},
});

const reads = () => cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);

describe('forecast widget handler: DynamoDB (dynalite) and mocked CloudWatch', () => {
  const dynamo = useDynamo('widget');
  let repos: Repositories;
  let clock: ManualClock;

  beforeEach(async () => {
    cw.reset();
    resetMetricsCache();
    clock = new ManualClock(T0);
    const { client, names } = dynamo();
    repos = makeDynamoRepositories({ client, names, clock });
    setRuntime({ clock, repositories: repos });
    cw.on(GetMetricDataCommand).callsFake(answer);
    if (!(await repos.workloads.get('checkout-api'))) {
      await repos.workloads.create(workload('checkout-api'));
      for (let k = 12; k >= 1; k--)
        for (const metric of ['requests', 'cpu'])
          await repos.predictions.putPrediction(forecast(metric, T0 - k * STEP));
      await repos.predictions.putDecision({
        workloadId: 'checkout-api',
        contended: false,
        score: 0.004,
        since: T0 - HOUR,
        updatedAt: T0 - STEP,
        nextRunAt: T0 + 3 * STEP,
      });
    }
  });
  afterEach(() => {
    resetRuntime();
  });

  it('renders the workload of the widget parameters: two metric charts, actuals read in one request', async () => {
    const html = await handler(
      { workloadId: 'checkout-api', widgetContext: widgetContext(T0 - 3 * HOUR, T0) },
      context,
    );

    expect(html.match(/<figure/g)).toHaveLength(2);
    // Actuals, the stored forecasts' first steps, the newest forecast: each drawn on both charts.
    for (const series of ['actual', 'forecast one step ahead', 'newest forecast (median)'])
      expect(html.split(`data-series="${series}"`)).toHaveLength(3);
    expect(html).toContain('<b>clear</b>');
    expect(html).toContain(`endpoint="${ARN}"`);
    expect(html).not.toContain('CloudWatch has no data');
    const [read, ...more] = reads();
    expect(more).toHaveLength(0);
    expect(read?.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.MetricName)).toEqual([
      'RequestCountPerTarget',
      'CPUUtilization',
    ]);
    expect(read?.StartTime?.getTime()).toBe(T0 - 3 * HOUR);
  });

  it('shows the workload typed in the picker form before the widget parameter, and one metric when asked', async () => {
    const typed = await handler(
      { workloadId: 'other', widgetContext: widgetContext(T0 - HOUR, T0, { workloadId: ' checkout-api ' }) },
      context,
    );
    expect(typed).toContain('value="checkout-api"');

    const one = await handler(
      { workloadId: 'checkout-api', metric: 'cpu', widgetContext: widgetContext(T0 - HOUR, T0) },
      context,
    );
    expect(one.match(/<figure/g)).toHaveLength(1);
    expect(one).toContain('cpu (AWS/ECS CPUUtilization, Average)');
  });

  it('reads at most the 8 days forecasts are kept, from the zoomed range when there is one', async () => {
    await handler(
      { workloadId: 'checkout-api', widgetContext: widgetContext(T0 - 30 * 86_400_000, T0) },
      context,
    );
    const zoomed = widgetContext(T0 - 6 * HOUR, T0);
    await handler(
      {
        workloadId: 'checkout-api',
        widgetContext: {
          ...zoomed,
          timeRange: { ...zoomed.timeRange, zoom: { start: T0 - 2 * HOUR, end: T0 - HOUR } },
        },
      },
      context,
    );

    const [long, zoom] = reads();
    expect(long?.StartTime?.getTime()).toBe(T0 - MAX_RANGE_MS);
    expect([zoom?.StartTime?.getTime(), zoom?.EndTime?.getTime()]).toEqual([T0 - 2 * HOUR, T0 - HOUR]);
  });

  it.each([
    [{}, 'Type a workload id and choose Show.'],
    [{ workloadId: 'nobody' }, 'workload &quot;nobody&quot; is not registered'],
    [{ workloadId: 'bad id!' }, 'workloadId &quot;bad id!&quot;:'],
    [
      { workloadId: 'checkout-api', metric: 'memory' },
      'metric &quot;memory&quot;: workload &quot;checkout-api&quot; has requests, cpu',
    ],
  ])('answers %j with a message in the widget, not an error', async (params, text) => {
    const html = await handler({ ...params, widgetContext: widgetContext(T0 - HOUR, T0) }, context);
    expect(html).toContain(text);
    expect(html).not.toContain('<figure');
  });

  it('still shows the stored forecasts when CloudWatch refuses the read', async () => {
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    const html = await handler(
      { workloadId: 'checkout-api', widgetContext: widgetContext(T0 - HOUR, T0) },
      context,
    );

    expect(html.match(/<figure/g)).toHaveLength(2);
    expect(html).toContain('CloudWatch: AccessDenied: not authorized');
  });

  it('returns its documentation to a describe call', async () => {
    await expect(
      handler({ describe: true, widgetContext: widgetContext(T0 - HOUR, T0) }, context),
    ).resolves.toBe(DOCS);
  });

  it('refuses a malformed event, naming the field and its value', async () => {
    const bad = { workloadId: 'checkout-api', widgetContext: { timeRange: { start: 'yesterday', end: T0 } } };
    const error = await handler(bad, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/widgetContext\.timeRange\.start.*yesterday/s);
  });
});
