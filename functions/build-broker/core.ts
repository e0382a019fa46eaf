import { z } from 'zod';
import { adjust } from '../../shared/builds/adjust';
import { type Allocation, allocate, type BrokerComponent } from '../../shared/builds/broker';
import { absorbRun, newProfileState, predictStage } from '../../shared/builds/predictor';
import { COMPUTE_TYPES, type ComputeTypeName, codeBuildType, pricesFor } from '../../shared/builds/prices';
import { contextOfBuild, runContextOf, stageRunInput } from '../../shared/builds/run-context';
import { REFERENCE_VCPU, runtimeSeconds, workDone } from '../../shared/builds/speedup';
import { runOfBuild, sizedBuildRequest } from '../../shared/builds/start';
import type { Clock } from '../../shared/clock';
import { TransientError } from '../../shared/errors';
import type {
  AllocationRecord,
  BuildProfileStore,
  BuildStarter,
  StartedBuild,
} from '../../shared/ports/builds';
import {
  BrokerInput,
  BuildStartRequest,
  CodeBuildPhaseEvent,
  CodeBuildStateEvent,
  FeedbackInput,
  PipelineStageEvent,
  type RunContext,
  schemaFor,
  WorkflowTaskEnded,
  WorkflowTaskRequest,
} from '../../shared/schemas/builds';
import { parseOrThrow } from '../../shared/validation';

/**
 * The build broker's Lambda cores. `decide`: on a stage start (CodePipeline stage STARTED,
 * CodeBuild IN_PROGRESS, or a workflow's request before an ECS task) predict the stage's profile,
 * allocate, and record the allocation with a TTL; the result carries the CodeBuild `StartBuild`
 * overrides or the ECS `RunTask` capacity-provider strategy. The prediction reads the run context
 * the input carries (shared/builds/run-context.ts), which the allocation records. `feedback`: on a
 * stage end, absorb the measured work into the stage's profile (once per run) with the context
 * recorded at allocation; on a CodeBuild phase change, compare progress with the profile and
 * record an adjustment. `startSizedBuild`: invoked directly, allocate as `decide` does and start
 * the CodeBuild build on that size itself.
 */

export const BrokerConfig = z.object({
  region: z.string().min(1),
  deadlineFactor: z.coerce.number().positive().default(1.25),
  budgetUsd: z.coerce.number().nonnegative().default(5),
  planQuantile: z.union([z.literal(0.5), z.literal(0.8), z.literal(0.9)]).default(0.8),
  parallelFraction: z.coerce.number().min(0).max(0.95).default(0.6),
  allocationTtlSeconds: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 86_400),
  defaultComputeType: z.enum(COMPUTE_TYPES).default('MEDIUM'),
});
export type BrokerConfig = z.infer<typeof BrokerConfig>;

/** Configuration from the function's environment (`SHADOWSCALE_BUILD_*`), validated. */
export function brokerConfigFromEnv(env: Readonly<Record<string, string | undefined>>): BrokerConfig {
  const pick = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  return parseOrThrow(
    BrokerConfig,
    {
      region: pick('AWS_REGION'),
      deadlineFactor: pick('SHADOWSCALE_BUILD_DEADLINE_FACTOR'),
      budgetUsd: pick('SHADOWSCALE_BUILD_BUDGET_USD'),
      planQuantile:
        pick('SHADOWSCALE_BUILD_PLAN_QUANTILE') === undefined
          ? undefined
          : Number(pick('SHADOWSCALE_BUILD_PLAN_QUANTILE')),
      parallelFraction: pick('SHADOWSCALE_BUILD_PARALLEL_FRACTION'),
      allocationTtlSeconds: pick('SHADOWSCALE_BUILD_ALLOCATION_TTL_SECONDS'),
      defaultComputeType: pick('SHADOWSCALE_BUILD_DEFAULT_COMPUTE_TYPE'),
    },
    'build broker environment',
  );
}

export interface BrokerDeps {
  clock: Clock;
  store: BuildProfileStore;
  config: BrokerConfig;
}

export type DecideResult =
  | {
      action: 'allocated';
      pipeline: string;
      stage: string;
      runId: string;
      allocation: Allocation;
      basis: string;
      /** Malformed context variables the build's event carried, left out. */
      ignoredContext?: string[];
    }
  | { action: 'skipped'; reason: string };

interface StageRef {
  pipeline: string;
  stage: string;
  runId: string;
  startedAt: number;
  component: BrokerComponent;
  /** What the prediction may read besides the start time; recorded on the allocation. */
  context: RunContext;
  /** Malformed context variables of a build's event, left out (logged by the handler). */
  ignoredContext?: string[];
  deadlineSeconds?: number;
  budgetUsd?: number;
}

/** Pipeline name used for CodeBuild projects that run outside CodePipeline. */
export const STANDALONE_CODEBUILD = 'codebuild';

function stageOf(input: z.infer<typeof BrokerInput>, config: BrokerConfig): StageRef | string {
  if ('kind' in input)
    return {
      pipeline: input.workflow,
      stage: input.task,
      runId: input.runId,
      startedAt: Number.NaN,
      component: {
        pipeline: input.workflow,
        stage: input.task,
        kind: 'ecs-task',
        parallelFraction: config.parallelFraction,
        interruptible: input.interruptible,
        ...(input.minMemoryGb !== undefined ? { minMemoryGb: input.minMemoryGb } : {}),
      },
      context: runContextOf(input),
      ...(input.deadlineSeconds !== undefined ? { deadlineSeconds: input.deadlineSeconds } : {}),
      ...(input.budgetUsd !== undefined ? { budgetUsd: input.budgetUsd } : {}),
    };
  const time = Date.parse(input.time);
  if (input.source === 'aws.codepipeline') {
    if (input.detail.state !== 'STARTED' && input.detail.state !== 'RESUMED')
      return `stage state ${input.detail.state} is not a start`;
    const { pipeline, stage } = input.detail;
    return {
      pipeline,
      stage,
      runId: input.detail['execution-id'],
      startedAt: time,
      component: { pipeline, stage, kind: 'codebuild', parallelFraction: config.parallelFraction },
      context: runContextOf(input),
    };
  }
  if (input.detail['build-status'] !== 'IN_PROGRESS')
    return `build status ${input.detail['build-status']} is not a start`;
  const run = runOfBuild(input.detail['additional-information']?.environment?.['environment-variables']);
  if (run) return `started by the broker for ${run.pipeline}/${run.stage}/${run.runId}, allocated then`;
  const stage = input.detail['project-name'];
  const ignoredContext: string[] = [];
  const context = runContextOf(input, ignoredContext);
  return {
    pipeline: STANDALONE_CODEBUILD,
    stage,
    runId: input.detail['build-id'],
    startedAt: time,
    component: {
      pipeline: STANDALONE_CODEBUILD,
      stage,
      kind: 'codebuild',
      parallelFraction: config.parallelFraction,
    },
    context,
    ...(ignoredContext.length > 0 ? { ignoredContext } : {}),
  };
}

export async function decide(event: unknown, deps: BrokerDeps): Promise<DecideResult> {
  const input = parseOrThrow(
    schemaFor(event, [PipelineStageEvent, CodeBuildStateEvent, WorkflowTaskRequest]) ?? BrokerInput,
    event,
    'build broker event',
  ) as z.infer<typeof BrokerInput>;
  const ref = stageOf(input, deps.config);
  if (typeof ref === 'string') return { action: 'skipped', reason: ref };
  const { record, basis } = await allocateRun(ref, deps);
  return {
    action: 'allocated',
    pipeline: record.pipeline,
    stage: record.stage,
    runId: record.runId,
    allocation: record.allocation,
    basis,
    ...(ref.ignoredContext ? { ignoredContext: ref.ignoredContext } : {}),
  };
}

/**
 * Predict the stage's work, allocate, and record the allocation (first writer wins: a redelivered
 * start, or a second caller for the same run, gets the allocation already recorded).
 */
async function allocateRun(
  ref: StageRef,
  deps: BrokerDeps,
): Promise<{ record: AllocationRecord; basis: string }> {
  const now = deps.clock.now();
  const startedAt = Number.isFinite(ref.startedAt) ? ref.startedAt : now;
  const prices = pricesFor(deps.config.region);
  const stored = await deps.store.getProfile(ref.pipeline, ref.stage);
  const prediction = stored ? predictStage(stored.state, stageRunInput(startedAt, ref.context)) : undefined;
  const p = ref.component.parallelFraction;
  // Without history, plan a run of the default size's typical length: the first run teaches the profile.
  const fallbackWork = 600;
  const q = prediction?.agentSeconds ?? {
    q10: fallbackWork,
    q50: fallbackWork,
    q80: fallbackWork,
    q90: fallbackWork,
  };
  const deadlineSeconds =
    ref.deadlineSeconds ?? deps.config.deadlineFactor * runtimeSeconds(q.q50, p, REFERENCE_VCPU);
  const allocation = prediction
    ? allocate({
        component: ref.component,
        prediction: { agentSeconds: q },
        deadlineSeconds,
        budgetUsd: ref.budgetUsd ?? deps.config.budgetUsd,
        planQuantile: deps.config.planQuantile,
        // Fleet occupancy is not read here: on-demand capacity (and Fargate) only.
        pool: { reservedFree: {}, onDemandAvailable: true },
        prices,
      })
    : defaultAllocation(ref, deps.config, q, deadlineSeconds);
  const record: AllocationRecord = {
    pipeline: ref.pipeline,
    stage: ref.stage,
    runId: ref.runId,
    startedAt,
    allocation,
    planned: prediction ? q : null,
    parallelFraction: p,
    deadlineSeconds,
    runContext: ref.context,
    ttl: Math.floor(now / 1000) + deps.config.allocationTtlSeconds,
  };
  const kept = await deps.store.putAllocation(record);
  return { record: kept, basis: prediction?.basis ?? 'no history' };
}

export interface StarterDeps extends BrokerDeps {
  starter: BuildStarter;
}

export interface StartResult {
  /** `started`: this invocation started the build; `already-started`: an earlier one had. */
  action: 'started' | 'already-started';
  pipeline: string;
  stage: string;
  runId: string;
  projectName: string;
  buildId: string;
  buildArn?: string;
  computeType: string;
  allocation: Allocation;
  basis: string;
  /**
   * `false`: the build was started but recording its id on the allocation failed transiently.
   * The build is returned all the same (an error now would orphan a running build): its end event
   * still trains the profile (the build carries the run's variables), and a retry within
   * CodeBuild's five-minute token window gets this build; only a retry later than that could
   * start a second one.
   */
  recorded?: false;
}

/**
 * Direct invocation: allocate the run as `decide` does, start the CodeBuild build on that size,
 * record the build id on the allocation and return it. One run, one build: a retry finds the
 * build recorded (any time within the allocation's TTL) or, if the first invocation died between
 * StartBuild and the record, presents the same idempotency token (CodeBuild answers with the
 * same build for five minutes). Errors are thrown by name (NotFoundError, TransientError,
 * ConfigError, ValidationError) for the caller's Retry/Catch.
 */
export async function startSizedBuild(event: unknown, deps: StarterDeps): Promise<StartResult> {
  const input = parseOrThrow(BuildStartRequest, event, 'build start request');
  const ref: StageRef = {
    pipeline: input.pipeline,
    stage: input.stage,
    runId: input.runId,
    startedAt: Number.NaN,
    component: {
      pipeline: input.pipeline,
      stage: input.stage,
      kind: 'codebuild',
      parallelFraction: deps.config.parallelFraction,
    },
    context: runContextOf(input),
    ...(input.deadlineSeconds !== undefined ? { deadlineSeconds: input.deadlineSeconds } : {}),
    ...(input.budgetUsd !== undefined ? { budgetUsd: input.budgetUsd } : {}),
  };
  const { record, basis } = await allocateRun(ref, deps);
  const result = (action: StartResult['action'], build: StartedBuild): StartResult => ({
    action,
    pipeline: record.pipeline,
    stage: record.stage,
    runId: record.runId,
    projectName: build.projectName,
    buildId: build.id,
    ...(build.arn ? { buildArn: build.arn } : {}),
    computeType: build.computeType,
    allocation: record.allocation,
    basis,
  });
  if (record.build) return result('already-started', record.build);
  const started = await deps.starter.start(sizedBuildRequest(record.allocation, input));
  const build: StartedBuild = { ...started, startedAt: deps.clock.now() };
  let kept: StartedBuild;
  try {
    kept = await deps.store.setBuild(record.pipeline, record.stage, record.runId, build);
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    return { ...result('started', build), recorded: false };
  }
  return result(kept.id === started.id ? 'started' : 'already-started', kept);
}

function defaultAllocation(
  ref: StageRef,
  config: BrokerConfig,
  q: { q10: number; q50: number; q80: number; q90: number },
  deadlineSeconds: number,
): Allocation {
  const prices = pricesFor(config.region);
  const all = allocate({
    component: ref.component,
    prediction: { agentSeconds: q },
    deadlineSeconds,
    budgetUsd: Number.POSITIVE_INFINITY,
    planQuantile: 0.5,
    pool: { reservedFree: {}, onDemandAvailable: true },
    prices,
  });
  if (ref.component.kind !== 'codebuild')
    return { ...all, reason: 'no history yet: sized for a typical run' };
  const type = codeBuildType(prices, config.defaultComputeType);
  return {
    ...all,
    id: `on-demand:${type.name}`,
    tier: 'on-demand',
    computeType: type.name,
    vcpu: type.vcpu,
    memoryGb: type.memoryGb,
    usdPerSecond: type.onDemandPerMinute / 60,
    preferred: `on-demand:${type.name}`,
    reason: 'no history yet: the default compute type',
    codebuild: { computeTypeOverride: type.computeType, useReservedFleet: false },
  };
}

export type FeedbackResult =
  | {
      action: 'absorbed';
      pipeline: string;
      stage: string;
      runId: string;
      agentSeconds: number;
      runs: number;
      /** Malformed context variables the build's event carried, left out. */
      ignoredContext?: string[];
    }
  | { action: 'adjusted'; pipeline: string; stage: string; runId: string; adjustment: string; vcpu: number }
  | { action: 'skipped'; reason: string };

const VCPU_OF: Record<string, number> = Object.fromEntries(
  COMPUTE_TYPES.map((n) => [
    `BUILD_GENERAL1_${n}`,
    { SMALL: 2, MEDIUM: 4, LARGE: 8, XLARGE: 36, '2XLARGE': 72 }[n as ComputeTypeName],
  ]),
);

/** Run ids kept per profile to absorb a redelivered end event once. */
const ABSORBED_KEEP = 100;

export async function feedback(event: unknown, deps: BrokerDeps): Promise<FeedbackResult> {
  const input = parseOrThrow(
    schemaFor(event, [PipelineStageEvent, CodeBuildStateEvent, CodeBuildPhaseEvent, WorkflowTaskEnded]) ??
      FeedbackInput,
    event,
    'build feedback event',
  ) as z.infer<typeof FeedbackInput>;
  if ('kind' in input) {
    const alloc = await deps.store.getAllocation(input.workflow, input.task, input.runId);
    const vcpu = alloc?.allocation.vcpu ?? REFERENCE_VCPU;
    const p = alloc?.parallelFraction ?? deps.config.parallelFraction;
    return absorb(
      deps,
      input.workflow,
      input.task,
      input.runId,
      alloc?.startedAt ?? deps.clock.now(),
      workDone(input.durationSeconds, p, vcpu),
      alloc?.runContext,
    );
  }
  const time = Date.parse(input.time);
  if (input['detail-type'] === 'CodeBuild Build Phase Change') return adjustRunningBuild(deps, input, time);
  if (input.source === 'aws.codepipeline') {
    const { pipeline, stage, state } = input.detail;
    // Cancelled and stopped runs did not do their work: they would teach the profile a short run.
    if (state !== 'SUCCEEDED' && state !== 'FAILED')
      return { action: 'skipped', reason: `stage state ${state} is not a completed run` };
    const runId = input.detail['execution-id'];
    const alloc = await deps.store.getAllocation(pipeline, stage, runId);
    if (!alloc)
      return { action: 'skipped', reason: 'no allocation recorded for this run: its start time is unknown' };
    const seconds = (time - alloc.startedAt) / 1000;
    if (!(seconds > 0)) return { action: 'skipped', reason: 'end is not after start' };
    return absorb(
      deps,
      pipeline,
      stage,
      runId,
      alloc.startedAt,
      workDone(seconds, alloc.parallelFraction, alloc.allocation.vcpu),
      alloc.runContext,
    );
  }
  const d = input.detail;
  if (d['build-status'] !== 'SUCCEEDED' && d['build-status'] !== 'FAILED')
    return { action: 'skipped', reason: `build status ${d['build-status']} is not a completed run` };
  const phases = d['additional-information']?.phases ?? [];
  const seconds = phases.reduce((s, ph) => s + (ph['duration-in-seconds'] ?? 0), 0);
  if (!(seconds > 0)) return { action: 'skipped', reason: 'the event carries no phase durations' };
  // A build the starter started belongs to the run it was sized for, not to the project alone.
  const run = runOfBuild(d['additional-information']?.environment?.['environment-variables']) ?? {
    pipeline: STANDALONE_CODEBUILD,
    stage: d['project-name'],
    runId: d['build-id'],
  };
  const alloc = await deps.store.getAllocation(run.pipeline, run.stage, run.runId);
  const vcpu =
    VCPU_OF[d['additional-information']?.environment?.['compute-type'] ?? ''] ??
    alloc?.allocation.vcpu ??
    REFERENCE_VCPU;
  const p = alloc?.parallelFraction ?? deps.config.parallelFraction;
  const ignoredContext: string[] = [];
  const result = await absorb(
    deps,
    run.pipeline,
    run.stage,
    run.runId,
    alloc?.startedAt ?? time - seconds * 1000,
    workDone(seconds, p, vcpu),
    // The context recorded at allocation; a build allocated before it was recorded, or never
    // allocated, is read from this event as its start would have been.
    alloc?.runContext ?? contextOfBuild(d, ignoredContext),
  );
  return result.action === 'absorbed' && ignoredContext.length > 0 ? { ...result, ignoredContext } : result;
}

/**
 * A running standalone build changed phase: compare its progress with its planned work and record
 * the adjustment this suggests (within the budget left).
 */
async function adjustRunningBuild(
  deps: BrokerDeps,
  input: z.infer<typeof CodeBuildPhaseEvent>,
  time: number,
): Promise<FeedbackResult> {
  const d = input.detail;
  const alloc = await deps.store.getAllocation(STANDALONE_CODEBUILD, d['project-name'], d['build-id']);
  if (!alloc?.planned) return { action: 'skipped', reason: 'no planned allocation for this build' };
  const sizes = pricesFor(deps.config.region).codebuild.map((t) => t.vcpu);
  const adj = adjust(
    {
      elapsedSeconds: Math.max(0, (time - alloc.startedAt) / 1000),
      vcpu: alloc.allocation.vcpu,
      parallelFraction: alloc.parallelFraction,
      agentSeconds: alloc.planned,
      deadlineSeconds: alloc.deadlineSeconds,
    },
    {
      sizes,
      budgetLeftUsd: Math.max(0, deps.config.budgetUsd - alloc.allocation.expectedCostUsd),
      usdPerVcpuSecond: alloc.allocation.usdPerSecond / Math.max(1, alloc.allocation.vcpu),
    },
  );
  await deps.store.setAdjustment(alloc.pipeline, alloc.stage, alloc.runId, {
    at: time,
    action: adj.action,
    vcpu: adj.vcpu,
    reason: adj.reason,
  });
  return {
    action: 'adjusted',
    pipeline: alloc.pipeline,
    stage: alloc.stage,
    runId: alloc.runId,
    adjustment: adj.action,
    vcpu: adj.vcpu,
  };
}

async function absorb(
  deps: BrokerDeps,
  pipeline: string,
  stage: string,
  runId: string,
  startedAt: number,
  agentSeconds: number,
  context: RunContext | undefined,
): Promise<FeedbackResult> {
  const stored = await deps.store.getProfile(pipeline, stage);
  if (stored?.absorbed.includes(runId))
    return { action: 'skipped', reason: `run ${runId} was already absorbed` };
  const state = stored ? stored.state : newProfileState();
  absorbRun(state, stageRunInput(startedAt, context), agentSeconds);
  const absorbed = [...(stored?.absorbed ?? []), runId].slice(-ABSORBED_KEEP);
  // A concurrent end of another run of the stage makes this write lose: ConflictError, and the
  // asynchronous invocation is retried from a fresh read.
  await deps.store.putProfile(
    { pipeline, stage, state, version: stored?.version ?? 0, absorbed, updatedAt: deps.clock.now() },
    stored?.version ?? 0,
  );
  return { action: 'absorbed', pipeline, stage, runId, agentSeconds, runs: state.runs };
}
