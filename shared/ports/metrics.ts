import type { MetricPoint } from '../schemas/series';
import type { WorkloadMetric } from '../schemas/workload';

/** One series to read: a workload's metric over [startMs, endMs). */
export interface MetricQuery {
  /** Caller's key for matching results (unique within one call). */
  id: string;
  metric: WorkloadMetric;
  startMs: number;
  endMs: number;
}

/**
 * "No data" is its own outcome, never an empty array read as zeros. `complete: false` means the
 * source returned partial data (e.g. CloudWatch `PartialData`) that it could not finish.
 */
export type MetricQueryResult =
  | { id: string; kind: 'data'; points: MetricPoint[]; complete: boolean }
  | { id: string; kind: 'no-data' };

export interface MetricsSource {
  /** Batched read; adapters split into provider-sized calls and paginate. One result per query, same order. */
  fetch(queries: readonly MetricQuery[]): Promise<MetricQueryResult[]>;
}

/** The health of one target group over a recent window, as a gate sees it. */
export interface TargetHealthSample {
  requestCount: number;
  errors5xx: number;
  /** p99 target response time in milliseconds; undefined when there were no requests. */
  p99LatencyMs: number | undefined;
  unhealthyHosts: number;
  healthyHosts: number;
}

export type TargetHealthResult =
  | { kind: 'data'; sample: TargetHealthSample }
  | { kind: 'no-data'; reason: string };

/**
 * Metrics one health read requests: requests, 5xx, p99, unhealthy and healthy hosts, in one
 * GetMetricData request (which is billed per metric requested).
 */
export const HEALTH_METRICS_PER_READ = 5;

/** Reads the metrics a health gate needs for one target group. */
export interface TargetHealthSource {
  read(
    targetGroupArn: string,
    loadBalancerDimension: string | undefined,
    windowSeconds: number,
  ): Promise<TargetHealthResult>;
}
