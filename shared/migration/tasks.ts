import type { Clock } from '../clock';
import {
  GateFailedError,
  GateNoDataError,
  OperationClosedError,
  PlanRejectedError,
  ProvisioningTimeoutError,
  SmokeTestFailedError,
  ValidationError,
} from '../errors';
import { holdSecondsForReturn } from '../planning/home';
import type { ComputePool, PoolStatus } from '../ports/compute';
import type { EventPublisher } from '../ports/events';
import type { TargetHealthSource } from '../ports/metrics';
import type { Repositories } from '../ports/repositories';
import type { TrafficRouter } from '../ports/traffic';
import type { OperationStep, TrafficWeights } from '../schemas/operation';
import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { parseOrThrow } from '../validation';
import { evaluateGate } from './gate';
import { MigrationInput, operationIdFromExecutionName, type RunContext } from './input';
import { loadOperation, loadWorkload, publish, step } from './operation-io';
import { MigrationPlan, makePlan } from './plan';
import { setAndVerify } from './traffic';
import {
  type MoveShape,
  nextStepIndex,
  resumeIndex,
  sameWeights,
  weightsForStep,
  weightsOnAbort,
} from './weights';

/**
 * The steps of the shadow-pool state machines, over the ports. Each function is what one Lambda
 * task does (the handlers in functions/migration are thin wrappers); each is idempotent, so a
 * Step Functions retry or a rerun of the same execution input converges instead of doubling work.
 */
export interface MigrationDeps {
  clock: Clock;
  repositories: Repositories;
  events: EventPublisher;
  compute: ComputePool;
  traffic: TrafficRouter;
  health: TargetHealthSource;
  smoke?: SmokeRunner;
}

export type SmokeTestConfig = NonNullable<Workload['migration']['smokeTest']>;

/** Runs the smoke test named in a workload definition (a Lambda or an HTTP check). */
export interface SmokeRunner {
  run(test: SmokeTestConfig, workload: Workload): Promise<{ ok: boolean; detail: string }>;
}

/** The lease outlives any single step (bake <= 1 h); every task that makes progress renews it. */
export const LEASE_TTL_MS = 2 * 3_600_000;

type Kind = 'migration' | 'return';

/**
 * Appends a step unless the operation already records the same one: same name, same values of
 * `identity` in its detail, same weights. A rerun that resumes an operation finds its pool and
 * its last verified weights again; repeating those steps is a no-op, so the history says once
 * what happened once. The lease makes this read-then-write single-writer.
 */
async function recordOnce(
  deps: MigrationDeps,
  operationId: string,
  entry: OperationStep,
  identity: readonly string[],
  verifiedWeights?: TrafficWeights,
): Promise<void> {
  const op = await loadOperation(deps, operationId);
  const key = (s: OperationStep) =>
    JSON.stringify([s.name, identity.map((k) => s.detail[k]), s.weights ?? null]);
  // A rerun repeats the step it crashed in: the latest record of that step is the same one. An
  // earlier equal record is a different step of the same operation (out to 9 %, later home to 9 %).
  const latest = op.steps.findLast((s) => s.name === entry.name);
  if (latest && key(latest) === key(entry)) return;
  await deps.repositories.operations.appendStep(operationId, entry, verifiedWeights);
}

/**
 * The ALB's CloudWatch `LoadBalancer` dimension (`app/name/id`): as configured, else read from the
 * listener ARN (`...:listener/app/name/id/listener-id`).
 */
export function loadBalancerDimension(traffic: Workload['traffic']): string | undefined {
  if (traffic.loadBalancerDimension) return traffic.loadBalancerDimension;
  const match = /:listener\/(app\/[^/]+\/[^/]+)\//.exec(traffic.listenerArn);
  return match?.[1];
}

// 1. validate -------------------------------------------------------------------------------

/** Parses the execution input; no side effect. An unknown workload is bad input too. */
export async function validateInput(
  deps: MigrationDeps,
  event: { input: unknown; executionName: string; kind: Kind },
): Promise<RunContext> {
  const input = parseOrThrow(MigrationInput, event.input, 'execution input');
  const workload = await deps.repositories.workloads.get(input.workloadId);
  if (!workload) {
    throw new ValidationError(
      `execution input: field \`workloadId\` = "${input.workloadId}": no such registered workload`,
      [{ path: 'workloadId', message: 'no such registered workload', received: input.workloadId }],
    );
  }
  const { workloadId, operationId, reason, trigger: _trigger, ...overrides } = input;
  return {
    workloadId,
    operationId: operationId ?? operationIdFromExecutionName(event.executionName),
    kind: event.kind,
    reason: reason ?? `${event.kind} requested`,
    overrides,
  };
}

// 2. lease ----------------------------------------------------------------------------------

/**
 * Takes the workload lease (LeaseHeldError when another operation holds it: nothing touched),
 * then creates the operation or finds it again on a rerun. A rerun of a finished operation
 * releases the lease and throws OperationClosedError: there is nothing left to do.
 */
export async function acquireLease(
  deps: MigrationDeps,
  ctx: Pick<RunContext, 'workloadId' | 'operationId' | 'kind' | 'reason'>,
): Promise<{ resumed: boolean; expiresAt: number; initialWeights: TrafficWeights }> {
  const ops = deps.repositories.operations;
  const existing = await ops.get(ctx.operationId);
  if (existing && existing.workloadId !== ctx.workloadId) {
    throw new ValidationError(
      `execution input: field \`operationId\` = "${ctx.operationId}" belongs to workload ${existing.workloadId}`,
      [{ path: 'operationId', message: 'belongs to another workload', received: ctx.operationId }],
    );
  }
  if (existing && existing.status !== 'running') {
    await ops.releaseLease(ctx.workloadId, ctx.operationId);
    throw new OperationClosedError(`operation ${ctx.operationId} already ended (${existing.status})`);
  }
  const lease = await ops.acquireLease(ctx.workloadId, ctx.operationId, LEASE_TTL_MS);
  if (existing?.initialWeights) {
    return { resumed: true, expiresAt: lease.expiresAt, initialWeights: existing.initialWeights };
  }
  const workload = await loadWorkload(deps, ctx.workloadId);
  const initialWeights = await deps.traffic.getWeights(workload);
  const now = deps.clock.now();
  if (!existing) {
    // Before the record: a retry after a lost write publishes again (at-least-once), never zero times.
    await publish(deps, {
      detailType: 'Migration Started',
      detail: {
        workloadId: ctx.workloadId,
        operationId: ctx.operationId,
        at: now,
        kind: ctx.kind,
        reason: ctx.reason,
      },
    });
  }
  await ops.createOrGet({
    operationId: ctx.operationId,
    workloadId: ctx.workloadId,
    kind: ctx.kind,
    status: 'running',
    reason: ctx.reason.slice(0, 1_000),
    startedAt: now,
    updatedAt: now,
    initialWeights,
    lastVerifiedWeights: initialWeights,
    steps: [],
    version: 1,
  });
  return { resumed: existing !== undefined, expiresAt: lease.expiresAt, initialWeights };
}

// 3. plan -----------------------------------------------------------------------------------

export interface PlannedState {
  workloadId: string;
  operationId: string;
  kind: Kind;
  plan: MigrationPlan;
  cursor: { next: number };
}

/**
 * Sizes the shadow pool and fixes the steps, once: the plan is recorded as the `planned` step so a
 * rerun reuses it (a newer forecast must not resize a pool mid-operation); only the resume cursor
 * is recomputed, from the last verified weights.
 */
export async function planOperation(
  deps: MigrationDeps,
  ctx: Pick<RunContext, 'workloadId' | 'operationId' | 'kind' | 'overrides'>,
): Promise<PlannedState> {
  const op = await loadOperation(deps, ctx.operationId);
  const workload = await loadWorkload(deps, ctx.workloadId);
  const recorded = op.steps.find((s) => s.name === 'planned')?.detail.plan;
  let plan: MigrationPlan;
  if (recorded !== undefined) {
    plan = parseOrThrow(MigrationPlan, recorded, `operation ${op.operationId} recorded plan`);
    // A return that had not moved anything yet waits out what is left of the cleared window.
    const untouched =
      !op.lastVerifiedWeights || !op.initialWeights || sameWeights(op.lastVerifiedWeights, op.initialWeights);
    const holdSeconds =
      plan.kind === 'return' && untouched
        ? holdSecondsForReturn(
            workload,
            await deps.repositories.predictions.getDecision(workload.workloadId),
            deps.clock.now(),
            plan.force,
          )
        : 0;
    plan = {
      ...plan,
      startIndex: resumeIndex(plan.steps, op.lastVerifiedWeights, plan.direction, moveShape(plan)),
      holdSeconds,
    };
  } else {
    const predictions: Prediction[] = [];
    for (const metric of workload.metrics) {
      const p = await deps.repositories.predictions.getLatest(workload.workloadId, metric.name);
      if (p) predictions.push(p);
    }
    const decision = await deps.repositories.predictions.getDecision(workload.workloadId);
    // A return needs the pool it returns from; a migration re-planned over a running shadow pool
    // (a grown forecast) keeps at least its size.
    const shadowNow: PoolStatus | undefined = await deps.compute.describe(workload, 'shadow');
    if (ctx.kind === 'return' && !shadowNow?.exists) {
      throw new PlanRejectedError(`workload ${workload.workloadId}: there is no shadow pool to return from`);
    }
    plan = makePlan({
      kind: ctx.kind,
      workload,
      overrides: ctx.overrides,
      predictions,
      decision,
      initialWeights: op.initialWeights ?? { primary: 100, shadow: 0 },
      lastVerifiedWeights: op.lastVerifiedWeights,
      ...(shadowNow.exists ? { currentShadowUnits: shadowNow.desired } : {}),
      nowMs: deps.clock.now(),
    });
    await deps.repositories.operations.appendStep(op.operationId, step(deps, 'planned', { plan }));
  }
  return {
    workloadId: ctx.workloadId,
    operationId: ctx.operationId,
    kind: ctx.kind,
    plan,
    cursor: { next: plan.startIndex },
  };
}

// 4. provision ------------------------------------------------------------------------------

/** Creates or reuses the shadow pool at the planned size (idempotent: a rerun finds it). */
export async function provisionShadow(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string; plan: MigrationPlan },
): Promise<{ polls: number; ready: boolean; waitSeconds: number }> {
  const workload = await loadWorkload(deps, input.workloadId);
  const status = await deps.compute.ensureShadow(workload, input.plan.shadow);
  // A rerun that finds the pool already up polls at once.
  const up = status.exists && status.ready >= Math.max(1, input.plan.shadow.units);
  await recordOnce(
    deps,
    input.operationId,
    step(deps, 'provisioned', {
      units: input.plan.shadow.units,
      desired: status.desired,
      ready: status.ready,
    }),
    ['units'],
  );
  return { polls: 0, ready: false, waitSeconds: up ? 0 : input.plan.firstPollSeconds };
}

// 5. wait until healthy ---------------------------------------------------------------------

export interface HealthPoll {
  polls: number;
  ready: boolean;
  /** Seconds the state machine waits before the next poll. */
  waitSeconds: number;
  readyUnits: number;
  healthyTargets: number;
}

/**
 * One readiness poll of the destination pool: ready units and healthy targets must reach the plan.
 * Bounded: after `maxPolls` unready polls, ProvisioningTimeoutError (compensation). A return also
 * re-checks that contention has not come back while it waited.
 */
export async function checkHealthy(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string; plan: MigrationPlan; polls: number },
): Promise<HealthPoll> {
  const { plan } = input;
  const workload = await loadWorkload(deps, input.workloadId);
  const role = plan.direction === 'to-shadow' ? 'shadow' : 'primary';
  if (plan.kind === 'return' && !plan.force) {
    const decision = await deps.repositories.predictions.getDecision(workload.workloadId);
    if (decision?.contended) {
      throw new PlanRejectedError(
        `workload ${workload.workloadId}: contention is predicted again; not returning`,
      );
    }
  }
  const [status, healthyTargets] = await Promise.all([
    deps.compute.describe(workload, role),
    deps.traffic.healthyTargets(workload, role),
  ]);
  const wantedUnits = role === 'shadow' ? Math.max(1, plan.shadow.units) : 1;
  const ready = status.exists && status.ready >= wantedUnits && healthyTargets >= plan.minHealthyTargets;
  const polls = input.polls + 1;
  await deps.repositories.operations.renewLease(workload.workloadId, input.operationId, LEASE_TTL_MS);
  if (ready) {
    await deps.repositories.operations.appendStep(
      input.operationId,
      step(deps, 'healthy', { role, readyUnits: status.ready, healthyTargets, polls }),
    );
  } else if (polls >= plan.maxPolls) {
    throw new ProvisioningTimeoutError(
      `${role} pool of ${workload.workloadId} not ready after ${polls} polls: ${status.ready}/${wantedUnits} units ready, ${healthyTargets}/${plan.minHealthyTargets} healthy targets`,
    );
  }
  return { polls, ready, waitSeconds: plan.pollSeconds, readyUnits: status.ready, healthyTargets };
}

// 6. smoke test -----------------------------------------------------------------------------

export async function smokeTest(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string },
): Promise<{ skipped: boolean; detail: string }> {
  const workload = await loadWorkload(deps, input.workloadId);
  const test = workload.migration.smokeTest;
  if (!test) return { skipped: true, detail: 'no smoke test configured' };
  if (!deps.smoke) throw new SmokeTestFailedError('a smoke test is configured but no runner is available');
  const result = await deps.smoke.run(test, workload);
  await deps.repositories.operations.appendStep(
    input.operationId,
    step(deps, result.ok ? 'smoke-passed' : 'smoke-failed', { kind: test.kind, detail: result.detail }),
  );
  if (!result.ok) throw new SmokeTestFailedError(`smoke test (${test.kind}) failed: ${result.detail}`);
  return { skipped: false, detail: result.detail };
}

// 7. shift and gate -------------------------------------------------------------------------

/** What the plan moves: up to its shadow share, or home from the weights it started with. */
export function moveShape(plan: MigrationPlan): MoveShape {
  return { shadowWeight: plan.shadowWeight, from: plan.initialWeights };
}

export interface Cursor {
  index: number;
  percent: number;
  /** Index of the step after this one (meaningless when `last`). */
  next: number;
  last: boolean;
  weights: TrafficWeights;
  noData: number;
  failed: number;
  decision: 'pending' | 'pass' | 'retry';
  reasons: string[];
}

/** Sets the step's weights, reads them back and verifies, records them as the last verified. */
export async function shiftWeights(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string; plan: MigrationPlan; index: number },
): Promise<Cursor> {
  const { plan, index } = input;
  const percent = plan.steps[index];
  if (percent === undefined)
    throw new ValidationError(`step index ${index} is outside the plan's ${plan.steps.length} steps`);
  const workload = await loadWorkload(deps, input.workloadId);
  await deps.repositories.operations.renewLease(workload.workloadId, input.operationId, LEASE_TTL_MS);
  const verified = await setAndVerify(
    deps.traffic,
    workload,
    weightsForStep(percent, plan.direction, moveShape(plan)),
  );
  await recordOnce(
    deps,
    input.operationId,
    { ...step(deps, 'shifted', { index, percent }), weights: verified },
    ['index', 'percent'],
    verified,
  );
  const next = nextStepIndex(plan.steps, index);
  return {
    index,
    percent,
    next: next ?? index,
    last: next === undefined,
    weights: verified,
    noData: 0,
    failed: 0,
    decision: 'pending',
    reasons: [],
  };
}

/**
 * The health gate after a bake: reads the destination target group's metrics and decides.
 * `retry` loops through a Wait in the state machine; a failure throws GateFailedError or
 * GateNoDataError, which the state machine catches into compensation.
 */
export async function runGate(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string; plan: MigrationPlan; cursor: Cursor },
): Promise<Cursor> {
  const { plan, cursor } = input;
  const workload = await loadWorkload(deps, input.workloadId);
  const targetGroup =
    plan.direction === 'to-shadow'
      ? workload.traffic.shadowTargetGroupArn
      : workload.traffic.primaryTargetGroupArn;
  const result = await deps.health.read(
    targetGroup,
    loadBalancerDimension(workload.traffic),
    plan.gateWindowSeconds,
  );
  const verdict = evaluateGate(result, plan.gate, { noData: cursor.noData, failed: cursor.failed });
  const ops = deps.repositories.operations;
  await ops.renewLease(workload.workloadId, input.operationId, LEASE_TTL_MS);
  if (verdict.decision === 'fail') {
    await ops.appendStep(
      input.operationId,
      step(deps, 'gate-failed', {
        index: cursor.index,
        percent: cursor.percent,
        cause: verdict.cause,
        reasons: verdict.reasons,
      }),
    );
    // The share the gate judged is the one read back from the router, which a capped or shaped move
    // makes different from the step's planned percent: say both, the read-back first.
    const onDestination = plan.direction === 'to-shadow' ? cursor.weights.shadow : cursor.weights.primary;
    const pool = plan.direction === 'to-shadow' ? 'shadow' : 'primary';
    const message =
      `gate failed with ${onDestination}% of traffic on the ${pool} pool ` +
      `(read back primary ${cursor.weights.primary} / shadow ${cursor.weights.shadow}; planned step ${cursor.percent}%): ` +
      verdict.reasons.join('; ');
    throw verdict.cause === 'no-data' ? new GateNoDataError(message) : new GateFailedError(message);
  }
  if (verdict.decision === 'pass') {
    await ops.appendStep(
      input.operationId,
      step(deps, 'gate-passed', { index: cursor.index, percent: cursor.percent }),
    );
  }
  return { ...cursor, ...verdict.counters, decision: verdict.decision, reasons: verdict.reasons };
}

// 8. finish ---------------------------------------------------------------------------------

/** Return only: deletes the shadow pool once all traffic is verified back on the primary. */
export async function decommissionShadow(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string },
): Promise<{ deleted: boolean }> {
  const workload = await loadWorkload(deps, input.workloadId);
  const weights = await deps.traffic.getWeights(workload);
  if (weights.shadow > 0) {
    throw new PlanRejectedError(
      `refusing to delete the shadow pool of ${workload.workloadId}: it still has weight ${weights.shadow}`,
    );
  }
  await deps.compute.deleteShadow(workload);
  await deps.repositories.operations.appendStep(input.operationId, step(deps, 'decommissioned'));
  return { deleted: true };
}

/** Records success, emits `Migration Succeeded`, releases the lease (in that order: a crash repeats it). */
export async function recordSuccess(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string; plan: MigrationPlan },
): Promise<{ status: 'succeeded'; weights: TrafficWeights }> {
  const op = await loadOperation(deps, input.operationId);
  const weights =
    op.lastVerifiedWeights ?? (await deps.traffic.getWeights(await loadWorkload(deps, input.workloadId)));
  if (op.status === 'running') {
    await publish(deps, {
      detailType: 'Migration Succeeded',
      detail: {
        workloadId: input.workloadId,
        operationId: input.operationId,
        at: deps.clock.now(),
        kind: input.plan.kind,
        weights,
        shadowUnits: input.plan.kind === 'migration' ? input.plan.shadow.units : 0,
      },
    });
    await deps.repositories.operations.finish(input.operationId, 'succeeded');
  }
  await deps.repositories.operations.releaseLease(input.workloadId, input.operationId);
  return { status: 'succeeded', weights };
}

// compensation ------------------------------------------------------------------------------

/** The `Cause` Step Functions hands a Catch: for Lambda a JSON string with errorMessage. */
export function describeCaught(error: { Error?: string; Cause?: unknown } | undefined): {
  name: string;
  message: string;
} {
  const name = error?.Error ?? 'Unknown';
  let message = typeof error?.Cause === 'string' ? error.Cause : JSON.stringify(error?.Cause ?? '');
  try {
    const parsed: unknown = JSON.parse(message);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed) {
      message = String((parsed as { errorMessage: unknown }).errorMessage);
    }
  } catch {
    // Not JSON: the interpreter passes the message itself.
  }
  return { name, message: message.slice(0, 1_000) };
}

export interface CompensationResult {
  /** One line for the execution's failure cause: what failed, and what was undone. */
  summary: string;
  restored: boolean;
  weights?: TrafficWeights;
  reason?: string;
  pool?: 'scaled-to-zero' | 'deleted' | 'kept';
}

/**
 * Undo: restore the safe weights (see `weightsOnAbort`) with read-back, scale the shadow pool to
 * zero or delete it (migration only, and only once it carries no traffic), emit
 * `Migration Rolled Back`, record why, release the lease. Idempotent: every step checks first.
 */
export async function compensate(
  deps: MigrationDeps,
  input: { workloadId: string; operationId: string; kind: Kind; error: { Error?: string; Cause?: unknown } },
): Promise<CompensationResult> {
  const ops = deps.repositories.operations;
  const op = await ops.get(input.operationId);
  const error = describeCaught(input.error);
  if (op?.status !== 'running') {
    await ops.releaseLease(input.workloadId, input.operationId);
    const reason = op ? `operation already ${op.status}` : 'no operation was started';
    return {
      summary: `${error.name}: ${error.message} (${reason}; nothing undone)`,
      restored: false,
      reason,
    };
  }
  // Another operation took the workload (our lease expired): its traffic is not ours to move.
  const lease = await ops.getLease(input.workloadId);
  if (lease && lease.holder !== input.operationId && lease.expiresAt > deps.clock.now()) {
    const reason = `the workload is now leased by ${lease.holder}; traffic and pool left as they are`;
    await ops.appendStep(op.operationId, step(deps, 'compensation-skipped', { reason, error }));
    await ops.finish(op.operationId, 'failed', error);
    return { summary: `${error.name}: ${error.message} (${reason})`, restored: false, reason };
  }
  const workload = await loadWorkload(deps, input.workloadId);
  const [primary, shadow, current] = await Promise.all([
    deps.traffic.healthyTargets(workload, 'primary'),
    deps.traffic.healthyTargets(workload, 'shadow'),
    deps.traffic.getWeights(workload),
  ]);
  const decision = weightsOnAbort(op, { primary, shadow });
  let weights = current;
  if (decision.reason !== 'keep-last-verified' && !sameWeights(current, decision.weights)) {
    weights = await setAndVerify(deps.traffic, workload, decision.weights);
  }
  await ops.appendStep(
    op.operationId,
    { ...step(deps, 'restored', { reason: decision.reason, error }), weights },
    weights,
  );
  let pool: CompensationResult['pool'] = 'kept';
  if (input.kind === 'migration' && weights.shadow === 0) {
    if (workload.migration.onRollback === 'delete') {
      await deps.compute.deleteShadow(workload);
      pool = 'deleted';
    } else {
      const status = await deps.compute.describe(workload, 'shadow');
      if (status.exists) await deps.compute.scale(workload, 'shadow', 0);
      pool = 'scaled-to-zero';
    }
    await ops.appendStep(op.operationId, step(deps, `shadow-${pool}`));
  }
  await publish(deps, {
    detailType: 'Migration Rolled Back',
    detail: {
      workloadId: input.workloadId,
      operationId: input.operationId,
      at: deps.clock.now(),
      kind: input.kind,
      weights,
      error,
    },
  });
  await ops.finish(op.operationId, 'rolled-back', error);
  await ops.releaseLease(input.workloadId, input.operationId);
  return {
    summary: `${error.name}: ${error.message} (restored primary/shadow ${weights.primary}/${weights.shadow}, shadow pool ${pool})`,
    restored: true,
    weights,
    reason: decision.reason,
    pool,
  };
}
