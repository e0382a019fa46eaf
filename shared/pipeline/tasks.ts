import { ConfigError, ProvisioningTimeoutError, ValidationError } from '../errors';
import { loadOperation, loadWorkload, step } from '../migration/operation-io';
import { type MigrationPlan, makePlan, POLL_SECONDS } from '../migration/plan';
import { describeCaught, LEASE_TTL_MS, type MigrationDeps } from '../migration/tasks';
import { setAndVerify } from '../migration/traffic';
import { sameWeights, weightsOnAbort } from '../migration/weights';
import type { VersionedPool } from '../ports/compute';
import type { TestRunnerPort } from '../ports/tests';
import type { Operation, TrafficWeights } from '../schemas/operation';
import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { parseOrThrow } from '../validation';
import { deploymentOf, forecastStage, type InFlightDeployment, type StageForecast } from './forecast';
import { deploymentOperationId, isImageVersion, PipelineBranchInput, type PipelineContext } from './input';

/**
 * The steps of the pipeline-branch state machine over the ports. Each is one Lambda task (the
 * handlers in functions/pipeline are thin wrappers) and each is idempotent: a Step Functions retry
 * or a rerun of the same (workload, version, stage) finds what was done and continues. The
 * traffic steps, health polls, smoke test and decommission are the shadow-pool migration's own
 * tasks (shared/migration/tasks.ts), called by the same state machine.
 */
export interface PipelineDeps extends MigrationDeps {
  versions: VersionedPool;
  tests: TestRunnerPort;
}

/** Where a (re)run of a branch picks up, from what the operation recorded. */
export type BranchPhase = 'provision' | 'shift' | 'promote' | 'return' | 'decommission';

const has = (op: Operation, name: string) => op.steps.some((s) => s.name === name);

// 1. validate -------------------------------------------------------------------------------

/**
 * Parses the execution input; no side effect. An unknown workload, an EKS workload without its
 * Kubernetes objects, or a version its compute cannot run is bad input too.
 */
export async function validatePipelineInput(
  deps: PipelineDeps,
  event: { input: unknown },
): Promise<PipelineContext> {
  const input = parseOrThrow(PipelineBranchInput, event.input, 'execution input');
  const record = await deps.repositories.workloads.get(input.workloadId);
  if (!record) {
    throw new ValidationError(
      `execution input: field \`workloadId\` = "${input.workloadId}": no such registered workload`,
      [{ path: 'workloadId', message: 'no such registered workload', received: input.workloadId }],
    );
  }
  refuseUnbranchable(record.workload, input.version);
  return {
    workloadId: input.workloadId,
    version: input.version,
    stage: input.stage,
    operationId: deploymentOperationId(input),
    mode: input.mode ?? 'auto',
    ...(input.deploySeconds !== undefined ? { deploySeconds: input.deploySeconds } : {}),
    ...(input.bakeSeconds !== undefined ? { bakeSeconds: input.bakeSeconds } : {}),
  };
}

/**
 * An EKS workload is branched through its Kubernetes Deployment (`compute.kubernetes`) and runs
 * container images: without the one, or given a task definition, the deployment is refused
 * before anything is touched.
 */
function refuseUnbranchable(workload: Workload, version: string): void {
  if (workload.compute.kind !== 'eks') return;
  if (!workload.compute.kubernetes) {
    throw new ValidationError(
      `execution input: field \`workloadId\` = "${workload.workloadId}": an EKS workload needs \`compute.kubernetes\` (namespace, deployment, container) for deploy-time branching: the new version runs as a Deployment on the shadow nodegroup`,
      [
        {
          path: 'workloadId',
          message: 'EKS workload without compute.kubernetes',
          received: workload.workloadId,
        },
      ],
    );
  }
  if (!isImageVersion(version)) {
    throw new ValidationError(
      `execution input: field \`version\` = "${version}": workload ${workload.workloadId} runs on EKS: the version must be a container image URI with a tag or digest`,
      [{ path: 'version', message: 'not a container image for an EKS workload', received: version }],
    );
  }
}

// 2. predict --------------------------------------------------------------------------------

/** The summary of a stage forecast a deployment records and the state machine branches on. */
export type RecordedForecast = Omit<StageForecast, 'worstAt'> & { worstAt?: number };

function recorded(forecast: StageForecast): RecordedForecast {
  const { worstAt, ...rest } = forecast;
  return worstAt === undefined ? rest : { ...rest, worstAt };
}

/** Running deployments of the workload (other stages or versions) and the units they hold. */
export async function inFlightDeployments(
  deps: Pick<PipelineDeps, 'repositories'>,
  workloadId: string,
  exceptOperationId: string,
): Promise<InFlightDeployment[]> {
  const page = await deps.repositories.operations.listByWorkload(workloadId, { limit: 50 });
  const out: InFlightDeployment[] = [];
  for (const op of page.items) {
    if (op.kind !== 'deployment' || op.status !== 'running' || op.operationId === exceptOperationId) continue;
    const plan = op.plan ?? {};
    const units = typeof plan.occupiedUnits === 'number' ? plan.occupiedUnits : 0;
    const until = typeof plan.untilMs === 'number' ? plan.untilMs : op.startedAt;
    if (units <= 0) continue;
    out.push({
      operationId: op.operationId,
      stage: String(plan.stage ?? ''),
      version: String(plan.version ?? ''),
      occupiedUnits: units,
      fromMs: op.startedAt,
      untilMs: until,
    });
  }
  return out;
}

/** The latest stored forecast of each of the workload's metrics (absent ones left out). */
export async function latestForecasts(
  deps: Pick<PipelineDeps, 'repositories'>,
  workload: Workload,
): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (const metric of workload.metrics) {
    const p = await deps.repositories.predictions.getLatest(workload.workloadId, metric.name);
    if (p) out.push(p);
  }
  return out;
}

/** Forecast a stage from the store (the CLI's `pipeline predict` and the Predict task). */
export async function predictFromStore(
  deps: Pick<PipelineDeps, 'repositories' | 'clock'>,
  ctx: Pick<
    PipelineContext,
    'workloadId' | 'stage' | 'operationId' | 'mode' | 'deploySeconds' | 'bakeSeconds'
  >,
): Promise<StageForecast> {
  const workload = await loadWorkload(deps as PipelineDeps, ctx.workloadId);
  const stored = await deps.repositories.predictions.getDecision(workload.workloadId);
  return forecastStage({
    workload,
    stage: ctx.stage,
    forecasts: await latestForecasts(deps, workload),
    previous: stored ? { contended: stored.contended, since: stored.since } : undefined,
    inFlight: await inFlightDeployments(deps, workload.workloadId, ctx.operationId),
    nowMs: deps.clock.now(),
    mode: ctx.mode,
    ...(ctx.deploySeconds !== undefined ? { deploySeconds: ctx.deploySeconds } : {}),
    ...(ctx.bakeSeconds !== undefined ? { bakeSeconds: ctx.bakeSeconds } : {}),
  });
}

/**
 * The stage decision. A rerun returns the decision the deployment recorded when it began, never a
 * new one: a fresh forecast could turn a half-built branch into a primary deployment.
 */
export async function predictStage(deps: PipelineDeps, ctx: PipelineContext): Promise<RecordedForecast> {
  const op = await deps.repositories.operations.get(ctx.operationId);
  const previous = op?.plan?.forecast;
  if (op && previous && typeof previous === 'object') return previous as RecordedForecast;
  return recorded(await predictFromStore(deps, ctx));
}

// 3. begin ----------------------------------------------------------------------------------

export interface Begun {
  /** Set when the deployment had already ended: the state machine reports it and stops. */
  closed?: 'succeeded' | 'rolled-back' | 'failed';
  closedError?: string;
  resumed: boolean;
  phase: BranchPhase;
  branch: boolean;
  previousVersion?: string;
}

function phaseOf(op: Operation): BranchPhase {
  if (has(op, 'merge-planned')) return has(op, 'decommissioned') ? 'decommission' : 'return';
  if (has(op, 'primary-deploying')) return 'promote';
  if (has(op, 'tests-passed') || has(op, 'tests-skipped')) return 'shift';
  return 'provision';
}

/**
 * Takes the workload lease and creates the deployment's operation with its decision, or finds it
 * again on a rerun (and says where to continue). LeaseHeldError when a migration, failover or
 * another deployment holds the workload: nothing touched.
 */
export async function beginDeployment(
  deps: PipelineDeps,
  input: { ctx: PipelineContext; forecast: RecordedForecast },
): Promise<Begun> {
  const { ctx, forecast } = input;
  const ops = deps.repositories.operations;
  const existing = await ops.get(ctx.operationId);
  if (existing && existing.workloadId !== ctx.workloadId) {
    throw new ValidationError(`operation ${ctx.operationId} belongs to workload ${existing.workloadId}`);
  }
  if (existing && existing.status !== 'running') {
    await ops.releaseLease(ctx.workloadId, ctx.operationId);
    return {
      closed: existing.status,
      ...(existing.error ? { closedError: `${existing.error.name}: ${existing.error.message}` } : {}),
      resumed: true,
      phase: phaseOf(existing),
      branch: forecast.branch,
    };
  }
  await ops.acquireLease(ctx.workloadId, ctx.operationId, LEASE_TTL_MS);
  if (existing) {
    const previousVersion = existing.plan?.previousVersion;
    return {
      resumed: true,
      phase: phaseOf(existing),
      branch: forecast.branch,
      ...(typeof previousVersion === 'string' ? { previousVersion } : {}),
    };
  }
  const workload = await loadWorkload(deps, ctx.workloadId);
  const [initialWeights, previousVersion] = await Promise.all([
    deps.traffic.getWeights(workload),
    deps.versions.version(workload, 'primary'),
  ]);
  const deployment = deploymentOf(workload);
  const now = deps.clock.now();
  const windowMs =
    ((ctx.deploySeconds ?? deployment.deploySeconds) + (ctx.bakeSeconds ?? deployment.bakeSeconds)) * 1000;
  // What this deployment holds while it runs, for the forecasts of other deployments: its shadow
  // environment when it branches (sized later; the workload's shadow maximum bounds it).
  const occupiedUnits = forecast.branch ? (deployment.shadowUnits ?? workload.capacity.shadowMaxUnits) : 0;
  await ops.createOrGet({
    operationId: ctx.operationId,
    workloadId: ctx.workloadId,
    kind: 'deployment',
    status: 'running',
    reason: `${ctx.stage}: ${ctx.version} (${forecast.reason})`.slice(0, 1_000),
    startedAt: now,
    updatedAt: now,
    initialWeights,
    lastVerifiedWeights: initialWeights,
    plan: {
      version: ctx.version,
      stage: ctx.stage,
      branch: forecast.branch,
      forecast,
      occupiedUnits,
      untilMs: now + windowMs,
      ...(previousVersion !== undefined ? { previousVersion } : {}),
    },
    steps: [],
    version: 1,
  });
  await ops.appendStep(
    ctx.operationId,
    step(deps, forecast.branch ? 'branched' : 'to-primary', {
      score: forecast.score,
      reason: forecast.reason,
    }),
  );
  return {
    resumed: false,
    phase: 'provision',
    branch: forecast.branch,
    ...(previousVersion !== undefined ? { previousVersion } : {}),
  };
}

// 4. plan the branch ------------------------------------------------------------------------

export interface BranchPlan {
  plan: MigrationPlan;
  cursor: { next: number };
  tests: { enabled: boolean };
}

function testsOf(workload: Workload): BranchPlan['tests'] {
  return { enabled: deploymentOf(workload).testRunner !== undefined };
}

/**
 * Sizes the shadow environment (the planning core's shadow sizing through the migration's plan,
 * or the workload's `deployment.shadowUnits`) and fixes the traffic steps, once: recorded as
 * `branch-planned`, reused on a rerun with the resume cursor recomputed from the verified weights.
 */
export async function planBranch(deps: PipelineDeps, ctx: PipelineContext): Promise<BranchPlan> {
  const op = await loadOperation(deps, ctx.operationId);
  const workload = await loadWorkload(deps, ctx.workloadId);
  const recordedPlan = op.steps.find((s) => s.name === 'branch-planned')?.detail.plan;
  const predictions = await latestForecasts(deps, workload);
  const shadowNow = await deps.compute.describe(workload, 'shadow');
  const shadowUnits = deploymentOf(workload).shadowUnits;
  const plan = makePlan({
    kind: 'migration',
    workload,
    overrides: shadowUnits !== undefined ? { shadowUnits } : {},
    predictions,
    decision: await deps.repositories.predictions.getDecision(workload.workloadId),
    initialWeights: op.initialWeights ?? { primary: 100, shadow: 0 },
    lastVerifiedWeights: op.lastVerifiedWeights,
    ...(shadowNow.exists ? { currentShadowUnits: shadowNow.desired } : {}),
    nowMs: deps.clock.now(),
  });
  if (recordedPlan !== undefined) {
    const first = recordedPlan as MigrationPlan;
    return {
      plan: { ...first, startIndex: plan.startIndex },
      cursor: { next: plan.startIndex },
      tests: testsOf(workload),
    };
  }
  await deps.repositories.operations.appendStep(op.operationId, step(deps, 'branch-planned', { plan }));
  return { plan, cursor: { next: plan.startIndex }, tests: testsOf(workload) };
}

// 5. provision ------------------------------------------------------------------------------

/** Creates or reuses the shadow environment on the new version (a rerun finds it). */
export async function provisionBranch(
  deps: PipelineDeps,
  input: { workloadId: string; operationId: string; version: string; plan: MigrationPlan },
): Promise<{ polls: number; ready: boolean; waitSeconds: number }> {
  const workload = await loadWorkload(deps, input.workloadId);
  const status = await deps.compute.ensureShadow(workload, { ...input.plan.shadow, version: input.version });
  await deps.repositories.operations.renewLease(workload.workloadId, input.operationId, LEASE_TTL_MS);
  await deps.repositories.operations.appendStep(
    input.operationId,
    step(deps, 'provisioned', {
      units: input.plan.shadow.units,
      version: input.version,
      ready: status.ready,
    }),
  );
  const up = status.exists && status.ready >= Math.max(1, input.plan.shadow.units);
  return { polls: 0, ready: false, waitSeconds: up ? 0 : input.plan.firstPollSeconds };
}

// 6. the integration test gate --------------------------------------------------------------

/**
 * Hands the task token to the workload's test runner and returns at once; the runner answers
 * through SendTaskSuccess / SendTaskFailure (and heartbeats meanwhile). A rerun starts the tests
 * again with the new token: the old token died with the old execution.
 */
export async function startTests(
  deps: PipelineDeps,
  input: {
    taskToken: string;
    workloadId: string;
    operationId: string;
    stage: string;
    version: string;
    timeoutSeconds: number;
    heartbeatSeconds: number;
  },
): Promise<{ runId: string }> {
  const workload = await loadWorkload(deps, input.workloadId);
  const runner = deploymentOf(workload).testRunner;
  if (!runner) throw new ConfigError(`workload ${workload.workloadId} has no deployment.testRunner`);
  const started = await deps.tests.start(runner, {
    ...input,
    targetGroupArn: workload.traffic.shadowTargetGroupArn,
  });
  await deps.repositories.operations.renewLease(workload.workloadId, input.operationId, LEASE_TTL_MS);
  await deps.repositories.operations.appendStep(
    input.operationId,
    step(deps, 'tests-started', { runner: runner.kind, runId: started.runId }),
  );
  return started;
}

/** Records the test gate's verdict (pass, or skipped without a runner), so a rerun does not test again. */
export async function recordTests(
  deps: PipelineDeps,
  input: { operationId: string; result?: unknown },
): Promise<{ passed: true }> {
  const op = await loadOperation(deps, input.operationId);
  if (!has(op, 'tests-passed') && !has(op, 'tests-skipped')) {
    const detail =
      input.result && typeof input.result === 'object' ? (input.result as Record<string, unknown>) : {};
    await deps.repositories.operations.appendStep(
      input.operationId,
      step(deps, input.result === undefined ? 'tests-skipped' : 'tests-passed', detail),
    );
  }
  return { passed: true };
}

// 7. the primary ----------------------------------------------------------------------------

export interface PrimaryRollout {
  polls: number;
  maxPolls: number;
  waitSeconds: number;
  stable: boolean;
}

/** Rolls the primary onto the new version (a no-op when it already runs it). */
export async function deployPrimary(
  deps: PipelineDeps,
  input: { workloadId: string; operationId: string; version: string },
): Promise<PrimaryRollout> {
  const workload = await loadWorkload(deps, input.workloadId);
  if ((await deps.versions.version(workload, 'primary')) !== input.version) {
    await deps.versions.deploy(workload, 'primary', input.version);
  }
  const op = await loadOperation(deps, input.operationId);
  if (!has(op, 'primary-deploying')) {
    await deps.repositories.operations.appendStep(
      input.operationId,
      step(deps, 'primary-deploying', { version: input.version }),
    );
  }
  await deps.repositories.operations.renewLease(workload.workloadId, input.operationId, LEASE_TTL_MS);
  const timeout = deploymentOf(workload).stableTimeoutSeconds;
  return {
    polls: 0,
    maxPolls: Math.max(1, Math.ceil(timeout / POLL_SECONDS)),
    waitSeconds: POLL_SECONDS,
    stable: false,
  };
}

/** One poll of the primary's rollout: on the new version, nothing pending or draining. Bounded. */
export async function checkPrimaryStable(
  deps: PipelineDeps,
  input: { workloadId: string; operationId: string; version: string; rollout: PrimaryRollout },
): Promise<PrimaryRollout> {
  const workload = await loadWorkload(deps, input.workloadId);
  const [version, status] = await Promise.all([
    deps.versions.version(workload, 'primary'),
    deps.compute.describe(workload, 'primary'),
  ]);
  const polls = input.rollout.polls + 1;
  const stable =
    version === input.version &&
    status.exists &&
    status.ready >= 1 &&
    status.pending === 0 &&
    status.draining === 0;
  await deps.repositories.operations.renewLease(workload.workloadId, input.operationId, LEASE_TTL_MS);
  if (stable) {
    await deps.repositories.operations.appendStep(
      input.operationId,
      step(deps, 'primary-deployed', { version: input.version, ready: status.ready, polls }),
    );
  } else if (polls >= input.rollout.maxPolls) {
    throw new ProvisioningTimeoutError(
      `primary of ${workload.workloadId} not stable on ${input.version} after ${polls} polls: running ${version ?? 'nothing'}, ${status.ready} ready, ${status.pending} pending, ${status.draining} draining`,
    );
  }
  return { ...input.rollout, polls, stable };
}

// 8. merge: traffic home --------------------------------------------------------------------

/** The move home once the primary runs the new version: the migration's return plan, recorded once. */
export async function planMerge(
  deps: PipelineDeps,
  input: { workloadId: string; operationId: string },
): Promise<{ plan: MigrationPlan; cursor: { next: number } }> {
  const op = await loadOperation(deps, input.operationId);
  const workload = await loadWorkload(deps, input.workloadId);
  const recordedPlan = op.steps.find((s) => s.name === 'merge-planned')?.detail.plan as
    | MigrationPlan
    | undefined;
  const from: TrafficWeights = recordedPlan?.initialWeights ??
    op.lastVerifiedWeights ?? { primary: 100, shadow: 0 };
  const shadowNow = await deps.compute.describe(workload, 'shadow');
  const plan = makePlan({
    kind: 'return',
    workload,
    // The merge is part of this deployment, not a reaction to cleared contention: no hold.
    overrides: { force: true },
    predictions: [],
    decision: undefined,
    initialWeights: from,
    lastVerifiedWeights: op.lastVerifiedWeights,
    currentShadowUnits: shadowNow.exists ? shadowNow.desired : 0,
    nowMs: deps.clock.now(),
  });
  if (!recordedPlan) {
    await deps.repositories.operations.appendStep(op.operationId, step(deps, 'merge-planned', { plan }));
  }
  return { plan, cursor: { next: plan.startIndex } };
}

// 9. finish ---------------------------------------------------------------------------------

/** Records the deployment as done and releases the lease (a rerun repeats only the release). */
export async function finishDeployment(
  deps: PipelineDeps,
  input: { workloadId: string; operationId: string; outcome: 'merged' | 'deployed' },
): Promise<{ status: 'succeeded'; outcome: 'merged' | 'deployed'; version: string; stage: string }> {
  const op = await loadOperation(deps, input.operationId);
  if (op.status === 'running') {
    await deps.repositories.operations.appendStep(op.operationId, step(deps, input.outcome));
    await deps.repositories.operations.finish(op.operationId, 'succeeded');
  }
  await deps.repositories.operations.releaseLease(input.workloadId, input.operationId);
  return {
    status: 'succeeded',
    outcome: input.outcome,
    version: String(op.plan?.version ?? ''),
    stage: String(op.plan?.stage ?? ''),
  };
}

// compensation: discard the branch ----------------------------------------------------------

export interface DiscardResult {
  summary: string;
  weights?: TrafficWeights;
  shadowDeleted: boolean;
  primaryRolledBackTo?: string;
}

/**
 * Discards the deployment: traffic back to where it was (read back), the shadow environment
 * deleted (nothing left running), the primary rolled back to the version it ran before if the
 * deployment had changed it, the operation closed with the error, the lease released.
 * Idempotent: every step checks first, so a rerun after a crash here finishes the discard.
 */
export async function discardDeployment(
  deps: PipelineDeps,
  input: { workloadId: string; operationId: string; error: { Error?: string; Cause?: unknown } },
): Promise<DiscardResult> {
  const ops = deps.repositories.operations;
  const error = describeCaught(input.error);
  const op = await ops.get(input.operationId);
  if (op?.status !== 'running') {
    await ops.releaseLease(input.workloadId, input.operationId);
    const why = op ? `deployment already ${op.status}` : 'no deployment was started';
    return { summary: `${error.name}: ${error.message} (${why}; nothing undone)`, shadowDeleted: false };
  }
  const lease = await ops.getLease(input.workloadId);
  if (lease && lease.holder !== input.operationId && lease.expiresAt > deps.clock.now()) {
    const why = `the workload is now leased by ${lease.holder}; traffic and pools left as they are`;
    await ops.appendStep(op.operationId, step(deps, 'discard-skipped', { reason: why, error }));
    await ops.finish(op.operationId, 'failed', error);
    return { summary: `${error.name}: ${error.message} (${why})`, shadowDeleted: false };
  }
  const workload = await loadWorkload(deps, input.workloadId);
  const [primary, shadow, current] = await Promise.all([
    deps.traffic.healthyTargets(workload, 'primary'),
    deps.traffic.healthyTargets(workload, 'shadow'),
    deps.traffic.getWeights(workload),
  ]);
  const abort = weightsOnAbort(op, { primary, shadow });
  let weights = current;
  if (abort.reason !== 'keep-last-verified' && !sameWeights(current, abort.weights)) {
    weights = await setAndVerify(deps.traffic, workload, abort.weights);
  }
  await ops.appendStep(
    op.operationId,
    { ...step(deps, 'restored', { reason: abort.reason, error }), weights },
    weights,
  );
  // The primary first, while the shadow environment still serves whatever traffic it carries.
  const previousVersion = typeof op.plan?.previousVersion === 'string' ? op.plan.previousVersion : undefined;
  let rolledBackTo: string | undefined;
  if (previousVersion !== undefined && has(op, 'primary-deploying')) {
    if ((await deps.versions.version(workload, 'primary')) !== previousVersion) {
      await deps.versions.deploy(workload, 'primary', previousVersion);
      rolledBackTo = previousVersion;
      await ops.appendStep(op.operationId, step(deps, 'primary-rolled-back', { version: previousVersion }));
    }
  }
  let shadowDeleted = false;
  if (weights.shadow === 0) {
    await deps.compute.deleteShadow(workload);
    shadowDeleted = true;
    await ops.appendStep(op.operationId, step(deps, 'shadow-deleted'));
  }
  await ops.finish(op.operationId, 'rolled-back', error);
  await ops.releaseLease(input.workloadId, input.operationId);
  const parts = [
    `traffic primary/shadow ${weights.primary}/${weights.shadow}`,
    shadowDeleted ? 'shadow environment deleted' : 'shadow environment kept (it still carries traffic)',
    ...(rolledBackTo ? [`primary rolled back to ${rolledBackTo}`] : []),
  ];
  return {
    summary: `deployment of ${String(op.plan?.version)} to ${String(op.plan?.stage)} discarded: ${error.name}: ${error.message} (${parts.join(', ')})`,
    weights,
    shadowDeleted,
    ...(rolledBackTo ? { primaryRolledBackTo: rolledBackTo } : {}),
  };
}
