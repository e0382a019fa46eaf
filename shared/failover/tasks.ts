import type { Clock } from '../clock';
import {
  GateFailedError,
  GateNoDataError,
  OperationClosedError,
  PlanRejectedError,
  ProvisioningTimeoutError,
  ValidationError,
} from '../errors';
import { evaluateGate } from '../migration/gate';
import { loadOperation, loadWorkload, publish, step } from '../migration/operation-io';
import { describeCaught } from '../migration/tasks';
import {
  nextStepIndex,
  remainingSteps,
  resumeIndex,
  sameWeights,
  weightsForStep,
  weightsOnAbort,
} from '../migration/weights';
import type { PoolStatus } from '../ports/compute';
import type { EventPublisher } from '../ports/events';
import type { RegionalHealthSource, StandbyPool } from '../ports/regions';
import type { Repositories } from '../ports/repositories';
import type { RegionRouter } from '../ports/traffic';
import type { Operation, TrafficWeights } from '../schemas/operation';
import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { parseOrThrow } from '../validation';
import { regionsOf, setAndVerifyRegions, toPairWeights, toRegionWeights, ttlIsOurs } from './dns';
import { ALB_METRIC_DELAY_SECONDS, forecastRisk, judgeRegion } from './health';
import { type RegionalContext, RegionalInput, type RegionalKind, RegionalPlan } from './input';
import { raisedStandbyUnits, standbyLimits } from './standby';

/**
 * The steps of the regional state machines over the ports; each function is one Lambda task
 * (functions/failover is the thin wrapper). Traffic is a home/standby pair kept in the operation
 * record as primary/shadow weights (see dns.ts), so the lease, the operation log, the resume
 * cursor and the abort choice are the shadow-pool ones. Every task is idempotent: a Step Functions
 * retry or a rerun of the same input converges.
 */
export interface RegionalDeps {
  clock: Clock;
  repositories: Repositories;
  events: EventPublisher;
  regions: RegionRouter;
  standby: StandbyPool;
  health: RegionalHealthSource;
}

export const REGIONAL_LEASE_TTL_MS = 2 * 3_600_000;

/** From and to regions of a run. */
function route(workload: Workload, kind: RegionalKind): { fromRegion: string; toRegion: string } {
  const { home, standby } = regionsOf(workload);
  return kind === 'failover'
    ? { fromRegion: home, toRegion: standby }
    : { fromRegion: standby, toRegion: home };
}

/** The execution name (unique per state machine) is the default operation id, so a rerun of it resumes. */
export function regionalOperationId(executionName: string): string {
  return executionName.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 128);
}

// validate ------------------------------------------------------------------------------------

export async function validateRegional(
  deps: RegionalDeps,
  event: { input: unknown; executionName: string; kind: RegionalKind },
): Promise<RegionalContext> {
  const input = parseOrThrow(RegionalInput, event.input, 'execution input');
  const record = await deps.repositories.workloads.get(input.workloadId);
  if (!record) {
    throw new ValidationError(
      `execution input: field \`workloadId\` = "${input.workloadId}": no such registered workload`,
      [{ path: 'workloadId', message: 'no such registered workload', received: input.workloadId }],
    );
  }
  if (!record.workload.failover || !record.workload.regions.standby) {
    throw new ValidationError(
      `execution input: field \`workloadId\` = "${input.workloadId}": the workload has no failover record set or standby region`,
      [{ path: 'workloadId', message: 'workload has no failover configuration', received: input.workloadId }],
    );
  }
  return {
    workloadId: input.workloadId,
    operationId: input.operationId ?? regionalOperationId(event.executionName),
    kind: event.kind,
    reason: input.reason ?? `${event.kind} (${input.trigger})`,
    trigger: input.trigger,
    overrides: {
      ...(input.steps ? { steps: input.steps } : {}),
      ...(input.standbyUnits ? { standbyUnits: input.standbyUnits } : {}),
      force: input.force,
    },
  };
}

// lease -----------------------------------------------------------------------------------------

/**
 * Takes the workload lease (the operations table's, shared with shadow-pool moves: one operation per
 * workload), reads the DNS weights it starts from, publishes `Failover Started`, creates the
 * operation, or finds it again on a rerun.
 */
export async function acquireRegionalLease(
  deps: RegionalDeps,
  ctx: Pick<RegionalContext, 'workloadId' | 'operationId' | 'kind' | 'reason'>,
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
  const lease = await ops.acquireLease(ctx.workloadId, ctx.operationId, REGIONAL_LEASE_TTL_MS);
  if (existing?.initialWeights) {
    return { resumed: true, expiresAt: lease.expiresAt, initialWeights: existing.initialWeights };
  }
  const workload = await loadWorkload(deps, ctx.workloadId);
  const initialWeights = toPairWeights(workload, await deps.regions.getWeights(workload));
  const now = deps.clock.now();
  if (!existing) {
    await publish(deps, {
      detailType: 'Failover Started',
      detail: {
        workloadId: ctx.workloadId,
        operationId: ctx.operationId,
        at: now,
        ...route(workload, ctx.kind),
        reason: ctx.reason.slice(0, 1_000),
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

// plan ------------------------------------------------------------------------------------------

async function latestPredictions(deps: RegionalDeps, workload: Workload): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (const metric of workload.metrics) {
    const p = await deps.repositories.predictions.getLatest(workload.workloadId, metric.name);
    if (p) out.push(p);
  }
  return out;
}

/**
 * Fixes the plan once (recorded as the `planned` step; a rerun reuses it and resumes from the last
 * verified weights): the forecast-sized standby, the steps, and the waits. A DNS step waits at
 * least the record TTL: until then resolvers may still hand out the previous answer, so a gate
 * read earlier would judge a share of traffic that has not moved yet.
 */
export async function planRegional(
  deps: RegionalDeps,
  ctx: Pick<RegionalContext, 'workloadId' | 'operationId' | 'kind' | 'overrides'>,
): Promise<{ plan: RegionalPlan; cursor: { next: number } }> {
  const op = await loadOperation(deps, ctx.operationId);
  const workload = await loadWorkload(deps, ctx.workloadId);
  const failover = workload.failover;
  if (!failover) throw new PlanRejectedError(`workload ${workload.workloadId} has no failover configuration`);
  const recorded = op.steps.find((s) => s.name === 'planned')?.detail.plan;
  let plan: RegionalPlan;
  if (recorded !== undefined) {
    plan = parseOrThrow(RegionalPlan, recorded, `operation ${op.operationId} recorded plan`);
  } else {
    const { home, standby } = regionsOf(workload);
    const risk = forecastRisk(workload, await latestPredictions(deps, workload), deps.clock.now());
    const standbyUnits = ctx.overrides.standbyUnits
      ? Math.min(standbyLimits(workload).max, ctx.overrides.standbyUnits)
      : risk.covered
        ? raisedStandbyUnits(workload, risk.peakUnits)
        : // Without a forecast the standby cannot be sized: raise it to its maximum rather than guess low.
          standbyLimits(workload).max;
    const pollSeconds = 15;
    const evacuate = ctx.kind === 'failover' && !(await hasHealthyHost(deps, workload, home));
    plan = {
      kind: ctx.kind,
      direction: ctx.kind === 'failover' ? 'to-shadow' : 'to-primary',
      home,
      standby,
      // A failback from a partial failover continues the ladder from where traffic stands.
      steps: remainingSteps(
        ctx.overrides.steps ?? (evacuate ? [100] : failover.steps),
        ctx.kind === 'failover' ? 'to-shadow' : 'to-primary',
        ctx.kind === 'failback' && op.initialWeights ? { from: op.initialWeights } : {},
      ),
      startIndex: 0,
      evacuate,
      standbyUnits,
      peakUnits: Number(risk.peakUnits.toFixed(3)),
      stepWaitSeconds: failover.dns.ttlSeconds + failover.bakeSeconds,
      ttlSeconds: failover.dns.ttlSeconds,
      ...(ttlIsOurs(workload) && failover.dns.fastTtlSeconds < failover.dns.ttlSeconds
        ? { fastTtlSeconds: failover.dns.fastTtlSeconds }
        : {}),
      bakeSeconds: failover.bakeSeconds,
      pollSeconds,
      maxPolls: Math.max(1, Math.ceil(failover.healthyTimeoutSeconds / pollSeconds)),
      gateWindowSeconds: Math.max(60, failover.bakeSeconds),
      gateRetrySeconds: 30,
      holdSeconds: ctx.kind === 'failback' && !ctx.overrides.force ? failover.failbackHoldSeconds : 0,
      force: ctx.overrides.force,
    };
    await deps.repositories.operations.appendStep(op.operationId, step(deps, 'planned', { plan }));
  }
  await lowerTtl(deps, workload, op, plan);
  const startIndex = resumeIndex(plan.steps, op.lastVerifiedWeights, plan.direction, {
    from: plan.kind === 'failback' ? op.initialWeights : undefined,
  });
  // A rerun past the first DNS step has nothing to hold for.
  const moved =
    op.lastVerifiedWeights && op.initialWeights && !sameWeights(op.lastVerifiedWeights, op.initialWeights);
  return {
    plan: { ...plan, startIndex, holdSeconds: moved ? 0 : plan.holdSeconds },
    cursor: { next: startIndex },
  };
}

/**
 * Lowers the records' TTL to the plan's fast TTL, weights unchanged (the last verified ones), at
 * the start of the run: while the standby warms up (or the failback holds), resolvers' cached
 * answers with the old TTL expire and the ones they fetch carry the fast TTL, so the DNS steps
 * that follow take effect within the fast TTL. Idempotent; recorded once as `ttl-lowered`.
 */
async function lowerTtl(
  deps: RegionalDeps,
  workload: Workload,
  op: Awaited<ReturnType<typeof loadOperation>>,
  plan: RegionalPlan,
): Promise<void> {
  if (plan.fastTtlSeconds === undefined) return;
  const current = await deps.regions.getTtl(workload);
  if (current === plan.fastTtlSeconds && op.steps.some((s) => s.name === 'ttl-lowered')) return;
  const weights = op.lastVerifiedWeights ?? toPairWeights(workload, await deps.regions.getWeights(workload));
  const verified = await setAndVerifyRegions(deps.regions, workload, weights, {
    ttlSeconds: plan.fastTtlSeconds,
  });
  await deps.repositories.operations.appendStep(
    op.operationId,
    step(deps, 'ttl-lowered', { from: current ?? null, to: plan.fastTtlSeconds }),
    verified,
  );
}

/**
 * Seconds to wait after a DNS step before its gate: until every resolver has the new answer. An
 * answer fetched before the TTL was lowered may be held for the old TTL from then; one fetched
 * after, for the fast TTL. Plus the bake.
 */
function stepWaitSeconds(
  plan: RegionalPlan,
  op: { steps: { name: string; at: number }[] },
  now: number,
): number {
  const lowered = op.steps.find((s) => s.name === 'ttl-lowered')?.at;
  if (plan.fastTtlSeconds === undefined || lowered === undefined || plan.ttlSeconds === undefined) {
    return plan.stepWaitSeconds;
  }
  const oldAnswersUntil = lowered + plan.ttlSeconds * 1000;
  const ttlWait = Math.max(plan.fastTtlSeconds, Math.ceil((oldAnswersUntil - now) / 1000));
  return Math.min(plan.stepWaitSeconds, ttlWait + (plan.bakeSeconds ?? 0));
}

/**
 * Puts the records' configured TTL back (weights as they are, verified) when it is not what they
 * carry: at the end of every run, rolled back or not. Idempotent.
 */
async function restoreTtl(
  deps: RegionalDeps,
  workload: Workload,
  operationId: string,
  weights: TrafficWeights,
): Promise<void> {
  const configured = workload.failover?.dns.ttlSeconds;
  if (configured === undefined || !ttlIsOurs(workload)) return;
  const current = await deps.regions.getTtl(workload);
  if (current === undefined || current === configured) return;
  const verified = await setAndVerifyRegions(deps.regions, workload, weights, { ttlSeconds: configured });
  await deps.repositories.operations.appendStep(
    operationId,
    step(deps, 'ttl-restored', { from: current, to: configured }),
    verified,
  );
}

/** Whether a region's endpoint reports any healthy host over the last minute (no data: none). */
async function hasHealthyHost(deps: RegionalDeps, workload: Workload, region: string): Promise<boolean> {
  const result = await deps.health.read(workload, region, 60);
  return result.kind === 'data' && result.sample.healthyHosts > 0;
}

// standby ---------------------------------------------------------------------------------------

export interface StandbyPoll {
  polls: number;
  ready: boolean;
  waitSeconds: number;
  readyUnits: number;
}

/** Failover: raise the standby to the planned size (never lowers it; idempotent). */
export async function raiseStandby(
  deps: RegionalDeps,
  input: { workloadId: string; operationId: string; plan: RegionalPlan },
): Promise<StandbyPoll> {
  const workload = await loadWorkload(deps, input.workloadId);
  const status = await deps.standby.describe(workload);
  const wanted = Math.max(status.desired, input.plan.standbyUnits);
  if (wanted !== status.desired) await deps.standby.scale(workload, wanted);
  await deps.repositories.operations.appendStep(
    input.operationId,
    step(deps, 'standby-raised', {
      region: input.plan.standby,
      from: status.desired,
      to: wanted,
      ready: status.ready,
    }),
  );
  const up = status.ready >= Math.max(1, input.plan.standbyUnits);
  return { polls: 0, ready: false, waitSeconds: up ? 0 : input.plan.pollSeconds, readyUnits: status.ready };
}

/**
 * One readiness poll of the destination region. Failover: the standby's ready units must reach the
 * plan and its endpoint must have healthy hosts. Failback: the home region must pass its regional
 * health check and, unless forced, the forecast must not put it at risk. Bounded by `maxPolls`.
 */
export async function checkDestination(
  deps: RegionalDeps,
  input: { workloadId: string; operationId: string; plan: RegionalPlan; polls: number },
): Promise<StandbyPoll> {
  const { plan } = input;
  const workload = await loadWorkload(deps, input.workloadId);
  const failover = workload.failover;
  if (!failover) throw new PlanRejectedError(`workload ${workload.workloadId} has no failover configuration`);
  const polls = input.polls + 1;
  await deps.repositories.operations.renewLease(
    workload.workloadId,
    input.operationId,
    REGIONAL_LEASE_TTL_MS,
  );
  let ready: boolean;
  let readyUnits = 0;
  let detail: string;
  if (plan.kind === 'failover') {
    const [status, health] = await Promise.all([
      deps.standby.describe(workload),
      deps.health.read(workload, plan.standby, 60),
    ]);
    readyUnits = status.ready;
    const hosts = health.kind === 'data' ? health.sample.healthyHosts : 0;
    ready = status.ready >= Math.max(1, plan.standbyUnits) && hosts > 0;
    detail = `${status.ready}/${plan.standbyUnits} standby units ready, ${hosts} healthy host(s)`;
  } else {
    const verdict = judgeRegion(await deps.health.read(workload, plan.home, 60), false, failover.detection);
    const risk = forecastRisk(workload, await latestPredictions(deps, workload), deps.clock.now());
    if (!plan.force && risk.atRisk) throw new PlanRejectedError(`not failing back: ${risk.reason}`);
    ready = verdict.kind === 'good';
    detail = verdict.kind === 'good' ? 'home region healthy' : verdict.reasons.join('; ');
  }
  if (ready) {
    await deps.repositories.operations.appendStep(
      input.operationId,
      step(deps, 'destination-healthy', { polls, detail }),
    );
  } else if (polls >= plan.maxPolls) {
    throw new ProvisioningTimeoutError(
      `${plan.kind === 'failover' ? `standby region ${plan.standby}` : `home region ${plan.home}`} not ready after ${polls} polls: ${detail}`,
    );
  }
  return { polls, ready, waitSeconds: plan.pollSeconds, readyUnits };
}

// shift and gate --------------------------------------------------------------------------------

export interface RegionalCursor {
  index: number;
  percent: number;
  next: number;
  last: boolean;
  weights: TrafficWeights;
  regionWeights: Record<string, number>;
  /** Wait after this step before its gate: until every resolver has the new answer, plus the bake. */
  waitSeconds: number;
  noData: number;
  failed: number;
  decision: 'pending' | 'pass' | 'retry';
  reasons: string[];
}

/** Sets the step's DNS weights, waits until INSYNC, reads them back; records them as last verified. */
export async function shiftRegions(
  deps: RegionalDeps,
  input: { workloadId: string; operationId: string; plan: RegionalPlan; index: number },
): Promise<RegionalCursor> {
  const { plan, index } = input;
  const percent = plan.steps[index];
  if (percent === undefined) {
    throw new ValidationError(`step index ${index} is outside the plan's ${plan.steps.length} steps`);
  }
  const workload = await loadWorkload(deps, input.workloadId);
  const op = await loadOperation(deps, input.operationId);
  await deps.repositories.operations.renewLease(
    workload.workloadId,
    input.operationId,
    REGIONAL_LEASE_TTL_MS,
  );
  const wanted = weightsForStep(
    percent,
    plan.direction,
    plan.kind === 'failback' ? { from: op.initialWeights } : {},
  );
  const verified = await setAndVerifyRegions(deps.regions, workload, wanted, {
    ...(plan.fastTtlSeconds !== undefined ? { ttlSeconds: plan.fastTtlSeconds } : {}),
  });
  const regionWeights = toRegionWeights(workload, verified);
  await deps.repositories.operations.appendStep(
    input.operationId,
    { ...step(deps, 'dns-shifted', { index, percent, regionWeights }), weights: verified },
    verified,
  );
  const next = nextStepIndex(plan.steps, index);
  return {
    index,
    percent,
    next: next ?? index,
    last: next === undefined,
    weights: verified,
    regionWeights,
    waitSeconds: stepWaitSeconds(plan, op, deps.clock.now()),
    noData: 0,
    failed: 0,
    decision: 'pending',
    reasons: [],
  };
}

/** The gate after a step's TTL wait: the destination region's ALB metrics against the workload's thresholds. */
export async function gateRegion(
  deps: RegionalDeps,
  input: { workloadId: string; operationId: string; plan: RegionalPlan; cursor: RegionalCursor },
): Promise<RegionalCursor> {
  const { plan, cursor } = input;
  const workload = await loadWorkload(deps, input.workloadId);
  const failover = workload.failover;
  if (!failover) throw new PlanRejectedError(`workload ${workload.workloadId} has no failover configuration`);
  const region = plan.kind === 'failover' ? plan.standby : plan.home;
  const ops = deps.repositories.operations;
  // Judge only whole minutes after the step: CloudWatch publishes a minute about a minute after it
  // ends, and an earlier one describes traffic that had not moved yet. Until the first such minute
  // can be published the gate is "not yet", which does not count as no data.
  const op = await loadOperation(deps, input.operationId);
  const shiftedAt = op.steps.filter((s) => s.name === 'dns-shifted').at(-1)?.at ?? deps.clock.now();
  const sinceMs = Math.ceil(shiftedAt / 60_000) * 60_000;
  const readableAt = sinceMs + 60_000 + ALB_METRIC_DELAY_SECONDS * 1000;
  if (deps.clock.now() < readableAt) {
    await ops.renewLease(workload.workloadId, input.operationId, REGIONAL_LEASE_TTL_MS);
    const left = Math.ceil((readableAt - deps.clock.now()) / 1000);
    return {
      ...cursor,
      decision: 'retry',
      reasons: [`the first minute after the step is readable in ${left} s`],
    };
  }
  const result = await deps.health.read(workload, region, plan.gateWindowSeconds, { sinceMs });
  const verdict = evaluateGate(result, failover.gate, { noData: cursor.noData, failed: cursor.failed });
  await ops.renewLease(workload.workloadId, input.operationId, REGIONAL_LEASE_TTL_MS);
  if (verdict.decision === 'fail') {
    await ops.appendStep(
      input.operationId,
      step(deps, 'gate-failed', {
        region,
        percent: cursor.percent,
        cause: verdict.cause,
        reasons: verdict.reasons,
      }),
    );
    const message = `gate on ${region} at ${cursor.percent}% failed: ${verdict.reasons.join('; ')}`;
    throw verdict.cause === 'no-data' ? new GateNoDataError(message) : new GateFailedError(message);
  }
  if (verdict.decision === 'pass') {
    await ops.appendStep(input.operationId, step(deps, 'gate-passed', { region, percent: cursor.percent }));
  }
  return { ...cursor, ...verdict.counters, decision: verdict.decision, reasons: verdict.reasons };
}

// finish ----------------------------------------------------------------------------------------

/**
 * Records success, emits `Failover Succeeded`, releases the lease. A failback also scales the
 * standby back to its calm size, once DNS is verified to send it nothing.
 */
export async function recordRegionalSuccess(
  deps: RegionalDeps,
  input: { workloadId: string; operationId: string; plan: RegionalPlan },
): Promise<{ status: 'succeeded'; regionWeights: Record<string, number> }> {
  const op = await loadOperation(deps, input.operationId);
  const workload = await loadWorkload(deps, input.workloadId);
  const weights = op.lastVerifiedWeights ?? toPairWeights(workload, await deps.regions.getWeights(workload));
  const regionWeights = toRegionWeights(workload, weights);
  if (op.status === 'running') {
    await restoreTtl(deps, workload, op.operationId, weights);
    if (input.plan.kind === 'failback') await scaleStandbyToCalm(deps, workload, op.operationId);
    await publish(deps, {
      detailType: 'Failover Succeeded',
      detail: {
        workloadId: input.workloadId,
        operationId: input.operationId,
        at: deps.clock.now(),
        ...route(workload, input.plan.kind),
        regionWeights,
      },
    });
    await deps.repositories.operations.finish(input.operationId, 'succeeded');
  }
  await deps.repositories.operations.releaseLease(input.workloadId, input.operationId);
  return { status: 'succeeded', regionWeights };
}

/** Scale the standby back to calm, only when DNS reads back no weight on it. */
async function scaleStandbyToCalm(
  deps: RegionalDeps,
  workload: Workload,
  operationId: string,
): Promise<boolean> {
  const weights = toPairWeights(workload, await deps.regions.getWeights(workload));
  if (weights.shadow > 0) return false;
  const { calm } = standbyLimits(workload);
  const status = await deps.standby.describe(workload);
  if (status.desired > calm) await deps.standby.scale(workload, calm);
  await deps.repositories.operations.appendStep(operationId, step(deps, 'standby-calm', { units: calm }));
  return true;
}

export interface RegionalCompensation {
  summary: string;
  restored: boolean;
  regionWeights?: Record<string, number>;
  reason?: string;
  standby?: 'scaled-to-calm' | 'trimmed-to-ready' | 'kept';
}

/** What the state machine's Catch hands to the compensation: the run and the error it caught. */
interface CompensationInput {
  workloadId: string;
  operationId: string;
  kind: RegionalKind;
  error: { Error?: string; Cause?: unknown };
}
type CaughtError = ReturnType<typeof describeCaught>;

/** Nothing to undo: the operation is not running (finished already, or never started); the lease is released. */
async function compensationNotRunning(
  deps: RegionalDeps,
  input: CompensationInput,
  op: Operation | undefined,
  error: CaughtError,
): Promise<RegionalCompensation> {
  await deps.repositories.operations.releaseLease(input.workloadId, input.operationId);
  const reason = op ? `operation already ${op.status}` : 'no operation was started';
  return {
    summary: `${error.name}: ${error.message} (${reason}; nothing undone)`,
    restored: false,
    reason,
  };
}

/**
 * When another operation now holds the workload's lease, DNS and the standby are its business:
 * the run is closed as failed with nothing undone. Undefined when the lease is free or this run's.
 */
async function compensationLeasedElsewhere(
  deps: RegionalDeps,
  input: CompensationInput,
  op: Operation,
  error: CaughtError,
): Promise<RegionalCompensation | undefined> {
  const ops = deps.repositories.operations;
  const lease = await ops.getLease(input.workloadId);
  if (!(lease && lease.holder !== input.operationId && lease.expiresAt > deps.clock.now())) return undefined;
  const reason = `the workload is now leased by ${lease.holder}; DNS and standby left as they are`;
  await ops.appendStep(op.operationId, step(deps, 'compensation-skipped', { reason, error }));
  await ops.finish(op.operationId, 'failed', error);
  return { summary: `${error.name}: ${error.message} (${reason})`, restored: false, reason };
}

/**
 * DNS back to the safe weights (`weightsOnAbort` from the healthy hosts on each side), set and
 * verified unless already there, the TTL restored and the step recorded. Returns the weights, the
 * abort reason and the standby's status as read before.
 */
async function restoreRegionalWeights(
  deps: RegionalDeps,
  workload: Workload,
  op: Operation,
  error: CaughtError,
): Promise<{ weights: TrafficWeights; reason: string; standbyStatus: PoolStatus }> {
  const { home } = regionsOf(workload);
  const [homeHealth, standbyStatus, current] = await Promise.all([
    deps.health.read(workload, home, 60),
    deps.standby.describe(workload),
    deps.regions.getWeights(workload),
  ]);
  const homeHosts = homeHealth.kind === 'data' ? homeHealth.sample.healthyHosts : 0;
  const decision = weightsOnAbort(op, { primary: homeHosts, shadow: standbyStatus.ready });
  let weights = toPairWeights(workload, current);
  if (decision.reason !== 'keep-last-verified' && !sameWeights(weights, decision.weights)) {
    // Written with the configured TTL: the restore puts the TTL back too.
    weights = await setAndVerifyRegions(deps.regions, workload, decision.weights);
  }
  await restoreTtl(deps, workload, op.operationId, weights);
  await deps.repositories.operations.appendStep(
    op.operationId,
    { ...step(deps, 'restored', { reason: decision.reason, error }), weights },
    weights,
  );
  return { weights, reason: decision.reason, standbyStatus };
}

/**
 * The standby after the restore: back to calm when it ends up with no traffic; when traffic stays
 * on it (home has no healthy host), trimmed to what serves, dropping what never came up.
 */
async function settleStandby(
  deps: RegionalDeps,
  workload: Workload,
  operationId: string,
  weights: TrafficWeights,
  standbyStatus: PoolStatus,
): Promise<NonNullable<RegionalCompensation['standby']>> {
  if (workload.failover && weights.shadow === 0 && (await scaleStandbyToCalm(deps, workload, operationId))) {
    return 'scaled-to-calm';
  }
  if (standbyStatus.desired > Math.max(standbyLimits(workload).calm, standbyStatus.ready)) {
    const keep = Math.max(standbyLimits(workload).calm, standbyStatus.ready);
    await deps.standby.scale(workload, keep);
    await deps.repositories.operations.appendStep(
      operationId,
      step(deps, 'standby-trimmed', { units: keep }),
    );
    return 'trimmed-to-ready';
  }
  return 'kept';
}

/**
 * Undo: DNS back to the safe weights (the ones it started from, unless that region has no healthy
 * host: then wherever does; see `weightsOnAbort`), verified; the standby back to calm when it ends
 * up with no traffic; `Failover Rolled Back`; the lease released. Idempotent.
 */
export async function compensateRegional(
  deps: RegionalDeps,
  input: CompensationInput,
): Promise<RegionalCompensation> {
  const ops = deps.repositories.operations;
  const op = await ops.get(input.operationId);
  const error = describeCaught(input.error);
  if (op?.status !== 'running') return compensationNotRunning(deps, input, op, error);
  const leased = await compensationLeasedElsewhere(deps, input, op, error);
  if (leased) return leased;
  const workload = await loadWorkload(deps, input.workloadId);
  const { home, standby } = regionsOf(workload);
  const { weights, reason, standbyStatus } = await restoreRegionalWeights(deps, workload, op, error);
  const standbyState = await settleStandby(deps, workload, op.operationId, weights, standbyStatus);
  const regionWeights = toRegionWeights(workload, weights);
  await publish(deps, {
    detailType: 'Failover Rolled Back',
    detail: {
      workloadId: input.workloadId,
      operationId: input.operationId,
      at: deps.clock.now(),
      ...route(workload, input.kind),
      regionWeights,
      error,
    },
  });
  await ops.finish(op.operationId, 'rolled-back', error);
  await ops.releaseLease(input.workloadId, input.operationId);
  return {
    summary: `${error.name}: ${error.message} (restored ${home}/${standby} ${weights.primary}/${weights.shadow}, standby ${standbyState})`,
    restored: true,
    regionWeights,
    reason,
    standby: standbyState,
  };
}

export { RegionalPlan };
