import {
  type RegionOutageOptions,
  type RegionOutageResult,
  runRegionOutage,
  STANDBY,
  scenarioWorkload,
} from '../bin/local/scenarios/region-outage';
import { resetRuntime } from '../functions/runtime';
import { ManualClock } from '../shared/clock';
import { ALB_METRIC_DELAY_SECONDS } from '../shared/failover/health';
import { mulberry32 } from '../shared/sim/random';
import { SimRegions } from '../shared/sim/regions';

/**
 * `shadowscale bench failover`: outages of the home region injected at seeded random times into
 * real traces. Shadowscale's run is the `region-outage` scenario (the deployed detector, standby
 * pre-warm leg and regional state machines); beside it, on the same simulator and demand, two
 * modelled Route 53 health-check failovers: DNS flips to the standby after detection interval x
 * failure threshold (10 s x 3), to a standby that is either unscaled (its target tracking scales
 * out after three one-minute alarm datapoints, then the provisioning lag: the anchor) or kept at
 * full size all the time (the cost ceiling).
 */
const MINUTE = 60_000;
export const ROUTE53_DETECTION_S = 10 * 3;
// Target tracking scales out after three one-minute alarm datapoints, each readable only after
// CloudWatch publishes it (the same delay the detector reads the ALB metrics with).
const TARGET_TRACKING_DELAY_MS = 3 * MINUTE + ALB_METRIC_DELAY_SECONDS * 1000;

export interface FailoverEvent {
  trace: string;
  outageAt: string;
  shadowscale: {
    recoveryS: number | null;
    unservedFraction: number;
    unservedAfterShiftFraction: number | null;
    standbyUnitHoursCalm: number;
    detectionS: number | null;
    falseTriggers: number;
    predictedFailovers: number;
    calmHours: number;
    phases: RegionOutageResult['phases'] | null;
  };
  route53Unscaled: { recoveryS: number | null; unservedFraction: number; standbyUnitHoursCalm: number };
  route53Full: { recoveryS: number | null; unservedFraction: number; standbyUnitHoursCalm: number };
}

function recovery(sim: SimRegions, outageAtMs: number, outageEndMs: number): number | null {
  for (let t = outageAtMs; t < outageEndMs; t += MINUTE) {
    const m = sim.totals(t, t + MINUTE);
    if (m.demand > 0 && m.served / m.demand >= 0.95) return (t + MINUTE - outageAtMs) / 1000;
  }
  return null;
}

/** A modelled Route 53 health-check failover on the same simulator and demand. */
export async function route53Failover(
  opts: RegionOutageOptions,
  ours: RegionOutageResult,
  standbyMode: 'unscaled' | 'full',
): Promise<{ recoveryS: number | null; unservedFraction: number; standbyUnitHoursCalm: number }> {
  const workload = scenarioWorkload(ours.unitCapacity, ours.maxUnits, opts);
  const start = opts.outageAtMs - opts.warmupMs;
  const outageEnd = opts.outageAtMs + opts.outageMs;
  const valueAt = (t: number) => {
    const i = Math.min(opts.values.length - 1, Math.max(0, Math.floor((t - opts.startMs) / opts.intervalMs)));
    const v = opts.values[i] as number;
    return Number.isFinite(v) ? Math.max(0, v) : 0;
  };
  const clock = new ManualClock(start);
  const sim = new SimRegions({
    clock,
    workload,
    demand: valueAt,
    unitCapacity: ours.unitCapacity,
    lagMs: opts.lagMs ?? 3 * MINUTE,
    homeUnits: ours.maxUnits,
    standbyUnits: standbyMode === 'full' ? ours.maxUnits : 1,
  });
  sim.advanceTo(opts.outageAtMs);
  sim.setDown('us-east-1', true);
  const flipAt = opts.outageAtMs + ROUTE53_DETECTION_S * 1000;
  sim.advanceTo(flipAt);
  await sim.router.setWeights(workload, { 'us-east-1': 0, [STANDBY]: 100 });
  if (standbyMode === 'unscaled') {
    sim.advanceTo(flipAt + TARGET_TRACKING_DELAY_MS);
    let peak = 0;
    for (let t = clock.now(); t < outageEnd; t += MINUTE) peak = Math.max(peak, valueAt(t));
    const needed = Math.min(ours.maxUnits, Math.ceil(peak / (ours.unitCapacity * 0.7)));
    await sim.standbyPool.scale(workload, needed);
  }
  sim.advanceTo(outageEnd);
  const during = sim.totals(opts.outageAtMs, outageEnd);
  return {
    recoveryS: recovery(sim, opts.outageAtMs, outageEnd),
    unservedFraction: during.demand > 0 ? during.unserved / during.demand : 0,
    standbyUnitHoursCalm: (standbyMode === 'full' ? ours.maxUnits : 1) * (opts.warmupMs / 3_600_000),
  };
}

export interface BenchTrace {
  name: string;
  startMs: number;
  intervalMs: number;
  values: ArrayLike<number>;
}

export interface FailoverBenchOptions {
  events: number;
  seed: number;
  outageMs: number;
  warmupMs: number;
  onEvent?: (done: number, total: number, event: FailoverEvent) => void;
}

export async function benchFailover(traces: readonly BenchTrace[], options: FailoverBenchOptions) {
  const rng = mulberry32(options.seed);
  const rows: FailoverEvent[] = [];
  const total = traces.length * options.events;
  for (const trace of traces) {
    const spanMs = trace.values.length * trace.intervalMs;
    // A day of history for the seasonal forecast, the warm-up, the outage and 30 minutes after.
    const earliest = trace.startMs + Math.max(86_400_000, options.warmupMs);
    const latest = trace.startMs + spanMs - options.outageMs - 30 * MINUTE;
    if (latest <= earliest) continue;
    for (let e = 0; e < options.events; e++) {
      const outageAtMs = Math.floor((earliest + rng() * (latest - earliest)) / MINUTE) * MINUTE;
      const opts: RegionOutageOptions = {
        name: trace.name,
        values: trace.values,
        startMs: trace.startMs,
        intervalMs: trace.intervalMs,
        outageAtMs,
        outageMs: options.outageMs,
        warmupMs: options.warmupMs,
        afterMs: 0,
      };
      const ours = await runRegionOutage(opts);
      resetRuntime();
      const row: FailoverEvent = {
        trace: trace.name,
        outageAt: new Date(outageAtMs).toISOString(),
        shadowscale: {
          recoveryS: ours.recoverySeconds ?? null,
          unservedFraction: ours.unservedFraction,
          unservedAfterShiftFraction: ours.unservedAfterShiftFraction ?? null,
          standbyUnitHoursCalm: ours.standbyUnitHoursCalm,
          detectionS: ours.detectedAtMs !== undefined ? (ours.detectedAtMs - outageAtMs) / 1000 : null,
          falseTriggers: ours.falseTriggers,
          predictedFailovers: ours.predictedFailovers,
          calmHours: ours.calmHours,
          phases: ours.phases ?? null,
        },
        route53Unscaled: await route53Failover(opts, ours, 'unscaled'),
        route53Full: await route53Failover(opts, ours, 'full'),
      };
      rows.push(row);
      options.onEvent?.(rows.length, total, row);
    }
  }
  return { events: rows, summary: summariseFailover(rows) };
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function summariseFailover(rows: readonly FailoverEvent[]) {
  const finite = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  const ours = median(finite(rows.map((r) => r.shadowscale.recoveryS)));
  const anchor = median(finite(rows.map((r) => r.route53Unscaled.recoveryS)));
  const full = median(finite(rows.map((r) => r.route53Full.recoveryS)));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const ourHours = sum(rows.map((r) => r.shadowscale.standbyUnitHoursCalm));
  const fullHours = sum(rows.map((r) => r.route53Full.standbyUnitHoursCalm));
  const afterShift = finite(rows.map((r) => r.shadowscale.unservedAfterShiftFraction));
  const phase = (key: keyof NonNullable<RegionOutageResult['phases']>) =>
    median(finite(rows.map((r) => r.shadowscale.phases?.[key] ?? null)));
  return {
    events: rows.length,
    /** Median seconds from the outage start to each phase of Shadowscale's failover. */
    median_phases_s: {
      detected: phase('detectedS'),
      failover_started: phase('startedS'),
      standby_ready: phase('standbyReadyS'),
      first_dns_step: phase('firstDnsStepS'),
      last_dns_step: phase('lastDnsStepS'),
      ttl: phase('ttlS'),
    },
    /** Failovers the detector started while the home region was healthy, over the calm hours. */
    false_triggers: sum(rows.map((r) => r.shadowscale.falseTriggers)),
    /** Failovers the forecast started ahead of a predicted regional shortfall (not detections). */
    predicted_failovers: sum(rows.map((r) => r.shadowscale.predictedFailovers)),
    calm_hours_observed: sum(rows.map((r) => r.shadowscale.calmHours)),
    recovered: rows.filter((r) => r.shadowscale.recoveryS !== null).length,
    median_recovery_s: { shadowscale: ours, route53_unscaled: anchor, route53_full: full },
    /** Median recovery over the anchor's (Route 53 health-check failover to an unscaled standby). */
    recovery_s_vs_route53: ours !== null && anchor ? ours / anchor : null,
    /** Median recovery over Route 53's detection + TTL (10 s x 3 + TTL 60 s). */
    recovery_s_vs_route53_detection_ttl: ours !== null ? ours / (ROUTE53_DETECTION_S + 60) : null,
    unserved_fraction: {
      shadowscale: median(rows.map((r) => r.shadowscale.unservedFraction)),
      route53_unscaled: median(rows.map((r) => r.route53Unscaled.unservedFraction)),
      route53_full: median(rows.map((r) => r.route53Full.unservedFraction)),
    },
    unserved_after_shift_fraction: median(afterShift),
    standby_unit_hours_vs_full: fullHours > 0 ? ourHours / fullHours : null,
  };
}
