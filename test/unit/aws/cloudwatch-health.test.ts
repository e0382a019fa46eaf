import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchTargetHealth, targetGroupDimension } from '../../../shared/aws/cloudwatch-health';
import { ManualClock } from '../../../shared/clock';
import { MemoryMeter } from '../../../shared/cost/meter';
import { ConfigError, TransientError } from '../../../shared/errors';
import { HEALTH_METRICS_PER_READ } from '../../../shared/ports/metrics';

const cw = mockClient(CloudWatchClient);
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-shadow/4b1f9e2c3d5a6f70';
const LB = 'app/prod-alb/50dc6c495c0c9188';
const NOW = Date.UTC(2026, 10, 23, 12, 0, 30);
const t = (minutesAgo: number) => new Date(Date.UTC(2026, 10, 23, 12, 0) - minutesAgo * 60_000);

function answer(results: MetricDataResult[]): void {
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: results });
}
const series = (Id: string, values: number[]): MetricDataResult => ({
  Id,
  Values: values,
  Timestamps: values.map((_, i) => t(i + 1)),
  StatusCode: 'Complete',
});

beforeEach(() => cw.reset());

describe('CloudWatchTargetHealth', () => {
  const source = () => new CloudWatchTargetHealth(new CloudWatchClient({}), new ManualClock(NOW));

  it('asks for the shadow target group metrics over the window, in one-minute periods', async () => {
    answer([]);
    await source().read(TG, LB, 120);
    const input = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(t(2));
    expect(input?.EndTime).toEqual(t(0));
    expect(
      input?.MetricDataQueries?.map((q) => [q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat]),
    ).toEqual([
      ['RequestCount', 'Sum'],
      ['HTTPCode_Target_5XX_Count', 'Sum'],
      ['TargetResponseTime', 'p99'],
      ['UnHealthyHostCount', 'Maximum'],
      ['HealthyHostCount', 'Minimum'],
    ]);
    expect(input?.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'TargetGroup', Value: 'targetgroup/checkout-shadow/4b1f9e2c3d5a6f70' },
      { Name: 'LoadBalancer', Value: LB },
    ]);
  });

  it('meters every request as the metrics it asked for, a next page asking again', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [series('requests', [5])], NextToken: 'page-2' })
      .resolves({ MetricDataResults: [series('healthy', [2])] });
    const meter = new MemoryMeter();
    await new CloudWatchTargetHealth(new CloudWatchClient({}), new ManualClock(NOW), { meter }).read(
      TG,
      LB,
      120,
    );
    const sent = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.length);
    expect(sent).toEqual([HEALTH_METRICS_PER_READ, HEALTH_METRICS_PER_READ]);
    const usage = meter.take();
    expect(usage['cloudwatch.metrics-requested']).toBe(2 * HEALTH_METRICS_PER_READ);
    expect(usage['cloudwatch.get-metric-data-calls']).toBe(2);
  });

  it('sums requests and errors, takes the worst p99 and unhealthy count, the latest healthy count', async () => {
    answer([
      series('requests', [600, 400]),
      series('errors', [3, 1]),
      series('p99', [0.25, 0.4]),
      series('unhealthy', [0, 1]),
      series('healthy', [4, 3]),
    ]);
    await expect(source().read(TG, LB, 120)).resolves.toEqual({
      kind: 'data',
      sample: { requestCount: 1_000, errors5xx: 4, p99LatencyMs: 400, unhealthyHosts: 1, healthyHosts: 4 },
    });
  });

  it('reads absent 5xx as zero errors only when requests were served', async () => {
    answer([
      series('requests', [10]),
      series('p99', [0.1]),
      series('healthy', [2]),
      series('unhealthy', [0]),
    ]);
    await expect(source().read(TG, LB, 60)).resolves.toMatchObject({
      kind: 'data',
      sample: { errors5xx: 0, requestCount: 10 },
    });
  });

  it.each<[string, MetricDataResult[]]>([
    ['nothing at all', []],
    ['no requests', [series('healthy', [2]), series('unhealthy', [0])]],
    ['no host counts', [series('requests', [10])]],
  ])('no data (%s) is its own outcome, never 0', async (_name, results) => {
    answer(results);
    await expect(source().read(TG, LB, 60)).resolves.toMatchObject({ kind: 'no-data' });
  });

  it('follows NextToken', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [series('requests', [5])], NextToken: 'n1' })
      .resolvesOnce({
        MetricDataResults: [series('requests', [7]), series('healthy', [1]), series('unhealthy', [0])],
      });
    await expect(source().read(TG, LB, 60)).resolves.toMatchObject({
      kind: 'data',
      sample: { requestCount: 12 },
    });
    expect(cw.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('n1');
  });

  it('throttling is transient; a missing load balancer dimension is a config error', async () => {
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('slow down'), { name: 'Throttling' }));
    await expect(source().read(TG, LB, 60)).rejects.toThrow(TransientError);
    await expect(source().read(TG, undefined, 60)).rejects.toThrow(ConfigError);
  });
});

describe('CloudWatchTargetHealth reading the newest published minutes (regional detector)', () => {
  // CloudWatch publishes an ALB minute about a minute after it ends: at 12:00:30 the minute of
  // 11:59 is usually not readable yet, and that must not read as a region that stopped answering.
  const source = () =>
    new CloudWatchTargetHealth(new CloudWatchClient({}), new ManualClock(NOW), {
      newestPublished: { staleAfterSeconds: 150 },
    });
  const at = (Id: string, points: [number, number][]): MetricDataResult => ({
    Id,
    Values: points.map(([, v]) => v),
    Timestamps: points.map(([minutesAgo]) => t(minutesAgo)),
    StatusCode: 'Complete',
  });

  it('looks back past the publication delay and up to the minute now', async () => {
    answer([]);
    await source().read(TG, LB, 60);
    const input = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(t(3));
    expect(input?.EndTime).toEqual(t(-1));
  });

  it('the window ends at the newest published minute, not at the clock', async () => {
    answer([
      at('requests', [
        [2, 500],
        [3, 700],
      ]),
      at('errors', [[3, 70]]),
      at('healthy', [
        [2, 4],
        [3, 2],
      ]),
      at('unhealthy', [[2, 0]]),
    ]);
    await expect(source().read(TG, LB, 60)).resolves.toEqual({
      kind: 'data',
      sample: {
        requestCount: 500,
        errors5xx: 0,
        p99LatencyMs: undefined,
        unhealthyHosts: 0,
        healthyHosts: 4,
      },
    });
  });

  it('no datapoint newer than the stale limit is no data (the load balancer stopped publishing)', async () => {
    answer([at('requests', [[4, 500]]), at('healthy', [[4, 4]])]);
    await expect(source().read(TG, LB, 60)).resolves.toMatchObject({ kind: 'no-data' });
  });
});

describe('targetGroupDimension', () => {
  it('takes the resource part of the ARN', () => {
    expect(targetGroupDimension(TG)).toBe('targetgroup/checkout-shadow/4b1f9e2c3d5a6f70');
    expect(() =>
      targetGroupDimension('arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/y'),
    ).toThrow(ConfigError);
  });
});
