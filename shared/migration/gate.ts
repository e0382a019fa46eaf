import type { TargetHealthResult, TargetHealthSample } from '../ports/metrics';
import type { GateThresholds } from '../schemas/workload';

/** Counters a gate carries between checks of one step (reset when the next step starts). */
export interface GateCounters {
  noData: number;
  failed: number;
}

export type GateDecision =
  | { decision: 'pass'; counters: GateCounters; reasons: string[] }
  /** Not yet: wait and check again (no data yet, or a failed check within tolerance). */
  | { decision: 'retry'; counters: GateCounters; reasons: string[] }
  | { decision: 'fail'; cause: 'no-data' | 'unhealthy'; counters: GateCounters; reasons: string[] };

/** Threshold breaches in one sample; empty means healthy. Missing latency with requests is "no data". */
export function breaches(sample: TargetHealthSample, gate: GateThresholds): string[] {
  const out: string[] = [];
  const rate = sample.requestCount > 0 ? sample.errors5xx / sample.requestCount : 0;
  if (rate > gate.max5xxRate) {
    out.push(`5xx rate ${(rate * 100).toFixed(2)}% > ${(gate.max5xxRate * 100).toFixed(2)}%`);
  }
  if (sample.p99LatencyMs !== undefined && sample.p99LatencyMs > gate.maxP99LatencyMs) {
    out.push(`p99 ${Math.round(sample.p99LatencyMs)} ms > ${gate.maxP99LatencyMs} ms`);
  }
  if (sample.unhealthyHosts > gate.maxUnhealthyHosts) {
    out.push(`unhealthy hosts ${sample.unhealthyHosts} > ${gate.maxUnhealthyHosts}`);
  }
  if (sample.healthyHosts <= 0) out.push('no healthy host');
  return out;
}

/**
 * One gate check. "No data" (no sample, no requests in the window, or no latency yet) is never a
 * pass: it is retried up to `noDataRetries` times, then fails. Breaches are tolerated
 * `maxFailedChecks` times within a step, then fail.
 */
export function evaluateGate(
  result: TargetHealthResult,
  gate: GateThresholds,
  counters: GateCounters,
): GateDecision {
  const noDataReason =
    result.kind === 'no-data'
      ? result.reason
      : result.sample.requestCount <= 0
        ? 'no requests reached the target group in the window'
        : result.sample.p99LatencyMs === undefined
          ? 'no latency datapoint yet'
          : undefined;
  if (noDataReason !== undefined) {
    const next = { ...counters, noData: counters.noData + 1 };
    const reasons = [`no data: ${noDataReason} (${next.noData}/${gate.noDataRetries + 1})`];
    return next.noData > gate.noDataRetries
      ? { decision: 'fail', cause: 'no-data', counters: next, reasons }
      : { decision: 'retry', counters: next, reasons };
  }
  const found = result.kind === 'data' ? breaches(result.sample, gate) : [];
  if (found.length === 0) return { decision: 'pass', counters, reasons: [] };
  const next = { ...counters, failed: counters.failed + 1 };
  return next.failed > gate.maxFailedChecks
    ? { decision: 'fail', cause: 'unhealthy', counters: next, reasons: found }
    : { decision: 'retry', counters: next, reasons: found };
}
