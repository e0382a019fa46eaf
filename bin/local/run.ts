import { mkdirSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ForecastSummary } from '../../functions/forecast/core';
import type { PrewarmResult } from '../../functions/prewarm/core';
import { PREWARM_FUNCTIONS } from '../../functions/prewarm/manifest';
import { setRuntime } from '../../functions/runtime';
import { type ElasticityMetrics, elasticityMetrics } from '../../shared/backtest/metrics';
import { ReactivePolicy, ReactiveTracker } from '../../shared/backtest/policies/reactive';
import type { PolicyView } from '../../shared/backtest/policy';
import { runPolicy } from '../../shared/backtest/runner';
import { ManualClock } from '../../shared/clock';
import { type LocalDynamo, startLocalDynamo } from '../../shared/data/local-server';
import { makeDynamoRepositories } from '../../shared/data/repositories';
import { createTables, tableNamesFromPrefix } from '../../shared/data/tables';
import { ConflictError, ValidationError } from '../../shared/errors';
import type { Repositories } from '../../shared/ports/repositories';
import type { ShadowscaleEvent } from '../../shared/schemas/events';
import type { Workload } from '../../shared/schemas/workload';
import { simPorts } from '../../shared/sim/adapters';
import { SimFleet, type SimWorkload } from '../../shared/sim/fleet';
import { MemoryEventPublisher } from '../../shared/sim/memory-events';
import type { DemandTrace } from '../../shared/sim/trace';
import { CliExit, type CliIO } from '../cli/context';
import { anomalyNotes } from './anomaly-notes';
import { CoSimulation, type Execution } from './cosim';
import { DEMO_WORKLOAD_ID, demoWorkload, loadTrace, SIM_STEP_MS } from './demo';
import { localFunction, quietPowertools } from './lambda';
import { type OperationKind, operationLauncher } from './operations';
import type { LocalOptions } from './options';
import { comparisonRows, type LineKind, LocalOutput, simTime, table } from './output';
import { type TimelineEntry, writeLocalReport } from './report';

const DAY_MS = 86_400_000;

/** The scheduled forecaster Lambda (functions/forecast), invoked as its EventBridge rule would. */
const FORECAST_FUNCTION = {
  id: 'Forecast',
  entry: 'functions/forecast/index.ts',
  handler: 'handler',
  timeoutSeconds: 300,
  memoryMb: 1024,
};
/** After the replay, running operations get this much simulated time to finish. */
const DRAIN_MS = 3 * 3_600_000;

export interface LocalRunResult {
  workloadId: string;
  startMs: number;
  endMs: number;
  migrations: { started: number; succeeded: number; rolledBack: number };
  returns: { started: number; succeeded: number; rolledBack: number };
  finalWeights: { primary: number; shadow: number };
  shadowscale: ElasticityMetrics;
  reactive: ElasticityMetrics;
  reportPath: string;
  timeline: TimelineEntry[];
}

interface OperationRecord {
  kind: OperationKind;
  execution: Execution;
}

/**
 * `shadowscale local`: the whole loop on this machine. A local DynamoDB (dynalite), the simulated
 * fleet replaying a real trace, and on every 5-minute tick the real forecaster, the pre-warm
 * handler and, on `Contention Predicted` / `Contention Cleared`, the real shadow-pool state
 * machines in a local ASL interpreter whose tasks call the real handlers.
 */
export async function runLocal(
  options: LocalOptions,
  io: CliIO,
  signal?: AbortSignal,
): Promise<LocalRunResult> {
  quietPowertools();
  const out = new LocalOutput(io, options.quiet);
  const fullTrace = loadTrace(options.trace);
  const warmupMs = options.warmupDays * DAY_MS;
  const runMs = options.days * DAY_MS;
  const traceSpanMs = fullTrace.values.length * fullTrace.intervalMs;
  if (warmupMs + runMs > traceSpanMs) {
    throw new ValidationError(
      `--days ${options.days} + --warmup-days ${options.warmupDays} need ${((warmupMs + runMs) / DAY_MS).toFixed(1)} days of trace; ${fullTrace.name} covers ${(traceSpanMs / DAY_MS).toFixed(1)}`,
      [{ path: '--days', message: 'longer than the trace allows', received: options.days }],
    );
  }
  const steps = Math.round((warmupMs + runMs) / SIM_STEP_MS);
  // The demo's unit is sized on the trace's first window, so a kept store sees the same workload.
  const demo = demoWorkload(
    { ...fullTrace, values: fullTrace.values.slice(0, steps) },
    { primaryMaxUnits: options.primaryMax },
  );
  const workload = demo.workload;

  if (options.keepDb) mkdirSync(options.keepDb, { recursive: true });
  let dynamo: LocalDynamo;
  try {
    dynamo = await startLocalDynamo({
      port: options.port,
      ...(options.keepDb ? { dir: options.keepDb } : {}),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliExit(
      1,
      `--port ${options.port}: cannot listen on 127.0.0.1 for the local DynamoDB (${code ?? String(error)})`,
    );
  }
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let cosim: CoSimulation | undefined;
  try {
    out.text(
      `Shadowscale local run — ${fullTrace.name}, ${options.warmupDays} warm-up day(s) + ${options.days} day(s) with Shadowscale\n` +
        `local DynamoDB (dynalite) at ${dynamo.endpoint}${options.keepDb ? ` (store: ${options.keepDb})` : ''}`,
    );
    const names = tableNamesFromPrefix('shadowscale-local');
    await createTables(client, names);

    const clock = new ManualClock(fullTrace.startMs);
    const repositories: Repositories = makeDynamoRepositories({ client, names, clock });
    // A kept store goes on where the last run stopped: its models, decisions and operations are
    // that far along the trace, so this run's replay starts after them (warm-up before it).
    const replayStartMs = await replayStart(repositories, workload, fullTrace.startMs + warmupMs);
    const startMs = replayStartMs - warmupMs;
    const endMs = replayStartMs + runMs;
    const first = Math.round((startMs - fullTrace.startMs) / SIM_STEP_MS);
    const traceEndMs = fullTrace.startMs + fullTrace.values.length * SIM_STEP_MS;
    if (endMs > traceEndMs) {
      throw new CliExit(
        1,
        `--keep-db ${options.keepDb}: the store has replayed ${fullTrace.name} up to ${simTime(replayStartMs)}; ${options.days} more day(s) pass its end (${simTime(traceEndMs)}). Use a new --keep-db directory.`,
      );
    }
    // The replay compared with reactive scaling; the fleet's demand goes on past it (as far as the
    // trace goes) while running operations finish, so a return is gated on real traffic.
    const trace: DemandTrace = {
      ...fullTrace,
      startMs,
      values: fullTrace.values.slice(first, first + steps),
    };
    const worldTrace: DemandTrace = {
      ...trace,
      values: fullTrace.values.slice(first, first + steps + Math.round(DRAIN_MS / SIM_STEP_MS)),
    };
    clock.set(startMs);
    if (replayStartMs !== fullTrace.startMs + warmupMs) {
      out.text(`kept store: going on from ${simTime(replayStartMs)}, where the last run stopped`);
    }
    const fleet = new SimFleet({
      clock,
      stepMs: SIM_STEP_MS,
      workloads: [{ ...demo.sim, trace: worldTrace }],
    });
    const ports = simPorts(fleet);
    const events = new MemoryEventPublisher();
    setRuntime({
      clock,
      repositories,
      metrics: ports.metrics,
      events,
      compute: ports.compute,
      traffic: ports.traffic,
      health: ports.targetHealth,
    });
    await registerWorkload(repositories, workload);
    out.text(
      `demo workload ${workload.workloadId}: 1 unit = ${demo.unitCapacity.toFixed(0)} per 30 min at 100%, primary ${workload.capacity.minUnits}..${workload.capacity.maxUnits} units, shadow up to ${workload.capacity.shadowMaxUnits}, lag ${workload.capacity.provisioningLagSeconds}s\n`,
    );

    const sim = fleet.get(DEMO_WORKLOAD_ID);
    const autoscaler = new EnvironmentAutoscaler(fleet, sim, workload);
    // Warm-up: the service runs under its own target tracking; Shadowscale is not yet looking.
    for (let t = startMs + SIM_STEP_MS; t <= replayStartMs; t += SIM_STEP_MS) {
      autoscaler.tick(clock.now());
      fleet.advanceTo(t);
      throwIfAborted(signal);
      out.progress(((t - startMs) / (endMs - startMs)) * 0.2, t, 'warm-up (reactive only)');
    }
    out.line(replayStartMs, 'info', `warm-up done; Shadowscale starts watching ${workload.workloadId}`);

    const co = new CoSimulation(fleet);
    cosim = co;
    const launcher = operationLauncher();
    const forecast = localFunction(FORECAST_FUNCTION);
    const prewarmSpec = PREWARM_FUNCTIONS[0];
    if (!prewarmSpec) throw new Error('no pre-warm function spec');
    const prewarmFn = localFunction(prewarmSpec);
    const timeline: TimelineEntry[] = [];
    const counts: Record<OperationKind, { started: number; succeeded: number; rolledBack: number }> = {
      migration: { started: 0, succeeded: 0, rolledBack: 0 },
      return: { started: 0, succeeded: 0, rolledBack: 0 },
    };
    let current: OperationRecord | undefined;
    let queued: { kind: OperationKind; event: ShadowscaleEvent } | undefined;
    let failureInjected = false;
    let lastForecastLine = Number.NEGATIVE_INFINITY;
    let contended = false;
    // Execution names become operation ids: unique per run, so a kept store never mistakes this
    // run's operations for reruns of the last one's.
    const runId = Date.now().toString(36);
    const note = (atMs: number, kind: LineKind, text: string) => {
      out.line(atMs, kind, text);
      timeline.push({ atMs, kind, text });
    };

    const startOperation = (kind: OperationKind, event: ShadowscaleEvent) => {
      if (options.injectFailure && kind === 'migration' && !failureInjected) {
        fleet.injectFailure({ kind: options.injectFailure, workloadId: workload.workloadId });
        failureInjected = true;
        note(clock.now(), 'info', `injected failure: ${options.injectFailure} (the shadow pool will fail)`);
      }
      counts[kind].started++;
      const n = counts[kind].started;
      const execution = co.start(
        launcher.start(kind, event, `${kind}-${workload.workloadId}-${runId}-${n}`, note),
      );
      note(clock.now(), kind === 'migration' ? 'migration' : 'return', `started ${execution.name}`);
      current = { kind, execution };
      void execution.outcome.then((outcome) => {
        const at = clock.now();
        const label = kind === 'migration' ? 'migration' : 'return';
        if (outcome.status === 'succeeded') {
          counts[kind].succeeded++;
          note(at, label, `${execution.name} succeeded`);
        } else {
          counts[kind].rolledBack++;
          note(at, 'rollback', `${execution.name} failed: ${outcome.error}: ${outcome.cause.slice(0, 160)}`);
        }
        if (options.injectFailure && failureInjected) fleet.clearFailures();
        current = undefined;
      });
    };

    events.subscribe((event) => {
      const at = clock.now();
      if (event.detailType === 'Forecast Computed') {
        if (options.verbose || at - lastForecastLine >= 3_600_000) {
          lastForecastLine = at;
          const m = event.detail.metrics[0];
          note(
            at,
            'forecast',
            `${m ? `${m.metric} ${m.model} (${m.confidence}) peak p50 ${m.peakP50.toFixed(0)}, planning quantile ${m.peakAtQuantile.toFixed(0)}; ` : ''}contention score ${event.detail.contentionScore.toFixed(3)}`,
          );
        }
      } else if (event.detailType === 'Contention Predicted') {
        const d = event.detail;
        note(
          at,
          'contention',
          contended
            ? `ESCALATED: the forecast grew; peak ${d.peakUnits.toFixed(1)} units now needs a shadow pool of ${d.recommendedShadowUnits} units (score ${d.score.toFixed(3)})`
            : `PREDICTED score ${d.score.toFixed(3)} ≥ ${d.threshold}: shortage at ${simTime(d.shortageAt)}, peak ${d.peakUnits.toFixed(1)} units > max ${d.primaryMaxUnits}; shadow ${d.recommendedShadowUnits} units`,
        );
        contended = true;
        if (current) queued = { kind: 'migration', event };
        else startOperation('migration', event);
      } else if (event.detailType === 'Contention Cleared') {
        contended = false;
        note(
          at,
          'contention',
          `cleared (score ${event.detail.score.toFixed(3)} ≤ ${event.detail.clearThreshold})`,
        );
        if (current) queued = { kind: 'return', event };
        else startOperation('return', event);
      }
    });

    // Anomalies found by the forecaster (kept apart from the contention flow above).
    events.subscribe(anomalyNotes(note));

    // The replay.
    const wallStart = Date.now();
    for (let t = replayStartMs; t < endMs; t += SIM_STEP_MS) {
      throwIfAborted(signal);
      await co.advanceTo(t);
      if (!current && queued) {
        const next = queued;
        queued = undefined;
        startOperation(next.kind, next.event);
        await co.advanceTo(t);
      }
      const summary = (await forecast({ workloadIds: [workload.workloadId] })) as ForecastSummary;
      for (const outcome of summary.outcomes) {
        if (outcome.status === 'failed')
          note(t, 'info', `forecaster: ${outcome.workloadId} failed: ${outcome.error}`);
      }
      const prewarm = (await prewarmFn({ workloadId: workload.workloadId })) as PrewarmResult;
      autoscaler.floor = Math.min(
        workload.capacity.maxUnits,
        Math.max(workload.capacity.minUnits, prewarm.neededUnits),
      );
      if (prewarm.action === 'scale-out') note(t, 'prewarm', prewarm.reason);
      autoscaler.tick(t);
      out.progress(0.2 + ((t - replayStartMs) / runMs) * 0.8, t, current ? `${current.kind} running` : '');
      if (options.speed !== 'max') await pace(wallStart, t - replayStartMs, options.speed, signal);
    }
    // Let a running (or queued) operation finish so the run ends in a verified state.
    const drainEnd = endMs + DRAIN_MS;
    for (let t = endMs; (current || queued) && t < drainEnd; t += SIM_STEP_MS) {
      throwIfAborted(signal);
      if (!current && queued) {
        const next = queued;
        queued = undefined;
        startOperation(next.kind, next.event);
      }
      await co.advanceTo(t);
      autoscaler.tick(t);
    }
    if (current) {
      note(clock.now(), 'info', `${current.execution.name} still running after the replay: aborted`);
      await co.abortAll();
    }
    out.clearBar();

    const from = Math.round(warmupMs / SIM_STEP_MS);
    const shadowscale = metricsOf(sim, from, steps, workload);
    const reactiveRun = runPolicy(
      {
        trace,
        unitCapacity: demo.unitCapacity,
        targetUtilization: workload.capacity.targetUtilization,
        lagMs: workload.capacity.provisioningLagSeconds * 1000,
        primaryMin: workload.capacity.minUnits,
        primaryMax: workload.capacity.maxUnits,
        shadowMax: 0,
        pricePrimary: workload.capacity.unitPricePerHour,
      },
      new ReactivePolicy(),
    );
    const reactive = elasticityMetrics({
      ...seriesOf(reactiveRun.history),
      ...pricing(workload, demo.unitCapacity),
      actions: reactiveRun.metrics.actions,
      from,
    });
    const finalWeights = fleet.getWeights(workload.workloadId);
    out.text(`\n${summaryTable(shadowscale, reactive)}\n`);
    out.text(
      `migrations: ${counts.migration.started} started, ${counts.migration.succeeded} succeeded, ${counts.migration.rolledBack} rolled back; returns: ${counts.return.started} started, ${counts.return.succeeded} succeeded, ${counts.return.rolledBack} rolled back; final weights primary ${finalWeights.primary}% / shadow ${finalWeights.shadow}%`,
    );
    const reportPath = writeLocalReport(options.report, {
      title: `Shadowscale local run — ${trace.name}`,
      workload,
      unitCapacity: demo.unitCapacity,
      from,
      history: sim.history,
      reactive: reactiveRun.history,
      timeline,
      shadowscale,
      reactiveMetrics: reactive,
      wallSeconds: (Date.now() - wallStart) / 1000,
    });
    out.text(`report: ${reportPath}`);
    return {
      workloadId: workload.workloadId,
      startMs: replayStartMs,
      endMs,
      migrations: counts.migration,
      returns: counts.return,
      finalWeights,
      shadowscale,
      reactive,
      reportPath,
      timeline,
    };
  } finally {
    out.clearBar();
    // Interrupted or failed: no execution goes on after the store is gone.
    await cosim?.abortAll();
    client.destroy();
    await dynamo.stop();
  }
}

/** Where the replay starts: after what a kept store already holds for the demo workload. */
async function replayStart(repositories: Repositories, workload: Workload, fresh: number): Promise<number> {
  let last = Number.NEGATIVE_INFINITY;
  for (const metric of workload.metrics) {
    const state = await repositories.predictions.getModelState(workload.workloadId, metric.name);
    if (state) last = Math.max(last, state.lastPointMs);
  }
  if (!Number.isFinite(last)) return fresh;
  // The day after the last point seen, at midnight: a replay compares whole days.
  return Math.max(fresh, Math.ceil((last + SIM_STEP_MS) / DAY_MS) * DAY_MS);
}

async function registerWorkload(repositories: Repositories, workload: Workload): Promise<void> {
  const existing = await repositories.workloads.get(workload.workloadId);
  if (!existing) {
    try {
      await repositories.workloads.create(workload);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  const record = existing ?? (await repositories.workloads.get(workload.workloadId));
  if (record) await repositories.workloads.update(workload, record.version);
}

/**
 * The service's own autoscaling, which Shadowscale works beside: ECS target tracking (the
 * backtester's reactive rules) on the primary's share of the traffic, never below the floor that
 * pre-warm sets (in AWS: the scalable target's minimum capacity).
 */
class EnvironmentAutoscaler {
  private readonly tracker = new ReactiveTracker();
  floor: number;
  constructor(
    private readonly fleet: SimFleet,
    private readonly sim: SimWorkload,
    private readonly workload: Workload,
  ) {
    this.floor = workload.capacity.minUnits;
  }

  tick(nowMs: number): void {
    const h = this.sim.history;
    const perUnit = this.sim.unitCapacity * this.sim.targetUtilization;
    const visible = this.fleet.visibleSteps(this.sim.id, nowMs);
    const from = Math.max(0, visible - 12);
    const demand = new Float64Array(visible - from);
    const capacity = new Float64Array(visible - from);
    for (let i = from; i < visible; i++) {
      demand[i - from] = (h.requestsPrimary[i] as number) / perUnit;
      capacity[i - from] = h.readyPrimary[i] as number;
    }
    const primary = this.sim.primary.status();
    const view: PolicyView = {
      nowMs,
      step: visible,
      intervalMs: SIM_STEP_MS,
      lagMs: this.sim.lagMs,
      metricDelayMs: this.sim.metricDelayMs,
      visible: visible - from,
      demand,
      capacity,
      primary,
      shadow: this.sim.shadow.status(),
      weights: this.sim.weights,
      limits: {
        primaryMin: Math.max(this.workload.capacity.minUnits, this.floor),
        primaryMax: this.workload.capacity.maxUnits,
        shadowMax: this.workload.capacity.shadowMaxUnits,
      },
    };
    const wanted = Math.max(view.limits.primaryMin, this.tracker.desired(view, primary.desired));
    if (wanted !== primary.desired) this.fleet.setDesired(this.sim.id, 'primary', wanted);
  }
}

/** The series the elasticity metrics read, over steps [0, to). */
function seriesOf(h: SimWorkload['history'], to = h.length) {
  return {
    demand: h.demand.slice(0, to),
    readyPrimary: h.readyPrimary.slice(0, to),
    readyShadow: h.readyShadow.slice(0, to),
    shadowShare: h.shadowShare.slice(0, to),
    billedPrimary: h.billedPrimary.slice(0, to),
    billedShadow: h.billedShadow.slice(0, to),
  };
}

function pricing(workload: Workload, unitCapacity: number) {
  return {
    intervalMs: SIM_STEP_MS,
    unitCapacity,
    targetUtilization: workload.capacity.targetUtilization,
    pricePrimary: workload.capacity.unitPricePerHour,
    priceShadow: workload.capacity.shadowUnitPricePerHour ?? workload.capacity.unitPricePerHour,
  };
}

/** Metrics over the replay, steps [from, to): the same window as the reactive baseline. */
function metricsOf(sim: SimWorkload, from: number, to: number, workload: Workload): ElasticityMetrics {
  return elasticityMetrics({
    ...seriesOf(sim.history, to),
    ...pricing(workload, sim.unitCapacity),
    actions: sim.primary.actions + sim.shadow.actions,
    from,
  });
}

export function summaryTable(shadowscale: ElasticityMetrics, reactive: ElasticityMetrics): string {
  return table([
    ['same trace, same physics', 'shadowscale', 'reactive', 'ratio'],
    ...comparisonRows(shadowscale, reactive)
      .filter((r) => r.terminal)
      .map((r) => [r.label, r.shadowscale, r.reactive, r.ratio]),
  ]);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CliExit(130, 'interrupted: local run stopped, local DynamoDB shut down');
}

async function pace(
  wallStart: number,
  simElapsedMs: number,
  speed: number,
  signal?: AbortSignal,
): Promise<void> {
  const due = wallStart + simElapsedMs / speed;
  const wait = due - Date.now();
  if (wait <= 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, wait);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
