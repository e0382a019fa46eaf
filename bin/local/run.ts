import { mkdirSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { setRuntime } from '../../functions/runtime';
import { type ElasticityMetrics, elasticityMetrics } from '../../shared/backtest/metrics';
import { ReactivePolicy } from '../../shared/backtest/policies/reactive';
import { type BacktestSetup, type PolicyRun, runBacktest, runPolicy } from '../../shared/backtest/runner';
import { ManualClock } from '../../shared/clock';
import { documentClientFrom } from '../../shared/data/client';
import { makeDynamoLifecycleRuns } from '../../shared/data/lifecycle-runs';
import { type LocalDynamo, startLocalDynamo } from '../../shared/data/local-server';
import { makeDynamoRepositories } from '../../shared/data/repositories';
import { createTables, type TableNames, tableNamesFromPrefix } from '../../shared/data/tables';
import { ConflictError, ValidationError } from '../../shared/errors';
import type { Repositories } from '../../shared/ports/repositories';
import type { Workload } from '../../shared/schemas/workload';
import { simPorts } from '../../shared/sim/adapters';
import type { LoopDecision } from '../../shared/sim/decisions';
import { SimFleet, type SimWorkload } from '../../shared/sim/fleet';
import { SimLifecycleEffects } from '../../shared/sim/lifecycle';
import { MemoryEventPublisher } from '../../shared/sim/memory-events';
import type { DemandTrace } from '../../shared/sim/trace';
import { CliExit, type CliIO } from '../cli/context';
import { anomalyNotes } from './anomaly-notes';
import { DEMO_INCIDENT, demoWorkload, injectIncident, loadTrace, SIM_STEP_MS } from './demo';
import { readFleetState, resumeWeights, saveFleetState, withFleetState } from './fleet-state';
import { quietPowertools } from './lambda';
import { LocalLifecycle } from './lifecycle';
import { LocalLoop } from './loop';
import type { LocalOptions } from './options';
import { comparisonRows, type LineKind, LocalOutput, simTime, table } from './output';
import { type TimelineEntry, writeLocalReport } from './report';

const DAY_MS = 86_400_000;

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
  /** The hindsight oracle on the same trace and limits (the backtest's `oracle` policy). */
  oracle: ElasticityMetrics;
  reportPath: string;
  timeline: TimelineEntry[];
  /** The loop's decisions, comparable with the backtest's deployed loop on the same trace. */
  decisions: LoopDecision[];
}

/**
 * `shadowscale local`: the whole loop on this machine. A local DynamoDB (dynalite), the simulated
 * fleet replaying a real trace, and on every 5-minute tick the real forecaster, the pre-warm
 * handler and, on `Contention Predicted` / `Contention Cleared`, the real shadow-pool state
 * machines in a local ASL interpreter whose tasks call the real handlers (`LocalLoop`).
 */
export async function runLocal(
  options: LocalOptions,
  io: CliIO,
  signal?: AbortSignal,
): Promise<LocalRunResult> {
  quietPowertools();
  const out = new LocalOutput(io, options.quiet);
  const world = planWorld(options, (line) => out.text(line));
  const dynamo = await openLocalStore(options);
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let loop: LocalLoop | undefined;
  try {
    out.text(
      `Shadowscale local run — ${world.fullTrace.name}, ${options.warmupDays} warm-up day(s) + ${options.days} day(s) with Shadowscale\n` +
        `local DynamoDB (dynalite) at ${dynamo.endpoint}${options.keepDb ? ` (store: ${options.keepDb})` : ''}`,
    );
    const setup = await setUpRun(options, world, client, out);
    const timeline: TimelineEntry[] = [];
    const note = (atMs: number, kind: LineKind, text: string) => {
      out.line(atMs, kind, text);
      timeline.push({ atMs, kind, text });
    };
    // Anomalies the forecaster finds, apart from the contention loop.
    setup.events.subscribe(anomalyNotes(note));
    const running = new LocalLoop({
      fleet: setup.fleet,
      clock: setup.clock,
      events: setup.events,
      workload: world.workload,
      note,
      // Execution names become operation ids: unique per run, so a kept store never mistakes this
      // run's operations for reruns of the last one's.
      runId: Date.now().toString(36),
      ...(options.injectFailure ? { injectFailure: options.injectFailure } : {}),
      verbose: options.verbose,
    });
    loop = running;
    const lifecycle = new LocalLifecycle({
      co: running.co,
      clock: setup.clock,
      workload: world.workload,
      effects: setup.lifecycleEffects,
      runId: Date.now().toString(36),
      note,
    });
    setup.events.subscribe((event) => lifecycle.onEvent(event));
    warmUp(running, setup, out, signal);
    out.line(
      setup.replayStartMs,
      'info',
      `warm-up done; Shadowscale starts watching ${world.workload.workloadId}`,
    );
    const wallStart = Date.now();
    await replay(running, setup, options, out, signal);
    await drain(running, setup, signal);
    out.clearBar();
    if (options.keepDb) saveFleetState(options.keepDb, setup.fleet, world.workload.workloadId);
    if (setup.incident) {
      const at = timeline.findIndex((e) => e.atMs > (setup.incident as TimelineEntry).atMs);
      timeline.splice(at < 0 ? timeline.length : at, 0, setup.incident);
    }
    return await summarise(running, setup, world, options, out, timeline, (Date.now() - wallStart) / 1000);
  } finally {
    out.clearBar();
    // Interrupted or failed: no execution goes on after the store is gone.
    await loop?.co.abortAll();
    client.destroy();
    await dynamo.stop();
  }
}

interface World {
  fullTrace: DemandTrace;
  steps: number;
  warmupMs: number;
  runMs: number;
  demo: ReturnType<typeof demoWorkload>;
  workload: Workload;
}

/** The trace and the demo workload; refuses more days than the trace holds. */
function planWorld(options: LocalOptions, onRepairs?: (line: string) => void): World {
  const fullTrace = loadTrace(options.trace, onRepairs);
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
  return { fullTrace, steps, warmupMs, runMs, demo, workload: demo.workload };
}

async function openLocalStore(options: LocalOptions): Promise<LocalDynamo> {
  if (options.keepDb) mkdirSync(options.keepDb, { recursive: true });
  try {
    return await startLocalDynamo({
      port: options.port,
      ...(options.keepDb ? { dir: options.keepDb } : {}),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    // A port in use or not allowed is bad input (exit 2); anything else is a failure to start.
    const usage = code === 'EADDRINUSE' || code === 'EACCES';
    const why = code === 'EADDRINUSE' ? 'it is in use' : (code ?? String(error));
    throw new CliExit(
      usage ? 2 : 1,
      `--port ${options.port}: cannot listen on 127.0.0.1 for the local DynamoDB (${why}); pass another port or 0 for a free one`,
    );
  }
}

interface RunSetup {
  clock: ManualClock;
  lifecycleEffects: SimLifecycleEffects;
  fleet: SimFleet;
  events: MemoryEventPublisher;
  trace: DemandTrace;
  startMs: number;
  replayStartMs: number;
  endMs: number;
  /** The injected demo incident, for the report's timeline (absent with --no-incident). */
  incident?: TimelineEntry;
}

/** The simulated times a run covers: warm-up from `startMs`, replay from `replayStartMs` to `endMs`. */
interface ReplayWindow {
  startMs: number;
  replayStartMs: number;
  endMs: number;
  /** Index in the full trace of the first simulated step. */
  first: number;
}

/**
 * Where this run's replay starts: after the warm-up, or where a kept store's last run stopped (its
 * models, decisions and operations are that far along the trace, so the replay starts after them,
 * warm-up before it). Refuses a window that passes the trace's end.
 */
async function replayWindow(
  options: LocalOptions,
  world: World,
  repositories: Repositories,
): Promise<ReplayWindow> {
  const { fullTrace, warmupMs, runMs, workload } = world;
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
  return { startMs, replayStartMs, endMs, first };
}

/**
 * The demand over the window, with the demo incident injected unless --no-incident: `trace` is the
 * replay compared with reactive scaling; `worldTrace`, the fleet's demand, goes on past it (as far
 * as the trace goes) while running operations finish, so a return is gated on real traffic.
 */
function windowTraces(
  options: LocalOptions,
  world: World,
  window: ReplayWindow,
): { trace: DemandTrace; worldTrace: DemandTrace; incidentAt: number } {
  const { fullTrace, steps } = world;
  const { startMs, first } = window;
  const incidentAt = window.replayStartMs + DEMO_INCIDENT.afterMs;
  const demand = options.incident ? injectIncident(fullTrace, incidentAt) : fullTrace;
  const trace: DemandTrace = { ...demand, startMs, values: demand.values.slice(first, first + steps) };
  const worldTrace: DemandTrace = {
    ...trace,
    values: demand.values.slice(first, first + steps + Math.round(DRAIN_MS / SIM_STEP_MS)),
  };
  return { trace, worldTrace, incidentAt };
}

/** The injected incident as a timeline entry, when there is one and it falls before the run ends. */
function incidentEntry(options: LocalOptions, incidentAt: number, endMs: number): TimelineEntry | undefined {
  return options.incident && incidentAt < endMs
    ? {
        atMs: incidentAt,
        kind: 'info',
        text: `injected incident: demand at ${DEMO_INCIDENT.factor * 100} % of the trace for ${DEMO_INCIDENT.durationMs / 60_000} min (--no-incident replays the trace as recorded)`,
      }
    : undefined;
}

/** The simulated fleet over the fleet's demand; with --keep-db it resumes the weights and pool sizes the last run left (fleet-state.ts). */
function openFleet(
  options: LocalOptions,
  world: World,
  clock: ManualClock,
  worldTrace: DemandTrace,
  out: LocalOutput,
): SimFleet {
  const { demo } = world;
  const keptFleet = options.keepDb ? readFleetState(options.keepDb, demo.workload.workloadId) : undefined;
  const fleet = new SimFleet({
    clock,
    stepMs: SIM_STEP_MS,
    workloads: [withFleetState({ ...demo.sim, trace: worldTrace }, keptFleet)],
  });
  if (keptFleet) out.text(resumeWeights(fleet, keptFleet));
  return fleet;
}

/**
 * Points the handlers' runtime at the local store and the simulated fleet. Lifecycle rules run in
 * the local DynamoDB (the deployed store's code), with SNS, EC2 and CodeBuild simulated.
 */
function wireRuntime(
  clock: ManualClock,
  repositories: Repositories,
  fleet: SimFleet,
  client: DynamoDBClient,
  names: TableNames,
): { events: MemoryEventPublisher; lifecycleEffects: SimLifecycleEffects } {
  const ports = simPorts(fleet);
  const events = new MemoryEventPublisher();
  const lifecycleEffects = new SimLifecycleEffects(
    clock,
    async (w, role) => (await ports.compute.describe(w, role)).desired,
  );
  setRuntime({
    clock,
    repositories,
    metrics: ports.metrics,
    events,
    compute: ports.compute,
    traffic: ports.traffic,
    health: ports.targetHealth,
    lifecycleRuns: makeDynamoLifecycleRuns(documentClientFrom(client), names.operations, clock),
    snapshots: lifecycleEffects,
    diagnostics: lifecycleEffects,
    notifier: lifecycleEffects,
  });
  return { events, lifecycleEffects };
}

/** Tables, the workload, the fleet over the replayed window and the runtime's ports. */
async function setUpRun(
  options: LocalOptions,
  world: World,
  client: DynamoDBClient,
  out: LocalOutput,
): Promise<RunSetup> {
  const { fullTrace, warmupMs, workload, demo } = world;
  const names = tableNamesFromPrefix('shadowscale-local');
  await createTables(client, names);
  const clock = new ManualClock(fullTrace.startMs);
  const repositories: Repositories = makeDynamoRepositories({ client, names, clock });
  const window = await replayWindow(options, world, repositories);
  const { startMs, replayStartMs, endMs } = window;
  const { trace, worldTrace, incidentAt } = windowTraces(options, world, window);
  clock.set(startMs);
  if (replayStartMs !== fullTrace.startMs + warmupMs) {
    out.text(`kept store: going on from ${simTime(replayStartMs)}, where the last run stopped`);
  }
  const incident = incidentEntry(options, incidentAt, endMs);
  if (incident) out.text(`${incident.text.replace('for', `from ${simTime(incidentAt)} for`)}`);
  const fleet = openFleet(options, world, clock, worldTrace, out);
  const { events, lifecycleEffects } = wireRuntime(clock, repositories, fleet, client, names);
  await registerWorkload(repositories, workload);
  out.text(
    `demo workload ${workload.workloadId}: 1 unit = ${demo.unitCapacity.toFixed(0)} per 30 min at 100%, primary ${workload.capacity.minUnits}..${workload.capacity.maxUnits} units, shadow up to ${workload.capacity.shadowMaxUnits}, lag ${workload.capacity.provisioningLagSeconds}s\n`,
  );
  return {
    clock,
    lifecycleEffects,
    fleet,
    events,
    trace,
    startMs,
    replayStartMs,
    endMs,
    ...(incident ? { incident } : {}),
  };
}

/** The service runs under its own target tracking; Shadowscale is not yet looking. */
function warmUp(loop: LocalLoop, setup: RunSetup, out: LocalOutput, signal?: AbortSignal): void {
  const { startMs, replayStartMs, endMs, fleet, clock } = setup;
  for (let t = startMs; t < replayStartMs; t += SIM_STEP_MS) {
    fleet.advanceTo(t);
    loop.autoscale(clock.now());
    throwIfAborted(signal);
    out.progress(((t - startMs) / (endMs - startMs)) * 0.2, t, 'warm-up (reactive only)');
  }
}

async function replay(
  loop: LocalLoop,
  setup: RunSetup,
  options: LocalOptions,
  out: LocalOutput,
  signal?: AbortSignal,
): Promise<void> {
  const { replayStartMs, endMs } = setup;
  const wallStart = Date.now();
  for (let t = replayStartMs; t < endMs; t += SIM_STEP_MS) {
    throwIfAborted(signal);
    await loop.tick(t);
    const running = loop.running;
    out.progress(
      0.2 + ((t - replayStartMs) / (endMs - replayStartMs)) * 0.8,
      t,
      running ? `${running} running` : '',
    );
    if (options.speed !== 'max') await pace(wallStart, t - replayStartMs, options.speed, signal);
  }
}

/** Let a running (or queued) operation finish so the run ends in a verified state. */
async function drain(loop: LocalLoop, setup: RunSetup, signal?: AbortSignal): Promise<void> {
  const drainEnd = setup.endMs + DRAIN_MS;
  for (let t = setup.endMs; loop.busy && t < drainEnd; t += SIM_STEP_MS) {
    throwIfAborted(signal);
    await loop.drainStep(t);
  }
  if (loop.running) await loop.abortAll();
}

/**
 * The comparison with reactive scaling and with the hindsight oracle on the same window, the
 * terminal table and the report. The oracle (the backtest's, given the whole future demand) may use
 * the shadow pool as the loop may; it shows how far below reactive any policy could go that day.
 */
async function summarise(
  loop: LocalLoop,
  setup: RunSetup,
  world: World,
  options: LocalOptions,
  out: LocalOutput,
  timeline: TimelineEntry[],
  wallSeconds: number,
): Promise<LocalRunResult> {
  const { workload, demo, warmupMs, steps } = world;
  const sim = setup.fleet.get(workload.workloadId);
  const from = Math.round(warmupMs / SIM_STEP_MS);
  const shadowscale = metricsOf(sim, from, steps, workload);
  const baseline: BacktestSetup = {
    trace: setup.trace,
    unitCapacity: demo.unitCapacity,
    targetUtilization: workload.capacity.targetUtilization,
    lagMs: workload.capacity.provisioningLagSeconds * 1000,
    primaryMin: workload.capacity.minUnits,
    primaryMax: workload.capacity.maxUnits,
    shadowMax: 0,
    pricePrimary: workload.capacity.unitPricePerHour,
  };
  const reactiveRun = runPolicy(baseline, new ReactivePolicy());
  const windowed = (run: PolicyRun) =>
    elasticityMetrics({
      ...seriesOf(run.history),
      ...pricing(workload, demo.unitCapacity),
      actions: run.metrics.actions,
      from,
    });
  const reactive = windowed(reactiveRun);
  const [oracleRun] = (
    await runBacktest(
      {
        ...baseline,
        shadowMax: workload.capacity.shadowMaxUnits,
        priceShadow: workload.capacity.shadowUnitPricePerHour ?? workload.capacity.unitPricePerHour,
      },
      ['oracle'],
    )
  ).runs;
  const oracle = windowed(oracleRun as PolicyRun);
  const finalWeights = setup.fleet.getWeights(workload.workloadId);
  const counts = loop.counts;
  out.text(`\n${summaryTable(shadowscale, reactive, oracle)}\n`);
  out.text(
    `migrations: ${counts.migration.started} started, ${counts.migration.succeeded} succeeded, ${counts.migration.rolledBack} rolled back; returns: ${counts.return.started} started, ${counts.return.succeeded} succeeded, ${counts.return.rolledBack} rolled back; final weights primary ${finalWeights.primary}% / shadow ${finalWeights.shadow}%`,
  );
  const reportPath = writeLocalReport(options.report, {
    title: `Shadowscale local run — ${setup.trace.name}`,
    workload,
    unitCapacity: demo.unitCapacity,
    from,
    history: sim.history,
    reactive: reactiveRun.history,
    timeline,
    shadowscale,
    reactiveMetrics: reactive,
    oracleMetrics: oracle,
    floorLift: loop.floorLift,
    primaryMax: workload.capacity.maxUnits,
    wallSeconds,
  });
  out.text(`report: ${reportPath}`);
  return {
    workloadId: workload.workloadId,
    startMs: setup.replayStartMs,
    endMs: setup.endMs,
    migrations: counts.migration,
    returns: counts.return,
    finalWeights,
    shadowscale,
    reactive,
    oracle,
    reportPath,
    timeline,
    decisions: loop.log.entries,
  };
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

export function summaryTable(
  shadowscale: ElasticityMetrics,
  reactive: ElasticityMetrics,
  oracle: ElasticityMetrics,
): string {
  return table([
    ['same trace, same physics', 'shadowscale', 'reactive', 'ratio', 'oracle', 'oracle ratio'],
    ...comparisonRows(shadowscale, reactive, oracle)
      .filter((r) => r.terminal)
      .map((r) => [r.label, r.shadowscale, r.reactive, r.ratio, r.oracle, r.oracleRatio]),
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
