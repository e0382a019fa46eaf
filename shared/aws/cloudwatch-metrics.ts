import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { ConfigError, TransientError } from '../errors';
import { type Meter, noMeter } from '../ports/meter';
import type { MetricQuery, MetricQueryResult, MetricsSource } from '../ports/metrics';
import type { MetricPoint } from '../schemas/series';
import { Backoff, type BackoffOptions } from './backoff';

/** GetMetricData accepts at most 500 queries per request. */
export const GET_METRIC_DATA_MAX_QUERIES = 500;

// Throttling and server-side failures worth another attempt after the SDK's own retries gave up.
const RETRYABLE =
  /Throttl|TooManyRequests|RequestLimitExceeded|ServiceUnavailable|InternalFailure|InternalError/i;

export interface CloudWatchMetricsSourceOptions extends BackoffOptions {
  /** Queries per GetMetricData call (1-500, default 500). */
  maxQueriesPerCall?: number;
  /** Counts metrics requested per call answered (what GetMetricData bills). */
  meter?: Meter;
  // Backoff defaults: 4 attempts per page, first wait up to 200 ms, at most 5 s.
}

interface Planned {
  index: number;
  query: MetricQuery;
  periodMs: number;
  /** Period-aligned window: start rounded down, end rounded up. */
  alignedStart: number;
  alignedEnd: number;
}

interface Accumulated {
  points: MetricPoint[];
  status: string | undefined;
}

/**
 * CloudWatch `MetricsSource`: one GetMetricData call per group of at most 500 queries that share a
 * period and an aligned end, with every page read (`NextToken`). Windows are aligned to the period
 * (CloudWatch answers aligned buckets), and points outside a query's own [startMs, endMs) are
 * dropped, so a group may share one call even when its queries start at different times.
 * CloudWatch returns no timestamp for a period without data: such periods stay gaps, never zeros.
 * A result still `PartialData` after the last page is returned with `complete: false`.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
export class CloudWatchMetricsSource implements MetricsSource {
  private readonly maxQueries: number;
  private readonly backoff: Backoff;
  private readonly meter: Meter;

  constructor(
    private readonly client: CloudWatchClient,
    options: CloudWatchMetricsSourceOptions = {},
  ) {
    this.maxQueries = Math.min(GET_METRIC_DATA_MAX_QUERIES, Math.max(1, options.maxQueriesPerCall ?? 500));
    this.backoff = new Backoff(options, { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 });
    this.meter = options.meter ?? noMeter;
  }

  async fetch(queries: readonly MetricQuery[]): Promise<MetricQueryResult[]> {
    const ids = new Set<string>();
    const planned = queries.map((query, index): Planned => {
      if (ids.has(query.id))
        throw new ConfigError(`metric query id ${JSON.stringify(query.id)} is used twice`);
      ids.add(query.id);
      if (!(query.endMs > query.startMs)) {
        throw new ConfigError(
          `metric query ${query.id}: endMs (${query.endMs}) must be after startMs (${query.startMs})`,
        );
      }
      const periodMs = query.metric.periodSeconds * 1000;
      return {
        index,
        query,
        periodMs,
        alignedStart: Math.floor(query.startMs / periodMs) * periodMs,
        alignedEnd: Math.ceil(query.endMs / periodMs) * periodMs,
      };
    });
    const results: MetricQueryResult[] = new Array(queries.length);
    for (const call of this.plan(planned)) {
      const answers = await this.run(call);
      call.forEach((p, i) => {
        const got = answers[i] as Accumulated;
        const points = got.points
          .filter((pt) => pt.t >= p.query.startMs && pt.t < p.query.endMs)
          .sort((a, b) => a.t - b.t);
        results[p.index] =
          points.length === 0
            ? { id: p.query.id, kind: 'no-data' }
            : { id: p.query.id, kind: 'data', points, complete: got.status !== 'PartialData' };
      });
    }
    return results;
  }

  /**
   * Group queries into calls: same period and aligned end, at most `maxQueries` each, and within a
   * call the longest window at most twice the shortest (plus one period), so one full-history read
   * does not make a hundred incremental reads fetch weeks of data.
   */
  private plan(planned: Planned[]): Planned[][] {
    const groups = new Map<string, Planned[]>();
    for (const p of planned) {
      const key = `${p.periodMs}:${p.alignedEnd}`;
      const group = groups.get(key);
      if (group) group.push(p);
      else groups.set(key, [p]);
    }
    const calls: Planned[][] = [];
    for (const group of groups.values()) {
      group.sort((a, b) => b.alignedStart - a.alignedStart);
      let current: Planned[] = [];
      let shortest = 0;
      for (const p of group) {
        const span = p.alignedEnd - p.alignedStart;
        if (current.length === this.maxQueries || (current.length > 0 && span > 2 * shortest + p.periodMs)) {
          calls.push(current);
          current = [];
        }
        if (current.length === 0) shortest = span;
        current.push(p);
      }
      if (current.length > 0) calls.push(current);
    }
    return calls;
  }

  private async run(call: Planned[]): Promise<Accumulated[]> {
    const first = call[0] as Planned;
    const startMs = Math.min(...call.map((p) => p.alignedStart));
    const endMs = first.alignedEnd;
    const queries: MetricDataQuery[] = call.map((p, i) => ({
      Id: `m${i}`,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: p.query.metric.namespace,
          MetricName: p.query.metric.metricName,
          Dimensions: Object.entries(p.query.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: p.query.metric.periodSeconds,
        Stat: p.query.metric.stat,
      },
    }));
    const acc: Accumulated[] = call.map(() => ({ points: [], status: undefined }));
    let nextToken: string | undefined;
    do {
      const page = await this.page({
        MetricDataQueries: queries,
        StartTime: new Date(startMs),
        EndTime: new Date(endMs),
        ScanBy: 'TimestampAscending',
        NextToken: nextToken,
      });
      for (const result of page.MetricDataResults ?? []) {
        const i = Number(result.Id?.slice(1));
        const target = acc[i];
        const planned = call[i];
        if (!target || !planned || result.Id !== `m${i}`) continue;
        if (result.StatusCode === 'Forbidden') {
          throw new ConfigError(
            `CloudWatch refused metric ${planned.query.metric.namespace}/${planned.query.metric.metricName} (query ${planned.query.id}): Forbidden`,
          );
        }
        if (result.StatusCode === 'InternalError') {
          throw new TransientError(
            `CloudWatch answered InternalError for metric ${planned.query.metric.metricName} (query ${planned.query.id})`,
          );
        }
        target.status = result.StatusCode;
        const times = result.Timestamps ?? [];
        const values = result.Values ?? [];
        for (let k = 0; k < times.length; k++) {
          const t = times[k]?.getTime();
          const v = values[k];
          // Only real observations: a missing or non-numeric value is a gap, not a zero.
          if (t === undefined || !Number.isFinite(t) || v === undefined || !Number.isFinite(v)) continue;
          target.points.push({ t, v });
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    // Pages may repeat a timestamp for a series (e.g. a late datapoint): keep the last one.
    for (const a of acc) a.points = dedupe(a.points);
    return acc;
  }

  private async page(input: GetMetricDataCommand['input']): Promise<GetMetricDataCommandOutput> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.client.send(new GetMetricDataCommand(input));
        // Billed per metric requested, whatever the points returned; a next page asks again.
        this.meter.add('cloudwatch.metrics-requested', input.MetricDataQueries?.length ?? 0);
        this.meter.add('cloudwatch.get-metric-data-calls', 1);
        return out;
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        const retryable = RETRYABLE.test(name) || isThrottlingError(error);
        if (!retryable) throw error;
        if (attempt >= this.backoff.maxAttempts) {
          throw new TransientError(`GetMetricData still failing after ${attempt} attempts: ${name}`, {
            cause: error,
          });
        }
        await this.backoff.wait(attempt);
      }
    }
  }
}

function isThrottlingError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  return meta?.httpStatusCode === 429 || retryable?.throttling === true;
}

function dedupe(points: MetricPoint[]): MetricPoint[] {
  const byTime = new Map<number, number>();
  for (const p of points) byTime.set(p.t, p.v);
  return [...byTime].map(([t, v]) => ({ t, v }));
}

/** Default client: the SDK's adaptive retry (client-side rate limiting) on top of the loop above. */
export function createCloudWatchClient(): CloudWatchClient {
  return new CloudWatchClient({ maxAttempts: 3, retryMode: 'adaptive' });
}
