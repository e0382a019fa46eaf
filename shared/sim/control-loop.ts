import type { ManualClock } from '../clock';
import { type ForecasterOptions, runForecaster } from '../forecaster/service';
import { type OperationKind, OperationRun } from '../migration/runner';
import type { MigrationDeps } from '../migration/tasks';
import { operationKindFor, startInputForEvent } from '../migration/transformer';
import { describeSettings } from '../planning/learner';
import type { Meter } from '../ports/meter';
import type { MetricsSource } from '../ports/metrics';
import type { Repositories } from '../ports/repositories';
import { prewarmWorkload } from '../prewarm/service';
import type { ShadowscaleEvent } from '../schemas/events';
import type { Workload } from '../schemas/workload';
import { simPorts } from './adapters';
import { ServiceAutoscaler } from './autoscaler';
import { DecisionLog } from './decisions';
import type { SimFleet } from './fleet';
import { MemoryEventPublisher } from './memory-events';

/**
 * The deployed control loop over the simulated fleet, in process: every step the forecaster
 * service, then the events' operations (the shadow-pool state machines' steps, in ASL order, over
 * the real task functions), then the pre-warm service, then the service's own target tracking.
 * `npm start` runs the same loop with the real Lambda handlers, the ASL files in an interpreter
 * and a local DynamoDB; this is what the backtest replays, fast enough for months of trace.
 *
 * Order within a step (the local run keeps the same): operations run up to now; a queued
 * operation starts; the forecaster runs; its contention events start an operation (or queue it
 * behind the running one, as the lease would); pre-warm plans both pools; target tracking.
 */
export interface ControlLoopOptions {
  fleet: SimFleet;
  clock: ManualClock;
  repositories: Repositories;
  workload: Workload;
  log?: DecisionLog;
  /** Options of the forecaster service (e.g. its adaptive cadence). */
  forecaster?: Partial<ForecasterOptions>;
  /** Counts what the metrics reads and the published events would be billed. */
  meter?: Meter;
}

/**
 * What the loop's Lambda functions did, for a bill: CPU time measured in process per function,
 * invocations, and the Step Functions states the operations entered (each one a transition).
 */
export interface LoopWork {
  forecastCpuMs: number;
  forecastRuns: number;
  /** Forecaster runs in which this workload was forecast (not skipped by the cadence). */
  forecastsComputed: number;
  /** Forecaster runs that left this workload contended. */
  contendedRuns: number;
  prewarmCpuMs: number;
  prewarmInvocations: number;
  taskCpuMs: number;
  taskInvocations: number;
  stateTransitions: number;
}

export class ControlLoop {
  readonly log: DecisionLog;
  private readonly deps: MigrationDeps;
  private readonly events: MemoryEventPublisher;
  private readonly autoscaler: ServiceAutoscaler;
  private current: OperationRun | undefined;
  private queued: { kind: OperationKind; event: ShadowscaleEvent } | undefined;
  private started = 0;
  private published: ShadowscaleEvent[] = [];
  private readonly metrics: MetricsSource;
  readonly counts = {
    migration: { started: 0, succeeded: 0, failed: 0 },
    return: { started: 0, succeeded: 0, failed: 0 },
  };
  readonly work: LoopWork = {
    forecastCpuMs: 0,
    forecastRuns: 0,
    forecastsComputed: 0,
    contendedRuns: 0,
    prewarmCpuMs: 0,
    prewarmInvocations: 0,
    taskCpuMs: 0,
    taskInvocations: 0,
    stateTransitions: 0,
  };

  constructor(private readonly options: ControlLoopOptions) {
    const ports = simPorts(options.fleet, options.meter);
    this.events = new MemoryEventPublisher(options.meter);
    this.log = options.log ?? new DecisionLog();
    this.deps = {
      clock: options.clock,
      repositories: options.repositories,
      events: this.events,
      compute: ports.compute,
      traffic: ports.traffic,
      health: ports.targetHealth,
    };
    this.metrics = ports.metrics;
    this.events.subscribe((e) => {
      if (e.detailType === 'Contention Predicted' || e.detailType === 'Contention Cleared')
        this.published.push(e);
    });
    const { capacity } = options.workload;
    this.autoscaler = new ServiceAutoscaler(
      options.fleet,
      options.fleet.get(options.workload.workloadId),
      capacity,
    );
  }

  /** The service's own autoscaling alone (before Shadowscale watches; the fleet is at `nowMs`). */
  autoscale(nowMs: number): void {
    this.autoscaler.tick(nowMs);
  }

  /** One step of the loop at `nowMs` (the fleet is advanced to it first). */
  async tick(nowMs: number): Promise<void> {
    await this.advanceTo(nowMs);
    if (!this.current && this.queued) {
      const next = this.queued;
      this.queued = undefined;
      await this.start(next.kind, next.event);
    }
    const { workloadId } = this.options.workload;
    this.published = [];
    let t0 = cpuMs();
    const run = await runForecaster(
      { workloadIds: [workloadId] },
      { ...this.deps, metrics: this.metrics },
      this.options.forecaster,
    );
    this.work.forecastCpuMs += cpuMs() - t0;
    this.work.forecastRuns++;
    // Pre-warm is started by `Forecast Computed`: a workload the cadence skipped gets none.
    const computed = run.outcomes.some((o) => o.workloadId === workloadId && !o.skipped);
    if (computed) this.work.forecastsComputed++;
    if (run.outcomes.some((o) => o.workloadId === workloadId && o.contended)) this.work.contendedRuns++;
    for (const outcome of run.outcomes) {
      for (const m of outcome.metrics) {
        if (m.planningChange) this.log.planning(nowMs, m.metric, describeSettings(m.planningChange.to));
      }
    }
    for (const event of this.published) {
      const kind = operationKindFor(event.detailType);
      if (!kind) continue;
      this.log.contention(nowMs, event);
      if (this.current) this.queued = { kind, event };
      else await this.start(kind, event);
    }
    if (computed) {
      t0 = cpuMs();
      const plan = await prewarmWorkload(workloadId, this.deps);
      this.work.prewarmCpuMs += cpuMs() - t0;
      this.work.prewarmInvocations++;
      this.log.prewarm(nowMs, plan);
    }
    this.autoscaler.tick(nowMs);
  }

  /** A step between two ticks: operations go on, the service's target tracking reacts. */
  async between(nowMs: number): Promise<void> {
    await this.advanceTo(nowMs);
    this.autoscaler.tick(nowMs);
  }

  /** Operations go on up to `nowMs` (the end of a replay), nothing else. */
  async settle(nowMs: number): Promise<void> {
    await this.advanceTo(nowMs);
  }

  get running(): OperationKind | undefined {
    return this.current?.kind;
  }

  /** Run the current operation's states up to `ms`, the fleet following its waits. */
  private async advanceTo(ms: number): Promise<void> {
    const { fleet } = this.options;
    while (this.current && !this.current.done && this.current.resumeAt <= ms) {
      if (this.current.resumeAt > fleet.now()) fleet.advanceTo(this.current.resumeAt);
      const t0 = cpuMs();
      await this.current.advance(this.deps);
      this.work.taskCpuMs += cpuMs() - t0;
      this.finishIfDone();
    }
    if (ms > fleet.now()) fleet.advanceTo(ms);
  }

  private async start(kind: OperationKind, event: ShadowscaleEvent): Promise<void> {
    const { workloadId } = this.options.workload;
    this.started++;
    const name = `${kind}-${workloadId}-${this.started}`;
    const start = startInputForEvent(event, `local-${name}`);
    if (!start) return;
    this.counts[kind].started++;
    this.log.operationStarted(this.options.clock.now(), kind);
    this.current = new OperationRun(kind, name, start.input, this.options.clock.now(), (e, at) => {
      if (e.type === 'shifted') this.log.weights(at, e.weights);
      if (e.type === 'state-entered') {
        this.work.stateTransitions++;
        if (e.stateType === 'Task') this.work.taskInvocations++;
      }
    });
    const t0 = cpuMs();
    await this.current.advance(this.deps);
    this.work.taskCpuMs += cpuMs() - t0;
    this.finishIfDone();
  }

  private finishIfDone(): void {
    const run = this.current;
    if (!run?.outcome) return;
    const at = this.options.clock.now();
    if (run.outcome.status === 'succeeded') {
      this.counts[run.kind].succeeded++;
      this.log.operationEnded(at, run.kind, 'succeeded');
    } else {
      this.counts[run.kind].failed++;
      this.log.operationEnded(at, run.kind, 'failed', run.outcome.error);
    }
    this.current = undefined;
  }
}

/** Process CPU time (user + system) in milliseconds. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1_000;
}
