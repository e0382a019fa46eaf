import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../clock';
import { ConfigError } from '../errors';
import { type Meter, noMeter } from '../ports/meter';
import type { HEALTH_METRICS_PER_READ, TargetHealthResult, TargetHealthSource } from '../ports/metrics';
import { awsFailure } from './common';

/** `targetgroup/name/id` from a target group ARN (the CloudWatch `TargetGroup` dimension). */
export function targetGroupDimension(arn: string): string {
  const at = arn.indexOf(':targetgroup/');
  if (at < 0) throw new ConfigError(`target group ARN ${arn} has no targetgroup/ part`);
  return arn.slice(at + 1);
}

const QUERIES = [
  { id: 'requests', metric: 'RequestCount', stat: 'Sum' },
  { id: 'errors', metric: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  { id: 'p99', metric: 'TargetResponseTime', stat: 'p99' },
  { id: 'unhealthy', metric: 'UnHealthyHostCount', stat: 'Maximum' },
  { id: 'healthy', metric: 'HealthyHostCount', stat: 'Minimum' },
] as const;
type QueryId = (typeof QUERIES)[number]['id'];
// The port's count of metrics per read is this list's length (a compile-time check).
const QUERY_COUNT: typeof HEALTH_METRICS_PER_READ = QUERIES.length;
void QUERY_COUNT;

/**
 * `TargetHealthSource` from the AWS/ApplicationELB metrics of one target group (dimensions
 * `TargetGroup` + `LoadBalancer`, the only per-target-group set ALB publishes), one-minute
 * periods over the window:
 * - no `RequestCount` or no host-count datapoint -> `no-data` (never read as 0 or as healthy);
 * - `HTTPCode_Target_5XX_Count` is only published when non-zero, so with requests present its
 *   absence means 0 errors;
 * - p99 is the worst one-minute p99 in the window (seconds -> ms), undefined when absent;
 * - unhealthy hosts: the worst minute; healthy hosts: the latest minute.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 */
export interface CloudWatchTargetHealthOptions {
  /**
   * Read the newest published minutes instead of the last clock minutes: the window ends at the
   * newest `RequestCount` datapoint, looked for back to `staleAfterSeconds` (CloudWatch publishes
   * an ALB minute about a minute after it ends, so the last clock minute is usually not there yet
   * and would read as no data). No datapoint that recent: `no-data` (the load balancer stopped
   * publishing). Used by the regional detector, which must not read a publication delay as an outage.
   */
  newestPublished?: { staleAfterSeconds: number };
  /** Counts what every request is billed: GetMetricData is billed per metric requested. */
  meter?: Meter;
}

/** Each query's datapoints, epoch ms and value. */
type Datapoints = Map<QueryId, { t: number; v: number }[]>;

/** One-minute queries of the five ALB metrics for one target group on one load balancer. */
function metricQueries(dimensions: { Name: string; Value: string }[]): MetricDataQuery[] {
  return QUERIES.map((q) => ({
    Id: q.id,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: q.metric, Dimensions: dimensions },
      Period: 60,
      Stat: q.stat,
    },
    ReturnData: true,
  }));
}

/**
 * The minutes to ask for: the last whole clock minutes of the window or, reading the newest
 * published minutes, back to `staleAfterSeconds` plus a window before the current minute's end.
 */
function queryWindow(
  now: number,
  windowSeconds: number,
  stale: CloudWatchTargetHealthOptions['newestPublished'],
): { windowMs: number; startMs: number; endMs: number } {
  const windowMs = Math.max(60, Math.ceil(windowSeconds / 60) * 60) * 1000;
  const endMs = stale ? Math.ceil(now / 60_000) * 60_000 : Math.floor(now / 60_000) * 60_000;
  const startMs = stale
    ? Math.floor((now - stale.staleAfterSeconds * 1000) / 60_000) * 60_000 - windowMs
    : endMs - windowMs;
  return { windowMs, startMs, endMs };
}

/**
 * Keeps the window's worth of minutes ending at the newest published `RequestCount` minute (in
 * place); `no-data` when there is none within `staleAfterSeconds`.
 */
function keepNewestPublished(
  values: Datapoints,
  stale: NonNullable<CloudWatchTargetHealthOptions['newestPublished']>,
  now: number,
  windowMs: number,
  targetGroup: string | undefined,
): TargetHealthResult | undefined {
  const newest = Math.max(...(values.get('requests') ?? []).map((p) => p.t));
  if (!Number.isFinite(newest) || newest + 60_000 < now - stale.staleAfterSeconds * 1000) {
    return {
      kind: 'no-data',
      reason: `no RequestCount datapoint for ${targetGroup} in the last ${stale.staleAfterSeconds}s`,
    };
  }
  for (const [id, list] of values) {
    values.set(
      id,
      list.filter((p) => p.t > newest - windowMs && p.t <= newest),
    );
  }
  return undefined;
}

/** Drops datapoints before `since` (in place). */
function keepSince(values: Datapoints, since: number): void {
  for (const [id, list] of values)
    values.set(
      id,
      list.filter((p) => p.t >= since),
    );
}

/**
 * The health sample from the window's datapoints: total requests and 5xx errors, the worst p99
 * (seconds -> ms), the worst unhealthy and the latest healthy host count; `no-data` without
 * requests or host counts.
 */
function sampleOf(
  values: Datapoints,
  targetGroup: string | undefined,
  windowSeconds: number,
): TargetHealthResult {
  const series = (id: QueryId) => values.get(id) ?? [];
  if (series('requests').length === 0) {
    return {
      kind: 'no-data',
      reason: `no RequestCount datapoints for ${targetGroup} in ${windowSeconds}s`,
    };
  }
  if (series('healthy').length === 0 && series('unhealthy').length === 0) {
    return { kind: 'no-data', reason: 'no HealthyHostCount/UnHealthyHostCount datapoints yet' };
  }
  const sum = (id: QueryId) => series(id).reduce((acc, p) => acc + p.v, 0);
  const max = (id: QueryId) => (series(id).length ? Math.max(...series(id).map((p) => p.v)) : undefined);
  const latest = (id: QueryId) => [...series(id)].sort((a, b) => b.t - a.t)[0]?.v;
  const p99Seconds = max('p99');
  return {
    kind: 'data',
    sample: {
      requestCount: sum('requests'),
      errors5xx: sum('errors'),
      p99LatencyMs: p99Seconds === undefined ? undefined : p99Seconds * 1000,
      unhealthyHosts: max('unhealthy') ?? 0,
      healthyHosts: latest('healthy') ?? 0,
    },
  };
}

export class CloudWatchTargetHealth implements TargetHealthSource {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly clock: Clock,
    private readonly options: CloudWatchTargetHealthOptions = {},
  ) {}

  async read(
    targetGroupArn: string,
    loadBalancerDimension: string | undefined,
    windowSeconds: number,
    options: { sinceMs?: number } = {},
  ): Promise<TargetHealthResult> {
    if (!loadBalancerDimension) {
      throw new ConfigError(
        `health gate for ${targetGroupArn} needs the load balancer dimension (app/name/id)`,
      );
    }
    const dimensions = [
      { Name: 'TargetGroup', Value: targetGroupDimension(targetGroupArn) },
      { Name: 'LoadBalancer', Value: loadBalancerDimension },
    ];
    const now = this.clock.now();
    const stale = this.options.newestPublished;
    const { windowMs, startMs, endMs } = queryWindow(now, windowSeconds, stale);
    const values = await this.fetchAll(metricQueries(dimensions), startMs, endMs);
    if (stale) {
      const none = keepNewestPublished(values, stale, now, windowMs, dimensions[0]?.Value);
      if (none) return none;
    }
    if (options.sinceMs !== undefined) keepSince(values, options.sinceMs);
    return sampleOf(values, dimensions[0]?.Value, windowSeconds);
  }

  /** Every page of the queries' datapoints over the window. */
  private async fetchAll(queries: MetricDataQuery[], startMs: number, endMs: number): Promise<Datapoints> {
    const values: Datapoints = new Map();
    let next: string | undefined;
    do {
      const out = await this.fetch(queries, startMs, endMs, next);
      for (const result of out.MetricDataResults ?? []) collect(values, result);
      next = out.NextToken;
    } while (next);
    return values;
  }

  private async fetch(queries: MetricDataQuery[], startMs: number, endMs: number, next: string | undefined) {
    try {
      const out = await this.client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          ScanBy: 'TimestampDescending',
          ...(next ? { NextToken: next } : {}),
        }),
      );
      // Billed per metric requested, whatever the points returned; a next page asks again.
      const meter = this.options.meter ?? noMeter;
      meter.add('cloudwatch.metrics-requested', queries.length);
      meter.add('cloudwatch.get-metric-data-calls', 1);
      return out;
    } catch (error) {
      throw awsFailure(error, 'GetMetricData');
    }
  }
}

function collect(into: Datapoints, result: MetricDataResult): void {
  const id = result.Id as QueryId | undefined;
  if (!id) return;
  const list = into.get(id) ?? [];
  const stamps = result.Timestamps ?? [];
  (result.Values ?? []).forEach((v, i) => {
    const t = stamps[i];
    if (Number.isFinite(v) && t) list.push({ t: t.getTime(), v });
  });
  into.set(id, list);
}
