import { ManualClock } from '../clock';
import { ValidationError } from '../errors';
import type { TrafficWeights } from '../schemas/operation';
import { type FleetHistory, SimFleet } from '../sim/fleet';
import { type DemandTrace, demandUnits, onGrid } from '../sim/trace';
import { type DeployedRun, LOOP_TICK_MS, type LoopSettings, loopWorld, runDeployedLoop } from './deployed';
import { type ElasticityMetrics, elasticityMetrics } from './metrics';
import { HourlyPredictivePolicy } from './policies/hourly-predictive';
import { OraclePolicy } from './policies/oracle';
import { ReactivePolicy } from './policies/reactive';
import {
  clampUnits,
  type Decision,
  isLoopPolicy,
  type LoopPolicyName,
  POLICY_NAMES,
  type Policy,
  type PolicyName,
  type PolicyView,
} from './policy';

/** Everything a replay needs; every policy runs under exactly these physics. */
export interface BacktestSetup {
  trace: DemandTrace;
  /** Demand one unit serves at 100% utilisation, in the trace's unit. */
  unitCapacity: number;
  /** Default 0.7. */
  targetUtilization?: number;
  /** Default 3 min. */
  lagMs?: number;
  /** Default 1 min. */
  metricDelayMs?: number;
  /** Default 1 min. */
  drainMs?: number;
  /** Default 1. */
  primaryMin?: number;
  /** Default: no practical limit (10 000). */
  primaryMax?: number;
  /** Default 0 (no shadow pool). */
  shadowMax?: number;
  /** Price per unit-hour; defaults 1 and the primary's price. */
  pricePrimary?: number;
  priceShadow?: number;
  /** Planning settings of the workload the deployed loop replays (`shadowscale`). */
  shadowscale?: LoopSettings;
}

/** One policy's replay: its series (for the report), metrics and wall time. */
export interface PolicyRun {
  name: PolicyName;
  metrics: ElasticityMetrics;
  history: FleetHistory;
  /** Forecast band per step (units at target), NaN where the policy had none. */
  band?: { low: Float64Array; mid: Float64Array; high: Float64Array };
  elapsedMs: number;
}

export interface BacktestResult {
  trace: string;
  intervalMs: number;
  unitCapacity: number;
  targetUtilization: number;
  /** Demand in units at target utilisation, per step. */
  demandUnits: Float64Array;
  limits: { primaryMin: number; primaryMax: number; shadowMax: number };
  runs: PolicyRun[];
}

/** The JSON shape of `bench backtest --json`: `{"trace","interval_s","unit_capacity","policies":{...}}`. */
export interface BacktestJson {
  trace: string;
  interval_s: number;
  unit_capacity: number;
  policies: Record<string, ElasticityMetrics>;
}

interface Resolved {
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
  shadowscale: LoopSettings;
}

function resolve(s: BacktestSetup): Resolved {
  const r: Resolved = {
    // Every policy runs on the forecaster's 5-minute grid or finer: a coarser trace is interpolated
    // onto it (the deployed loop runs on that schedule, and health gates read minutes, not hours).
    trace: s.trace.intervalMs > LOOP_TICK_MS ? onGrid(s.trace, LOOP_TICK_MS) : s.trace,
    unitCapacity: s.unitCapacity,
    targetUtilization: s.targetUtilization ?? 0.7,
    lagMs: s.lagMs ?? 180_000,
    metricDelayMs: s.metricDelayMs ?? 60_000,
    drainMs: s.drainMs ?? 60_000,
    primaryMin: s.primaryMin ?? 1,
    primaryMax: s.primaryMax ?? 10_000,
    shadowMax: s.shadowMax ?? 0,
    pricePrimary: s.pricePrimary ?? 1,
    priceShadow: s.priceShadow ?? s.pricePrimary ?? 1,
    shadowscale: s.shadowscale ?? {},
  };
  const bad = (path: string, message: string, received: unknown): never => {
    throw new ValidationError(`backtest ${path} = ${String(received)}: ${message}`, [
      { path, message, received },
    ]);
  };
  if (!(r.unitCapacity > 0)) bad('unitCapacity', 'must be > 0', r.unitCapacity);
  if (!(r.targetUtilization > 0 && r.targetUtilization <= 1))
    bad('targetUtilization', 'must be in (0, 1]', r.targetUtilization);
  if (!(r.lagMs >= 0)) bad('lagMs', 'must be >= 0', r.lagMs);
  if (!(r.metricDelayMs >= 0)) bad('metricDelayMs', 'must be >= 0', r.metricDelayMs);
  if (!(Number.isInteger(r.primaryMax) && r.primaryMax >= 1))
    bad('primaryMax', 'must be an integer >= 1', r.primaryMax);
  if (!(Number.isInteger(r.primaryMin) && r.primaryMin >= 0 && r.primaryMin <= r.primaryMax))
    bad('primaryMin', `must be an integer in 0..${r.primaryMax}`, r.primaryMin);
  if (!(Number.isInteger(r.shadowMax) && r.shadowMax >= 0))
    bad('shadowMax', 'must be an integer >= 0', r.shadowMax);
  if (r.trace.values.length < 2) bad('trace', 'needs at least 2 steps', r.trace.values.length);
  return r;
}

/** The policies that decide step by step in the replay (the deployed loop acts through ports). */
export type StepPolicyName = Exclude<PolicyName, LoopPolicyName>;

/** A fresh policy by name. Only the oracle is handed the future. */
export function makePolicy(name: StepPolicyName, future: Float64Array): Policy {
  switch (name) {
    case 'reactive':
      return new ReactivePolicy();
    case 'hourly-predictive':
      return new HourlyPredictivePolicy();
    case 'oracle':
      return new OraclePolicy(future);
  }
}

const WORKLOAD = 'backtest';

/**
 * Replay the trace through one policy: at the start of every step the policy sees what was
 * published by then (metric delay) and the pools as they are; its decision is applied to the
 * simulated fleet (units ready after the lag, drain on scale-in), then the step runs.
 */
export function runPolicy(setup: BacktestSetup, policy: Policy): PolicyRun {
  const started = performance.now();
  const r = resolve(setup);
  const { trace } = r;
  const n = trace.values.length;
  const iv = trace.intervalMs;
  const d = demandUnits(trace, r.unitCapacity, r.targetUtilization);
  const clock = new ManualClock(trace.startMs);
  const initial = clampUnits(Math.ceil((d[0] as number) - 1e-9), Math.max(1, r.primaryMin), r.primaryMax);
  const fleet = new SimFleet({
    clock,
    stepMs: iv,
    workloads: [
      {
        workloadId: WORKLOAD,
        trace,
        unitCapacity: r.unitCapacity,
        targetUtilization: r.targetUtilization,
        lagMs: r.lagMs,
        metricDelayMs: r.metricDelayMs,
        drainMs: r.drainMs,
        primary: {
          maxUnits: r.primaryMax,
          minUnits: r.primaryMin,
          pricePerUnitHour: r.pricePrimary,
          initialUnits: initial,
        },
        shadow: { maxUnits: r.shadowMax, pricePerUnitHour: r.priceShadow },
      },
    ],
  });
  const w = fleet.get(WORKLOAD);
  const h = w.history;
  // What has been published: demand and ready capacity per completed step.
  const capacity = new Float64Array(n);
  const wantBand = typeof policy.band === 'function';
  const band = wantBand
    ? {
        low: new Float64Array(n).fill(Number.NaN),
        mid: new Float64Array(n).fill(Number.NaN),
        high: new Float64Array(n).fill(Number.NaN),
      }
    : undefined;
  const limits = { primaryMin: r.primaryMin, primaryMax: r.primaryMax, shadowMax: r.shadowMax };
  let visible = 0;
  for (let k = 0; k < n; k++) {
    const now = trace.startMs + k * iv;
    // Step j is published at its end plus the metric delay.
    while (visible < k && trace.startMs + (visible + 1) * iv + r.metricDelayMs <= now) visible++;
    const view: PolicyView = {
      nowMs: now,
      step: k,
      intervalMs: iv,
      lagMs: r.lagMs,
      metricDelayMs: r.metricDelayMs,
      visible,
      demand: d.subarray(0, visible),
      capacity: capacity.subarray(0, visible),
      primary: w.primary.status(),
      shadow: w.shadow.status(),
      weights: w.weights,
      limits,
    };
    apply(fleet, policy.decide(view), r);
    if (band) {
      const b = policy.band?.();
      if (b) {
        band.low[k] = b.low;
        band.mid[k] = b.mid;
        band.high[k] = b.high;
      }
    }
    fleet.step();
    capacity[k] = (h.readyPrimary[k] as number) + (h.readyShadow[k] as number);
  }
  const metrics = metricsOf(h, r, w.primary.actions + w.shadow.actions);
  const run: PolicyRun = { name: policy.name, metrics, history: h, elapsedMs: performance.now() - started };
  if (band) run.band = band;
  return run;
}

function metricsOf(h: FleetHistory, r: Resolved, actions: number): ElasticityMetrics {
  return elasticityMetrics({
    intervalMs: r.trace.intervalMs,
    unitCapacity: r.unitCapacity,
    targetUtilization: r.targetUtilization,
    demand: h.demand,
    readyPrimary: h.readyPrimary,
    readyShadow: h.readyShadow,
    shadowShare: h.shadowShare,
    billedPrimary: h.billedPrimary,
    billedShadow: h.billedShadow,
    pricePrimary: r.pricePrimary,
    priceShadow: r.priceShadow,
    actions,
  });
}

/**
 * `shadowscale`: the deployed loop (forecaster, operations, pre-warm) over the same physics, its
 * planning settings learned; `shadowscale-fixed`: the same loop at the fixed settings.
 */
export async function runShadowscale(
  setup: BacktestSetup,
  onStep?: (k: number, n: number) => void,
  name: LoopPolicyName = 'shadowscale',
): Promise<PolicyRun & { deployed: DeployedRun }> {
  const started = performance.now();
  const r = resolve(setup);
  const settings = { ...r.shadowscale, learn: name === 'shadowscale' && r.shadowscale.learn !== false };
  const deployed = await runDeployedLoop({ ...loopWorld(r, settings), ...(onStep ? { onStep } : {}) });
  const w = deployed.fleet.get(deployed.workload.workloadId);
  return {
    name,
    metrics: metricsOf(w.history, r, w.primary.actions + w.shadow.actions),
    history: w.history,
    band: deployed.band,
    elapsedMs: performance.now() - started,
    deployed,
  };
}

/** Never route to a pool with no ready unit: such weights are moved to the pool that has one. */
export function safeWeights(
  wanted: TrafficWeights,
  primaryReady: number,
  shadowReady: number,
): TrafficWeights {
  if (wanted.shadow > 0 && shadowReady <= 0) return { primary: 100, shadow: 0 };
  if (wanted.primary > 0 && primaryReady <= 0 && shadowReady > 0) return { primary: 0, shadow: 100 };
  return wanted;
}

function apply(fleet: SimFleet, decision: Decision, r: Resolved): void {
  const w = fleet.get(WORKLOAD);
  const primary = clampUnits(Math.round(decision.primary), r.primaryMin, r.primaryMax);
  if (primary !== w.primary.desired) fleet.setDesired(WORKLOAD, 'primary', primary);
  if (decision.shadow !== undefined && r.shadowMax > 0) {
    const shadow = clampUnits(Math.round(decision.shadow), 0, r.shadowMax);
    if (!w.shadow.exists) {
      if (shadow > 0) fleet.ensureShadow(WORKLOAD, shadow);
    } else if (shadow !== w.shadow.desired) fleet.setDesired(WORKLOAD, 'shadow', shadow);
  }
  const wanted = decision.weights ?? w.weights;
  const weights = safeWeights(wanted, w.primary.ready, w.shadow.exists ? w.shadow.ready : 0);
  if (weights.primary !== w.weights.primary) {
    // A weight on a pool with no ready unit cannot be fixed by moving it (both empty): keep as is.
    if ((weights.primary === 0 || w.primary.ready > 0) && (weights.shadow === 0 || w.shadow.ready > 0))
      fleet.setWeights(WORKLOAD, weights);
  }
}

/** Run several policies over the same trace and physics. */
export async function runBacktest(
  setup: BacktestSetup,
  names: readonly PolicyName[] = POLICY_NAMES,
  onPolicy?: (name: PolicyName, index: number) => void,
): Promise<BacktestResult> {
  const r = resolve(setup);
  const d = demandUnits(r.trace, r.unitCapacity, r.targetUtilization);
  const runs: PolicyRun[] = [];
  for (const [i, name] of names.entries()) {
    onPolicy?.(name, i);
    runs.push(
      isLoopPolicy(name)
        ? await runShadowscale(setup, undefined, name)
        : runPolicy(setup, makePolicy(name, d)),
    );
  }
  return {
    trace: r.trace.name,
    intervalMs: r.trace.intervalMs,
    unitCapacity: r.unitCapacity,
    targetUtilization: r.targetUtilization,
    demandUnits: d,
    limits: { primaryMin: r.primaryMin, primaryMax: r.primaryMax, shadowMax: r.shadowMax },
    runs,
  };
}

export function toJson(result: BacktestResult): BacktestJson {
  const policies: Record<string, ElasticityMetrics> = {};
  for (const run of result.runs) policies[run.name] = run.metrics;
  return {
    trace: result.trace,
    interval_s: result.intervalMs / 1000,
    unit_capacity: result.unitCapacity,
    policies,
  };
}
