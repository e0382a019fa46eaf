import type { Clock } from '../clock';
import { NotFoundError } from '../errors';
import type { PoolRole } from '../ports/compute';
import type {
  DiagnosticsRequest,
  DiagnosticsStarter,
  DiagnosticsTarget,
  LifecycleRunRepository,
  Notifier,
  SnapshotRequest,
  SnapshotResult,
  VolumeSnapshotter,
} from '../ports/lifecycle';
import { type ActionOutcome, LifecycleRun } from '../schemas/lifecycle';
import type { Workload } from '../schemas/workload';

/** Lifecycle runs in memory (the local run and the tests), with the DynamoDB store's contract. */
export class MemoryLifecycleRuns implements LifecycleRunRepository {
  readonly runs = new Map<string, LifecycleRun>();
  constructor(private readonly clock: Clock) {}

  async claim(run: LifecycleRun): Promise<{ run: LifecycleRun; created: boolean }> {
    const existing = this.runs.get(run.runId);
    if (existing) return { run: structuredClone(existing), created: false };
    const parsed = LifecycleRun.parse(run);
    this.runs.set(run.runId, structuredClone(parsed));
    return { run: parsed, created: true };
  }
  async get(runId: string): Promise<LifecycleRun | undefined> {
    const run = this.runs.get(runId);
    return run ? structuredClone(run) : undefined;
  }
  async recordOutcome(runId: string, outcome: ActionOutcome): Promise<LifecycleRun> {
    return this.change(runId, (run) =>
      run.outcomes.some((o) => o.index === outcome.index)
        ? undefined
        : { ...run, outcomes: [...run.outcomes, outcome] },
    );
  }
  async finish(runId: string, status: 'succeeded' | 'failed', reason: string): Promise<LifecycleRun> {
    return this.change(runId, (run) => (run.status === 'running' ? { ...run, status, reason } : undefined));
  }
  private change(runId: string, apply: (run: LifecycleRun) => LifecycleRun | undefined): LifecycleRun {
    const run = this.runs.get(runId);
    if (!run) throw new NotFoundError(`lifecycle run ${runId} does not exist`);
    const next = apply(structuredClone(run));
    if (!next) return structuredClone(run);
    const written = { ...next, version: run.version + 1, updatedAt: this.clock.now() };
    this.runs.set(runId, structuredClone(written));
    return written;
  }
}

/** What the simulated lifecycle adapters were asked to do, in order (the local report reads it). */
export type SimLifecycleCall =
  | { kind: 'snapshot'; at: number; workloadId: string; pool: PoolRole; runId: string; snapshots: string[] }
  | { kind: 'diagnostics'; at: number; target: DiagnosticsTarget; token: string }
  | { kind: 'notify'; at: number; topicArn: string; subject: string; message: string };

/**
 * Simulated snapshots, diagnostics and notifications: a simulated pool has one volume per unit,
 * snapshots are found again by run (as the EC2 adapter finds them by tag), a start is idempotent on
 * its token, and a message is kept for the report. `failNext` makes the next calls of a kind throw
 * (tests and the failure injection of the local run).
 */
export class SimLifecycleEffects implements VolumeSnapshotter, DiagnosticsStarter, Notifier {
  readonly calls: SimLifecycleCall[] = [];
  private readonly snapshots = new Map<string, string[]>();
  private readonly started = new Map<string, string>();
  private readonly failures: Partial<
    Record<SimLifecycleCall['kind'], { count: number; error: () => Error }>
  > = {};

  constructor(
    private readonly clock: Clock,
    private readonly unitsOf: (workload: Workload, role: PoolRole) => Promise<number>,
  ) {}

  failNext(kind: SimLifecycleCall['kind'], count: number, error: () => Error): void {
    this.failures[kind] = { count, error };
  }

  private maybeFail(kind: SimLifecycleCall['kind']): void {
    const f = this.failures[kind];
    if (f && f.count > 0) {
      f.count -= 1;
      throw f.error();
    }
  }

  async snapshot(workload: Workload, role: PoolRole, request: SnapshotRequest): Promise<SnapshotResult> {
    this.maybeFail('snapshot');
    const units = await this.unitsOf(workload, role);
    const volumes = Array.from({ length: units }, (_, i) => `vol-${workload.workloadId}-${role}-${i}`);
    const existing = this.snapshots.get(request.runId);
    if (existing) return { volumes, snapshots: existing };
    const snapshots = volumes.map((_, i) => `snap-${this.calls.length}-${i}`);
    this.snapshots.set(request.runId, snapshots);
    this.calls.push({
      kind: 'snapshot',
      at: this.clock.now(),
      workloadId: workload.workloadId,
      pool: role,
      runId: request.runId,
      snapshots,
    });
    return { volumes, snapshots };
  }

  async start(target: DiagnosticsTarget, request: DiagnosticsRequest): Promise<{ id: string }> {
    this.maybeFail('diagnostics');
    const known = this.started.get(request.token);
    if (known) return { id: known };
    const id =
      target.kind === 'codebuild'
        ? `${target.projectName}:${request.token}`
        : `${target.stateMachineArn}:${request.token}`;
    this.started.set(request.token, id);
    this.calls.push({ kind: 'diagnostics', at: this.clock.now(), target, token: request.token });
    return { id };
  }

  async notify(topicArn: string, subject: string, message: string): Promise<{ messageId: string }> {
    this.maybeFail('notify');
    this.calls.push({ kind: 'notify', at: this.clock.now(), topicArn, subject, message });
    return { messageId: `msg-${this.calls.length}` };
  }
}
