import type { ForecastSummary } from '../../functions/forecast/core';
import { PREWARM_FUNCTIONS } from '../../functions/prewarm/manifest';
import type { ManualClock } from '../../shared/clock';
import { operationKindFor } from '../../shared/migration/transformer';
import type { PrewarmResult } from '../../shared/prewarm/service';
import type { ShadowscaleEvent } from '../../shared/schemas/events';
import type { Workload } from '../../shared/schemas/workload';
import { AslRunner, type Execution } from '../../shared/sim/asl-runner';
import { ServiceAutoscaler } from '../../shared/sim/autoscaler';
import { DecisionLog } from '../../shared/sim/decisions';
import type { SimFleet } from '../../shared/sim/fleet';
import type { MemoryEventPublisher } from '../../shared/sim/memory-events';
import { localFunction } from './lambda';
import { type OperationKind, operationLauncher } from './operations';
import { clip, type LineKind, simTime } from './output';
import type { TimelineEntry } from './report';

/** The scheduled forecaster Lambda (functions/forecast), invoked as its EventBridge rule would. */
const FORECAST_FUNCTION = {
  id: 'Forecast',
  entry: 'functions/forecast/index.ts',
  handler: 'handler',
  timeoutSeconds: 300,
  memoryMb: 1024,
};

export type OperationCounts = Record<
  OperationKind,
  { started: number; succeeded: number; rolledBack: number }
>;

export interface LocalLoopOptions {
  fleet: SimFleet;
  clock: ManualClock;
  events: MemoryEventPublisher;
  workload: Workload;
  /** Prints and keeps one line of the run's story. */
  note: (atMs: number, kind: LineKind, text: string) => void;
  /** Names operations uniquely per run (execution names become operation ids). */
  runId: string;
  injectFailure?: 'gate' | 'provision';
  verbose?: boolean;
}

/**
 * The control loop of `npm start`: the same order as the backtest's deployed loop
 * (`shared/sim/control-loop.ts`), but with the real Lambda handlers (middleware and all) over the
 * runtime's ports, and the shadow-pool ASL files in a local Step Functions interpreter sharing the
 * fleet's virtual clock (`AslRunner`). Both write the same `DecisionLog`.
 */
export class LocalLoop {
  readonly log = new DecisionLog();
  readonly counts: OperationCounts = {
    migration: { started: 0, succeeded: 0, rolledBack: 0 },
    return: { started: 0, succeeded: 0, rolledBack: 0 },
  };
  readonly co: AslRunner;
  private readonly autoscaler: ServiceAutoscaler;
  private readonly launcher = operationLauncher();
  private readonly forecast = localFunction(FORECAST_FUNCTION);
  private readonly prewarm = localFunction(PREWARM_FUNCTIONS[0] as (typeof PREWARM_FUNCTIONS)[number]);
  private current: { kind: OperationKind; execution: Execution } | undefined;
  private queued: { kind: OperationKind; event: ShadowscaleEvent } | undefined;
  private published: ShadowscaleEvent[] = [];
  private failureInjected = false;
  private contended = false;
  private lastForecastLine = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: LocalLoopOptions) {
    this.co = new AslRunner(o.fleet);
    this.autoscaler = new ServiceAutoscaler(o.fleet, o.fleet.get(o.workload.workloadId), o.workload.capacity);
    o.events.subscribe((event) => this.onEvent(event));
  }

  /** What is running now, for the progress bar. */
  get running(): OperationKind | undefined {
    return this.current?.kind;
  }

  get busy(): boolean {
    return this.current !== undefined || this.queued !== undefined;
  }

  /** The service's own target tracking alone (the warm-up, before Shadowscale watches). */
  autoscale(nowMs: number): void {
    this.autoscaler.tick(nowMs);
  }

  /** One 5-minute tick: operations up to now, the forecaster, its operations, pre-warm, target tracking. */
  async tick(t: number): Promise<void> {
    await this.co.advanceTo(t);
    await this.startQueued(t);
    this.published = [];
    const summary = (await this.forecast({ workloadIds: [this.o.workload.workloadId] })) as ForecastSummary;
    for (const outcome of summary.outcomes) {
      if (outcome.status === 'failed')
        this.o.note(t, 'info', `forecaster: ${outcome.workloadId} failed: ${outcome.error}`);
      for (const change of outcome.planningChanges ?? []) {
        this.log.planning(t, change.metric, change.to);
        this.o.note(t, 'info', `planning ${change.metric} at ${change.to}: ${change.reason}`);
      }
    }
    // EventBridge delivers after PutEvents returns: operations start once the forecaster is done.
    for (const event of this.published) {
      const kind = operationKindFor(event.detailType);
      if (!kind) continue;
      if (this.current) this.queued = { kind, event };
      else {
        this.startOperation(kind, event);
        await this.co.advanceTo(t);
      }
    }
    const prewarm = (await this.prewarm({ workloadId: this.o.workload.workloadId })) as PrewarmResult;
    this.log.prewarm(t, prewarm);
    if (prewarm.action === 'scale-out' || prewarm.shadowDesired !== undefined)
      this.o.note(t, 'prewarm', prewarm.reason);
    this.autoscaler.tick(t);
  }

  /** Between ticks after the replay: running (or queued) operations finish, target tracking goes on. */
  async drainStep(t: number): Promise<void> {
    await this.startQueued(t);
    await this.co.advanceTo(t);
    this.autoscaler.tick(t);
  }

  async abortAll(): Promise<void> {
    if (this.current) {
      this.o.note(
        this.o.clock.now(),
        'info',
        `${this.current.execution.name} still running after the replay: aborted`,
      );
    }
    await this.co.abortAll();
  }

  private async startQueued(t: number): Promise<void> {
    if (this.current || !this.queued) return;
    const next = this.queued;
    this.queued = undefined;
    this.startOperation(next.kind, next.event);
    await this.co.advanceTo(t);
  }

  private onEvent(event: ShadowscaleEvent): void {
    const at = this.o.clock.now();
    if (event.detailType === 'Forecast Computed') {
      if (this.o.verbose || at - this.lastForecastLine >= 3_600_000) {
        this.lastForecastLine = at;
        const m = event.detail.metrics[0];
        this.o.note(
          at,
          'forecast',
          `${m ? `${m.metric} ${m.model} (${m.confidence}) peak p50 ${m.peakP50.toFixed(0)}, planning path peak ${m.peakAtQuantile.toFixed(0)}; ` : ''}contention score ${event.detail.contentionScore.toFixed(3)}`,
        );
      }
      return;
    }
    if (event.detailType === 'Contention Predicted') {
      const d = event.detail;
      this.o.note(
        at,
        'contention',
        this.contended
          ? `ESCALATED: the forecast grew; peak ${d.peakUnits.toFixed(1)} units now needs a shadow pool of ${d.recommendedShadowUnits} units (score ${d.score.toFixed(3)})`
          : `PREDICTED score ${d.score.toFixed(3)} ≥ ${d.threshold}: shortage at ${simTime(d.shortageAt)}, peak ${d.peakUnits.toFixed(1)} units > max ${d.primaryMaxUnits}; shadow ${d.recommendedShadowUnits} units`,
      );
      this.contended = true;
    } else if (event.detailType === 'Contention Cleared') {
      this.contended = false;
      this.o.note(
        at,
        'contention',
        `cleared (score ${event.detail.score.toFixed(3)} ≤ ${event.detail.clearThreshold})`,
      );
    } else {
      return;
    }
    this.log.contention(at, event);
    this.published.push(event);
  }

  private startOperation(kind: OperationKind, event: ShadowscaleEvent): void {
    const { fleet, workload, note, clock } = this.o;
    if (this.o.injectFailure && kind === 'migration' && !this.failureInjected) {
      fleet.injectFailure({ kind: this.o.injectFailure, workloadId: workload.workloadId });
      this.failureInjected = true;
      note(clock.now(), 'info', `injected failure: ${this.o.injectFailure} (the shadow pool will fail)`);
    }
    this.counts[kind].started++;
    const name = `${kind}-${workload.workloadId}-${this.o.runId}-${this.counts[kind].started}`;
    const options = this.launcher.start(kind, event, name, note);
    const narrate = options.onEvent;
    const execution = this.co.start({
      ...options,
      onEvent: (e, at) => {
        narrate?.(e, at);
        if (e.type === 'state-exited' && e.state === 'Shift') {
          const w = (
            e.output as { run?: { cursor?: { weights?: { primary: number; shadow: number } } } } | undefined
          )?.run?.cursor?.weights;
          if (w) this.log.weights(at, w);
        }
      },
    });
    this.log.operationStarted(clock.now(), kind);
    note(clock.now(), kind === 'migration' ? 'migration' : 'return', `started ${execution.name}`);
    this.current = { kind, execution };
    void execution.outcome.then((outcome) => {
      const at = clock.now();
      if (outcome.status === 'succeeded') {
        this.counts[kind].succeeded++;
        this.log.operationEnded(at, kind, 'succeeded');
        note(at, kind === 'migration' ? 'migration' : 'return', `${execution.name} succeeded`);
      } else {
        this.counts[kind].rolledBack++;
        this.log.operationEnded(at, kind, 'failed', outcome.error);
        note(at, 'rollback', `${execution.name} failed: ${outcome.error}: ${clip(outcome.cause, 200)}`);
      }
      if (this.o.injectFailure && this.failureInjected) fleet.clearFailures();
      this.current = undefined;
    });
  }
}

export type { TimelineEntry };
