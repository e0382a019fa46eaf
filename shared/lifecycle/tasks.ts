import { z } from 'zod';
import type { Clock } from '../clock';
import { NotFoundError, TransientError, ValidationError } from '../errors';
import type { ComputePool } from '../ports/compute';
import type { EventPublisher } from '../ports/events';
import type {
  DiagnosticsStarter,
  LifecycleRunRepository,
  Notifier,
  VolumeSnapshotter,
} from '../ports/lifecycle';
import type { PredictionRepository, WorkloadRepository } from '../ports/repositories';
import type { TrafficRouter } from '../ports/traffic';
import { WorkloadId } from '../schemas/common';
import type { LifecycleAction, LifecycleActionType, LifecycleRun } from '../schemas/lifecycle';
import type { Workload } from '../schemas/workload';
import { parseOrThrow } from '../validation';
import {
  describeTrigger,
  nextAction,
  notification,
  outcome,
  runIdOf,
  runResult,
  scaleDownStep,
  scaleDownTarget,
} from './actions';
import { conditionsHold, type LifecycleState, type TriggerEvent, triggerMatches } from './match';

/**
 * The `lifecycle` state machine's task logic over ports. Each task reads the run record, does one
 * thing, records it, and returns the run's view (what the next Choice state reads). Every action
 * is idempotent by what it writes: absolute desired counts and priority, snapshots found again by
 * their run tag, builds and executions started with a token unique to the (run, action).
 */
export interface LifecycleDeps {
  clock: Clock;
  workloads: Pick<WorkloadRepository, 'get' | 'update'>;
  predictions: Pick<PredictionRepository, 'getDecision'>;
  runs: LifecycleRunRepository;
  traffic: Pick<TrafficRouter, 'getWeights'>;
  compute: Pick<ComputePool, 'describe' | 'scale'>;
  snapshots: VolumeSnapshotter;
  diagnostics: DiagnosticsStarter;
  notifier: Notifier;
  events: EventPublisher;
}

/** The execution input: one workload's rule and the EventBridge event that triggered it. */
export const LifecycleInput = z.strictObject({
  workloadId: WorkloadId,
  rule: z.string().min(1),
  event: z.object({
    id: z.string().min(1),
    source: z.string().min(1),
    'detail-type': z.string().min(1),
    time: z.string().datetime({ offset: true }),
    detail: z.record(z.string(), z.unknown()).default({}),
    account: z.string().optional(),
    region: z.string().optional(),
    resources: z.array(z.string()).optional(),
  }),
});
export type LifecycleInput = z.infer<typeof LifecycleInput>;

/** What the state machine carries between states. */
export const RunView = z.strictObject({
  runId: z.string().min(1),
  workloadId: z.string().min(1),
  rule: z.string().min(1),
  /** `run`: actions to do; `duplicate`: another execution owns this (rule, event); `skipped`: a condition did not hold. */
  status: z.enum(['run', 'duplicate', 'skipped']),
  reason: z.string(),
  /** The next action to run; type `none` (index -1) when every action has an outcome. */
  next: z.strictObject({ index: z.number().int().min(-1), type: z.string() }),
  /** Set by a scale-down between steps: the drain to wait before the next step. */
  waitSeconds: z.number().int().nonnegative().optional(),
});
export type RunView = z.infer<typeof RunView>;

function view(run: LifecycleRun, status: RunView['status'], waitSeconds?: number): RunView {
  const next = nextAction(run);
  return {
    runId: run.runId,
    workloadId: run.workloadId,
    rule: run.rule,
    status,
    reason: run.reason,
    // Always present: the Choice reads `$.run.next.type`, and a path to nothing fails the run.
    next: next ? { index: next.index, type: next.action.type } : { index: -1, type: 'none' },
    ...(waitSeconds !== undefined ? { waitSeconds } : {}),
  };
}

const EvaluateInput = z.strictObject({ input: z.unknown(), execution: z.string().min(1) });

/**
 * Parse the input, find the rule, and claim the (rule, event) run with a conditional write: a
 * duplicate delivery (another execution) finds the run and ends as `duplicate`; a redrive of the
 * same execution resumes it. Conditions are evaluated once, when the run is claimed, and a
 * skipped run is recorded too, so a duplicate of a skipped event is skipped the same way.
 */
export async function evaluate(deps: LifecycleDeps, raw: unknown): Promise<RunView> {
  const { input: rawInput, execution } = parseOrThrow(EvaluateInput, raw, 'lifecycle task input');
  const input = parseOrThrow(LifecycleInput, rawInput, 'lifecycle execution input');
  const record = await deps.workloads.get(input.workloadId);
  if (!record)
    throw new ValidationError(`workloadId: no workload ${JSON.stringify(input.workloadId)} is registered`);
  const workload = record.workload;
  const rule = (workload.lifecycle ?? []).find((r) => r.name === input.rule);
  if (!rule)
    throw new ValidationError(
      `rule: workload ${workload.workloadId} has no lifecycle rule ${JSON.stringify(input.rule)}`,
    );
  const event: TriggerEvent = input.event;
  const runId = runIdOf(workload.workloadId, rule.name, event.id);
  const existing = await deps.runs.get(runId);
  if (existing)
    return existing.holder === execution && existing.status === 'running'
      ? view(existing, 'run')
      : view(existing, 'duplicate');

  const now = deps.clock.now();
  const at = Date.parse(event.time);
  let status: LifecycleRun['status'] = 'running';
  let reason = describeTrigger(event);
  if (!triggerMatches(rule.when, event, workload.workloadId)) {
    status = 'skipped';
    reason = `the event (${event.source} / ${event['detail-type']}) is not what rule ${rule.name} waits for`;
  } else {
    const verdict = conditionsHold(rule.if, await stateOf(deps, workload, at));
    if (!verdict.holds) {
      status = 'skipped';
      reason = verdict.reason;
    }
  }
  const { run, created } = await deps.runs.claim({
    runId,
    workloadId: workload.workloadId,
    rule: rule.name,
    eventId: event.id,
    holder: execution,
    status,
    reason,
    trigger: {
      detailType: event['detail-type'],
      source: event.source,
      at,
      time: event.time,
      detail: event.detail,
    },
    actions: rule.do,
    outcomes: [],
    startedAt: now,
    updatedAt: now,
    version: 1,
  });
  if (!created)
    return run.holder === execution && run.status === 'running' ? view(run, 'run') : view(run, 'duplicate');
  return view(run, status === 'skipped' ? 'skipped' : 'run');
}

/** The state the conditions read. Weights are read only when a condition needs them. */
async function stateOf(deps: LifecycleDeps, workload: Workload, atMs: number): Promise<LifecycleState> {
  const decision = await deps.predictions.getDecision(workload.workloadId);
  const needsWeights = (workload.lifecycle ?? []).some((r) => r.if.shadowWeight !== undefined);
  let shadowWeight: number | undefined;
  if (needsWeights) shadowWeight = (await deps.traffic.getWeights(workload)).shadow;
  return {
    ...(decision ? { score: decision.score } : {}),
    anomaly: {
      active: (decision?.anomalousMetrics?.length ?? 0) > 0,
      ...(decision?.anomalyScore !== undefined ? { score: decision.anomalyScore } : {}),
    },
    ...(shadowWeight !== undefined ? { shadowWeight } : {}),
    priority: workload.priority,
    atMs,
  };
}

const ActionInput = z.strictObject({ run: RunView });

/** The run, its workload and its next action, which must be of `type`. */
async function current<T extends LifecycleActionType>(
  deps: LifecycleDeps,
  raw: unknown,
  type: T,
): Promise<
  | {
      run: LifecycleRun;
      workload: Workload;
      index: number;
      action: Extract<LifecycleAction, { type: T }>;
    }
  | { run: LifecycleRun; done: true }
> {
  const { run: v } = parseOrThrow(ActionInput, raw, `lifecycle ${type} input`);
  const run = await deps.runs.get(v.runId);
  if (!run) throw new NotFoundError(`lifecycle run ${v.runId} does not exist`);
  const next = nextAction(run);
  // Recorded already (a retry after the record was written): nothing to do.
  if (!next || next.index !== v.next.index) return { run, done: true };
  if (next.action.type !== type)
    throw new ValidationError(
      `run.next.type: action ${next.index} of ${v.runId} is ${next.action.type}, not ${type}`,
    );
  const record = await deps.workloads.get(run.workloadId);
  if (!record) throw new NotFoundError(`workload ${run.workloadId} is no longer registered`);
  return {
    run,
    workload: record.workload,
    index: next.index,
    action: next.action as Extract<LifecycleAction, { type: T }>,
  };
}

async function record(
  deps: LifecycleDeps,
  run: LifecycleRun,
  index: number,
  action: LifecycleAction,
  detail: Record<string, unknown>,
): Promise<RunView> {
  const after = await deps.runs.recordOutcome(
    run.runId,
    outcome(index, action, deps.clock.now(), { detail }),
  );
  return view(after, 'run');
}

/**
 * One step of a graceful scale-down: lower the desired count by at most `stepUnits` (the target
 * group drains the units that go: ECS deregisters tasks before stopping them, EKS cordons and
 * drains nodes), and ask the state machine to wait `drainSeconds` before the next step.
 */
export async function scaleDown(deps: LifecycleDeps, raw: unknown): Promise<RunView> {
  const c = await current(deps, raw, 'scale-down');
  if ('done' in c) return view(c.run, 'run');
  const { run, workload, index, action } = c;
  const weights = await deps.traffic.getWeights(workload);
  const target = scaleDownTarget(
    workload,
    action,
    action.pool === 'primary' ? weights.primary : weights.shadow,
  );
  const status = await deps.compute.describe(workload, action.pool);
  if (!status.exists)
    return record(deps, run, index, action, { pool: action.pool, skipped: 'the pool does not exist' });
  const next = scaleDownStep(status.desired, target, action.stepUnits);
  if (next < status.desired) await deps.compute.scale(workload, action.pool, next);
  if (next > target) return view(run, 'run', action.drainSeconds);
  return record(deps, run, index, action, { pool: action.pool, desired: next, target });
}

export async function snapshot(deps: LifecycleDeps, raw: unknown): Promise<RunView> {
  const c = await current(deps, raw, 'snapshot');
  if ('done' in c) return view(c.run, 'run');
  const { run, workload, index, action } = c;
  const result = await deps.snapshots.snapshot(workload, action.pool, {
    runId: `${run.runId}#${index}`,
    rule: run.rule,
    tags: action.tags,
  });
  return record(deps, run, index, action, { volumes: result.volumes, snapshots: result.snapshots });
}

export async function runTests(deps: LifecycleDeps, raw: unknown): Promise<RunView> {
  const c = await current(deps, raw, 'run-tests');
  if ('done' in c) return view(c.run, 'run');
  const { run, index, action } = c;
  const started = await deps.diagnostics.start(action.target, {
    token: tokenOf(run, index),
    workloadId: run.workloadId,
    rule: run.rule,
    eventId: run.eventId,
    detailType: run.trigger.detailType,
  });
  return record(deps, run, index, action, { kind: action.target.kind, id: started.id });
}

/** A name unique to (run, action), usable as an execution name (80 chars of [A-Za-z0-9-_]). */
export function tokenOf(run: Pick<LifecycleRun, 'runId'>, index: number): string {
  let h = 2166136261;
  for (const ch of `${run.runId}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const readable = `${run.runId.split('#').slice(1, 3).join('-')}`
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 60);
  return `${readable}-${index}-${h.toString(16).padStart(8, '0')}`;
}

export async function notify(deps: LifecycleDeps, raw: unknown): Promise<RunView> {
  const c = await current(deps, raw, 'notify');
  if ('done' in c) return view(c.run, 'run');
  const { run, workload, index, action } = c;
  const event = { 'detail-type': run.trigger.detailType, detail: run.trigger.detail, time: run.trigger.time };
  const text = notification(workload, run, event, action.message);
  const sent = await deps.notifier.notify(action.topicArn, text.subject, text.message);
  return record(deps, run, index, action, {
    topicArn: action.topicArn,
    messageId: sent.messageId,
    subject: text.subject,
  });
}

/** Absolute, so a retry writes the same value; a lost version race throws ConflictError (retried). */
export async function setPriority(deps: LifecycleDeps, raw: unknown): Promise<RunView> {
  const c = await current(deps, raw, 'set-priority');
  if ('done' in c) return view(c.run, 'run');
  const { run, index, action } = c;
  const stored = await deps.workloads.get(run.workloadId);
  if (!stored) throw new NotFoundError(`workload ${run.workloadId} is no longer registered`);
  const from = stored.workload.priority;
  if (from !== action.priority)
    await deps.workloads.update({ ...stored.workload, priority: action.priority }, stored.version);
  return record(deps, run, index, action, { from, to: action.priority });
}

const FailureInput = z.strictObject({
  run: RunView,
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
});

/** After an action's retries ran out: record it failed (with the error) and go on with the next. */
export async function recordFailure(deps: LifecycleDeps, raw: unknown): Promise<RunView> {
  const { run: v, error } = parseOrThrow(FailureInput, raw, 'lifecycle failure input');
  const run = await deps.runs.get(v.runId);
  if (!run) throw new NotFoundError(`lifecycle run ${v.runId} does not exist`);
  const next = nextAction(run);
  if (!next || next.index !== v.next.index) return view(run, 'run');
  const failed = outcome(next.index, next.action, deps.clock.now(), {
    error: { name: error.Error ?? 'Error', message: causeMessage(error.Cause) },
  });
  return view(await deps.runs.recordOutcome(run.runId, failed), 'run');
}

/** Lambda errors arrive as a JSON Cause ({errorType, errorMessage}); anything else as text. */
function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 500);
  } catch {
    // not JSON: the cause is the message
  }
  return cause.slice(0, 500);
}

/** End the run: record how it went and publish `Lifecycle Completed` with each action's outcome. */
export async function report(
  deps: LifecycleDeps,
  raw: unknown,
): Promise<{ status: 'succeeded' | 'failed'; reason: string; runId: string }> {
  const { run: v } = parseOrThrow(ActionInput, raw, 'lifecycle report input');
  const stored = await deps.runs.get(v.runId);
  if (!stored) throw new NotFoundError(`lifecycle run ${v.runId} does not exist`);
  const result = runResult(stored);
  const run =
    stored.status === 'running' ? await deps.runs.finish(stored.runId, result.status, result.reason) : stored;
  const published = await deps.events.publish([
    {
      detailType: 'Lifecycle Completed',
      detail: {
        workloadId: run.workloadId,
        rule: run.rule,
        eventId: run.eventId,
        trigger: run.trigger.detailType,
        status: result.status,
        at: deps.clock.now(),
        actions: run.outcomes
          .slice()
          .sort((a, b) => a.index - b.index)
          .map((o) => ({ type: o.type, status: o.status, ...(o.error ? { error: o.error } : {}) })),
      },
    },
  ]);
  if (published.failed.length > 0)
    throw new TransientError(
      `Lifecycle Completed for ${run.runId} was not published: ${published.failed[0]?.error}`,
    );
  return { status: result.status, reason: result.reason, runId: run.runId };
}
