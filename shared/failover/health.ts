import { z } from 'zod';
import { planningPath } from '../planning/path';
import { assessContention, type MetricDemand } from '../planning/score';
import type { TargetHealthResult } from '../ports/metrics';
import type { Prediction } from '../schemas/series';
import type { Failover, Workload } from '../schemas/workload';

/**
 * Regional health and risk, as pure decisions. A region is judged per observation (one read of
 * its ALB metrics plus any open AWS Health issue), and its status only flips after several
 * consecutive observations agree (hysteresis), so one bad minute neither fails over nor back.
 * Separately, the forecast can put a region at risk before anything is down: predicted demand
 * beyond what the primary and the shadow pool can serve together.
 */

export type Detection = Failover['detection'];

/**
 * Seconds after the end of a minute until CloudWatch can return that minute of ALB metrics. ALB
 * sends its metrics in 60-second intervals, and an alarm on a one-minute ALB datapoint changes
 * state about a minute after the minute it describes (an alarm's state-change reason shows the
 * datapoint of 14:34:00 evaluated at 14:35:52), so a reader sees the minute [m, m+60 s) from
 * about m + 120 s: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 * and https://serverfault.com/questions/968465/cloudwatch-metrics-data-doesnt-match-alerts.
 */
export const ALB_METRIC_DELAY_SECONDS = 60;

/**
 * A region whose newest ALB datapoint ended longer ago than this has stopped publishing (its load
 * balancer is not answering): the newest minute normally ended less than 60 s + the publication
 * delay ago; 30 s more absorbs a late publication before anything reads as no data.
 */
export function staleAfterSeconds(delaySeconds: number = ALB_METRIC_DELAY_SECONDS): number {
  return 60 + delaySeconds + 30;
}

/**
 * `hard`: the region is not answering (no data, too few healthy hosts) or AWS Health has an issue
 * open for it. A soft breach (5xx rate, response time) also comes from a traffic peak the region
 * is still serving, so it must last longer before the region counts as degraded.
 */
export type Verdict =
  | { kind: 'good' }
  | { kind: 'bad'; reasons: string[]; hard?: boolean }
  /**
   * A soft breach the forecast explains: demand beyond what the region's healthy hosts serve at
   * 100 %. The region is answering and short of capacity, which the pools and the
   * predicted-shortfall path answer; it neither degrades a healthy region nor clears a degraded one.
   */
  | { kind: 'overloaded'; reasons: string[] };

/**
 * One observation of a region. No data counts as bad: an ALB publishes HealthyHostCount every
 * minute whatever the traffic, so its absence means the region is not answering, never "healthy".
 */
export function judgeRegion(
  metrics: TargetHealthResult,
  healthIssueOpen: boolean,
  detection: Detection,
  /** Units the forecast says the region's demand needs at 100 % utilisation now; absent: unknown. */
  expectedUnitsAtFull?: number,
): Verdict {
  const reasons: string[] = [];
  let hard = false;
  if (healthIssueOpen) {
    reasons.push('an AWS Health issue is open for the region');
    hard = true;
  }
  if (metrics.kind === 'no-data') {
    reasons.push(`no metrics: ${metrics.reason}`);
    hard = true;
  } else {
    const s = metrics.sample;
    const rate = s.requestCount > 0 ? s.errors5xx / s.requestCount : 0;
    if (rate > detection.max5xxRate) {
      reasons.push(`5xx rate ${(100 * rate).toFixed(1)}% > ${(100 * detection.max5xxRate).toFixed(1)}%`);
    }
    if (s.p99LatencyMs !== undefined && s.p99LatencyMs > detection.maxResponseTimeMs) {
      reasons.push(`response time ${Math.round(s.p99LatencyMs)} ms > ${detection.maxResponseTimeMs} ms`);
    }
    if (s.healthyHosts < detection.minHealthyHosts) {
      reasons.push(`${s.healthyHosts} healthy host(s) < ${detection.minHealthyHosts}`);
      hard = true;
    }
  }
  if (reasons.length === 0) return { kind: 'good' };
  if (
    !hard &&
    metrics.kind === 'data' &&
    expectedUnitsAtFull !== undefined &&
    expectedUnitsAtFull > metrics.sample.healthyHosts
  ) {
    reasons.push(
      `forecast demand needs ${expectedUnitsAtFull.toFixed(1)} unit(s) at 100 % > ${metrics.sample.healthyHosts} healthy host(s): overloaded, not degraded`,
    );
    return { kind: 'overloaded', reasons };
  }
  return { kind: 'bad', reasons, hard };
}

export interface RegionHealth {
  status: 'healthy' | 'degraded';
  /** Consecutive observations against the current status. */
  streak: number;
  /** When the status last changed (epoch ms). */
  since: number;
  reasons: string[];
}

export const HEALTHY = (now: number): RegionHealth => ({
  status: 'healthy',
  streak: 0,
  since: now,
  reasons: [],
});

/** Hysteresis: `badObservations` in a row to degrade, `goodObservations` in a row to recover. */
export function nextRegionHealth(
  state: RegionHealth,
  verdict: Verdict,
  detection: Detection,
  now: number,
): RegionHealth {
  const against = state.status === 'healthy' ? verdict.kind === 'bad' : verdict.kind === 'good';
  if (!against) return { ...state, streak: 0, reasons: verdict.kind === 'good' ? [] : verdict.reasons };
  const streak = state.streak + 1;
  // Soft breaches must last as long in wall time as `badObservations` one-minute observations
  // (the ALB metric period), whatever the sample period; hard ones count at the sample rate.
  const softFactor = Math.max(1, Math.round(60 / (detection.sampleSeconds ?? 60)));
  const degrading = state.status === 'healthy';
  const hard = verdict.kind === 'bad' && verdict.hard !== false;
  const needed = degrading ? detection.badObservations * (hard ? 1 : softFactor) : detection.goodObservations;
  const reasons = verdict.kind === 'good' ? [] : verdict.reasons;
  if (streak < needed) return { ...state, streak, reasons };
  return { status: state.status === 'healthy' ? 'degraded' : 'healthy', streak: 0, since: now, reasons };
}

/** AWS Health events as EventBridge delivers them (source `aws.health`). */
export const AwsHealthEvent = z.looseObject({
  source: z.literal('aws.health'),
  'detail-type': z.literal('AWS Health Event'),
  region: z.string().optional(),
  detail: z.looseObject({
    service: z.string(),
    eventTypeCode: z.string(),
    eventTypeCategory: z.string(),
    statusCode: z.enum(['open', 'closed', 'upcoming']),
    eventRegion: z.string().optional(),
  }),
});
export type AwsHealthEvent = z.infer<typeof AwsHealthEvent>;

/** Services whose issues take a regional web workload down. */
const RELEVANT_SERVICES = new Set(['EC2', 'ECS', 'EKS', 'ELASTICLOADBALANCING', 'FARGATE', 'VPC', 'ROUTE53']);

/** Whether an AWS Health event opens (true) or closes (false) an issue for a region; undefined: irrelevant. */
export function healthIssueChange(event: AwsHealthEvent): { region: string; open: boolean } | undefined {
  const region = event.detail.eventRegion ?? event.region;
  if (!region || event.detail.eventTypeCategory !== 'issue') return undefined;
  if (!RELEVANT_SERVICES.has(event.detail.service.toUpperCase())) return undefined;
  if (event.detail.statusCode === 'upcoming') return undefined;
  return { region, open: event.detail.statusCode === 'open' };
}

export interface ForecastRisk {
  atRisk: boolean;
  /** A forecast covers every critical metric over the horizon (else peakUnits means nothing). */
  covered: boolean;
  /** Predicted peak over the contention horizon, in units at target utilisation. */
  peakUnits: number;
  /** What the region can serve: the primary's maximum plus the shadow pool's. */
  regionalCeilingUnits: number;
  reason: string;
}

/** Demand at each metric's planning quantile over [now, now + horizon], for the planning core. */
export function demandsOver(
  workload: Workload,
  predictions: readonly Prediction[],
  nowMs: number,
  horizonMs: number,
): MetricDemand[] {
  const out: MetricDemand[] = [];
  for (const metric of workload.metrics) {
    const prediction = predictions.find((p) => p.metric === metric.name);
    if (!prediction) continue;
    // The planning core's path for this metric (its quantile, capped by its headroom if set).
    const path = planningPath(prediction, metric);
    const values: number[] = [];
    let startMs: number | undefined;
    path.forEach((value, i) => {
      const t = prediction.startMs + i * prediction.intervalMs;
      if (t + prediction.intervalMs > nowMs && t < nowMs + horizonMs && Number.isFinite(value)) {
        startMs ??= t;
        values.push(value);
      }
    });
    if (startMs !== undefined)
      out.push({ metric: metric.name, startMs, intervalMs: prediction.intervalMs, values });
  }
  return out;
}

/**
 * A region is at risk before it is down when the forecast's peak over the contention horizon
 * needs more units than the primary and the shadow pool can supply together: the shadow pool
 * alone cannot absorb it, and only the standby region can. No forecast: not at risk (and says so).
 */
export function forecastRisk(
  workload: Workload,
  predictions: readonly Prediction[],
  nowMs: number,
): ForecastRisk {
  const ceiling = workload.capacity.maxUnits + workload.capacity.shadowMaxUnits;
  const demands = demandsOver(workload, predictions, nowMs, workload.contention.horizonSeconds * 1000);
  const critical = workload.metrics.filter((m) => m.critical).map((m) => m.name);
  if (critical.some((name) => !demands.some((d) => d.metric === name))) {
    return {
      atRisk: false,
      covered: false,
      peakUnits: 0,
      regionalCeilingUnits: ceiling,
      reason: 'no forecast covers the horizon',
    };
  }
  const { peakUnits } = assessContention(workload, demands);
  const atRisk = peakUnits > ceiling;
  return {
    atRisk,
    covered: true,
    peakUnits,
    regionalCeilingUnits: ceiling,
    reason: `forecast peak ${peakUnits.toFixed(1)} unit(s) ${atRisk ? '>' : '<='} primary max + shadow max ${ceiling}`,
  };
}

/**
 * Units the forecast's demand needs at 100 % utilisation over [from, to] (the planning core's path
 * and demand → units), times the share of traffic the region gets; undefined when no forecast
 * covers every critical metric there. Compared with a region's healthy hosts it says whether a 5xx
 * or latency breach is explained by load.
 */
export function expectedUnitsAtFull(
  workload: Workload,
  predictions: readonly Prediction[],
  fromMs: number,
  toMs: number,
  share: number,
): number | undefined {
  const demands = demandsOver(workload, predictions, fromMs, Math.max(1, toMs - fromMs));
  const critical = workload.metrics.filter((m) => m.critical).map((m) => m.name);
  if (critical.length === 0 || critical.some((name) => !demands.some((d) => d.metric === name))) {
    return undefined;
  }
  const { peakUnits } = assessContention(workload, demands);
  return peakUnits * workload.capacity.targetUtilization * Math.max(0, Math.min(1, share));
}
