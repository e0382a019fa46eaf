import { ManualClock } from '../clock';
import type { ForecasterOptions } from '../forecaster/service';
import { planningPath } from '../planning/path';
import { metricUnits, wholeUnits } from '../planning/units';
import type { Meter } from '../ports/meter';
import type { Prediction } from '../schemas/series';
import { Workload, type WorkloadInput } from '../schemas/workload';
import { ControlLoop, type LoopWork } from '../sim/control-loop';
import type { DecisionLog } from '../sim/decisions';
import { SimFleet, type SimWorkloadOptions } from '../sim/fleet';
import { makeMemoryRepositories } from '../sim/memory-repositories';
import type { DemandTrace } from '../sim/trace';
import { parseOrThrow } from '../validation';

/**
 * The workload definition the deployed loop replays a trace as: one request metric whose unit
 * capacity and pools are the backtest's physics, the planning settings given (the product's
 * defaults otherwise), everything else as a user would leave it.
 */
export interface LoopSettings {
  /** Planning quantile of the metric. Default 0.99. */
  quantile?: number;
  /** Headroom cap above the median (fraction); Infinity or undefined for none. Default 0.2. */
  maxHeadroom?: number;
  /** The cap never plans below this quantile. Default 0.8. */
  minQuantile?: number;
  /** Learn the settings per metric from outcomes, starting from the above (the product default). */
  learn?: boolean;
}

export const DEFAULT_LOOP_SETTINGS: Required<LoopSettings> = {
  quantile: 0.99,
  maxHeadroom: 0.2,
  minQuantile: 0.8,
  learn: true,
};

export interface LoopPhysics {
  trace: DemandTrace;
  unitCapacity: number;
  targetUtilization: number;
  lagMs: number;
  metricDelayMs: number;
  drainMs: number;
  primaryMin: number;
  primaryMax: number;
  shadowMax: number;
  pricePrimary: number;
  priceShadow: number;
}

export const LOOP_WORKLOAD_ID = 'backtest';

export function loopWorkload(p: LoopPhysics, settings: LoopSettings = {}): Workload {
  const s = { ...DEFAULT_LOOP_SETTINGS, ...settings };
  const arn = (kind: string, name: string): string =>
    `arn:aws:elasticloadbalancing:us-east-1:000000000000:${kind}/${name}`;
  const input: WorkloadInput = {
    workloadId: LOOP_WORKLOAD_ID,
    compute: { kind: 'ecs', cluster: 'backtest', service: LOOP_WORKLOAD_ID },
    traffic: {
      listenerArn: arn('listener', 'app/backtest/0000000000000000/0000000000000000'),
      primaryTargetGroupArn: arn('targetgroup', 'backtest-primary/0000000000000001'),
      shadowTargetGroupArn: arn('targetgroup', 'backtest-shadow/0000000000000002'),
      loadBalancerDimension: 'app/backtest/0000000000000000',
    },
    regions: { primary: 'us-east-1' },
    capacity: {
      minUnits: p.primaryMin,
      maxUnits: p.primaryMax,
      shadowMaxUnits: p.shadowMax,
      targetUtilization: p.targetUtilization,
      provisioningLagSeconds: Math.round(p.lagMs / 1000),
      unitPricePerHour: p.pricePrimary,
      shadowUnitPricePerHour: p.priceShadow,
    },
    // The demo's migration settings (`npm start`): a two-minute bake, fifteen minutes to be healthy.
    migration: { steps: [10, 25, 50, 100], bakeSeconds: 120, healthyTimeoutSeconds: 900 },
    metrics: [
      {
        name: 'requests',
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        dimensions: { LoadBalancer: 'app/backtest/0000000000000000' },
        stat: 'Sum',
        periodSeconds: Math.round(p.trace.intervalMs / 1000),
        capacityPerUnit: p.unitCapacity,
        quantile: s.quantile,
        ...(Number.isFinite(s.maxHeadroom) ? { maxHeadroom: s.maxHeadroom } : {}),
        minQuantile: Math.min(s.minQuantile, s.quantile),
      },
    ],
    policy: { learn: s.learn },
  };
  return parseOrThrow(Workload, input, 'backtest workload');
}

export interface DeployedRun {
  fleet: SimFleet;
  workload: Workload;
  log: DecisionLog;
  counts: ControlLoop['counts'];
  /** What the loop's functions and state machines did (for a bill). */
  work: LoopWork;
  /** The median and planning path of the newest forecast at each step (units), NaN without one. */
  band: { low: Float64Array; mid: Float64Array; high: Float64Array };
  /** Bytes of the workload's item and of its profile item at the end (what registry reads read). */
  stored: { workload: number; profile: number };
}

/** How often the forecaster's schedule runs the loop (the deployed EventBridge rate). */
export const LOOP_TICK_MS = 300_000;

export interface DeployedLoopInput {
  workload: Workload;
  /** The simulated world: the trace, physics and pools of `workload`. */
  sim: SimWorkloadOptions;
  /** Before this time only the service's own target tracking runs (a warm-up). Default: the start. */
  watchFromMs?: number;
  /** Loop period. Default LOOP_TICK_MS, never shorter than the trace's step. */
  tickMs?: number;
  onStep?: (k: number, n: number) => void;
  /** Options of the forecaster service (e.g. its adaptive cadence). */
  forecaster?: Partial<ForecasterOptions>;
  /** Counts what the store, the metrics reads and the events would be billed. */
  meter?: Meter;
  /**
   * Forecasts kept per metric in the store. Default 12: the loop reads only the newest, and a
   * short history keeps a replay of months cheap (a bill should use the deployed default, 288).
   */
  predictionHistoryLimit?: number;
}

/**
 * Replay a trace through the deployed loop: a fresh in-memory store, the simulated fleet, the
 * service's own target tracking every step and, from `watchFromMs` on, the loop's tick on the
 * forecaster's schedule (forecaster, operations, pre-warm). Steps between ticks let running
 * operations go on, as Step Functions does between two forecasts.
 */
export async function runDeployedLoop(input: DeployedLoopInput): Promise<DeployedRun> {
  const { workload, sim } = input;
  const { trace } = sim;
  const n = trace.values.length;
  const iv = trace.intervalMs;
  const tickMs = Math.max(iv, input.tickMs ?? LOOP_TICK_MS);
  const watchFromMs = input.watchFromMs ?? trace.startMs;
  const clock = new ManualClock(trace.startMs);
  const fleet = new SimFleet({ clock, stepMs: iv, workloads: [{ ...sim, workload }] });
  // The loop reads only the newest prediction; a short history keeps a replay of months cheap.
  const repositories = makeMemoryRepositories({
    clock,
    options: { predictionHistoryLimit: input.predictionHistoryLimit ?? 12 },
    ...(input.meter ? { meter: input.meter } : {}),
  });
  await repositories.workloads.create(workload);
  const loop = new ControlLoop({
    fleet,
    clock,
    repositories,
    workload,
    ...(input.forecaster ? { forecaster: input.forecaster } : {}),
    ...(input.meter ? { meter: input.meter } : {}),
  });
  const band = {
    low: new Float64Array(n).fill(Number.NaN),
    mid: new Float64Array(n).fill(Number.NaN),
    high: new Float64Array(n).fill(Number.NaN),
  };
  const metric = workload.metrics[0] as Workload['metrics'][number];
  for (let k = 0; k < n; k++) {
    const t = trace.startMs + k * iv;
    if (t < watchFromMs) {
      fleet.advanceTo(t);
      loop.autoscale(t);
    } else if ((t - watchFromMs) % tickMs === 0) {
      await loop.tick(t);
      const latest = await repositories.predictions.getLatest(workload.workloadId, metric.name);
      if (latest) bandAt(band, k, t, latest, workload, metric);
    } else {
      await loop.between(t);
    }
    input.onStep?.(k, n);
  }
  await loop.settle(trace.startMs + n * iv);
  return {
    fleet,
    workload,
    log: loop.log,
    counts: loop.counts,
    work: loop.work,
    band,
    stored: repositories.workloadItemBytes(workload.workloadId),
  };
}

function bandAt(
  band: DeployedRun['band'],
  k: number,
  t: number,
  latest: Prediction,
  workload: Workload,
  metric: Workload['metrics'][number],
): void {
  const i = Math.floor((t - latest.startMs) / latest.intervalMs);
  if (i < 0 || i >= latest.point.length) return;
  const path = planningPath(latest, metric);
  band.mid[k] = metricUnits(workload, metric, latest.point[i] as number);
  band.low[k] = band.mid[k] as number;
  band.high[k] = metricUnits(workload, metric, path[i] as number);
}

/** The backtest's physics as the deployed loop's world: the workload and its simulated pools. */
export function loopWorld(
  p: LoopPhysics,
  settings: LoopSettings = {},
): { workload: Workload; sim: SimWorkloadOptions } {
  const workload = loopWorkload(p, settings);
  const metric = workload.metrics[0] as Workload['metrics'][number];
  const first = metricUnits(workload, metric, p.trace.values[0] as number);
  const initial = Math.min(p.primaryMax, Math.max(1, p.primaryMin, wholeUnits(first)));
  return {
    workload,
    sim: {
      workloadId: workload.workloadId,
      trace: p.trace,
      unitCapacity: p.unitCapacity,
      targetUtilization: p.targetUtilization,
      lagMs: p.lagMs,
      metricDelayMs: p.metricDelayMs,
      drainMs: p.drainMs,
      primary: {
        maxUnits: p.primaryMax,
        minUnits: p.primaryMin,
        pricePerUnitHour: p.pricePrimary,
        initialUnits: initial,
      },
      shadow: { maxUnits: p.shadowMax, pricePerUnitHour: p.priceShadow },
    },
  };
}
