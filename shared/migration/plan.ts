import { z } from 'zod';
import { PlanRejectedError } from '../errors';
import {
  holdSecondsForReturn,
  peakUnits,
  shadowPoolUnits,
  shadowUnitsFor,
  shadowWeightFor,
} from '../planning';
import type { ContentionDecisionRecord } from '../ports/repositories';
import { TrafficWeights } from '../schemas/operation';
import type { Prediction } from '../schemas/series';
import { GateThresholds, type Workload } from '../schemas/workload';
import { type Direction, remainingSteps, resolveSteps, resumeIndex, type StepPreset } from './weights';

/** Seconds between readiness polls, and between gate re-checks, when the workload says nothing finer. */
export const POLL_SECONDS = 15;

/** How late a minute of ALB metrics typically lands in CloudWatch. */
export const METRIC_DELAY_SECONDS = 60;

/** What the state machines carry from the plan to every later task (plain JSON). */
export const MigrationPlan = z.strictObject({
  kind: z.enum(['migration', 'return']),
  direction: z.enum(['to-shadow', 'to-primary']),
  steps: z.array(z.number().int().min(1).max(100)).min(1),
  /** Migration: percent of traffic on the shadow pool after the last step (100: everything moves). */
  shadowWeight: z.number().int().min(1).max(100).default(100),
  /** Cursor where shifting starts (non-zero on a rerun that finds traffic already moved). */
  startIndex: z.number().int().nonnegative(),
  bakeSeconds: z.number().int().nonnegative(),
  /**
   * What the state machine's Bake wait lasts: the gate window plus the metric delay, so the first
   * check reads only minutes that started after the shift (ALB metrics land about a minute late).
   */
  bakeWaitSeconds: z.number().int().nonnegative(),
  /** Window the gate reads: at least one CloudWatch minute. */
  gateWindowSeconds: z.number().int().positive(),
  gateRetrySeconds: z.number().int().positive(),
  gate: GateThresholds,
  /**
   * First readiness poll after provisioning: the workload's provisioning lag (a new unit is not
   * ready sooner), so the loop does not spend state transitions polling a pool that cannot be up.
   */
  firstPollSeconds: z.number().int().nonnegative(),
  pollSeconds: z.number().int().positive(),
  /** Readiness polls before ProvisioningTimeoutError: the first, then every pollSeconds up to healthyTimeoutSeconds. */
  maxPolls: z.number().int().positive(),
  shadow: z.strictObject({
    units: z.number().int().nonnegative(),
    taskCpu: z.number().int().positive().optional(),
    taskMemory: z.number().int().positive().optional(),
  }),
  /** Healthy targets the destination target group must reach before traffic moves. */
  minHealthyTargets: z.number().int().positive(),
  sizing: z.strictObject({
    source: z.enum(['override', 'event', 'forecast', 'decision', 'current']),
    peakUnits: z.number().nonnegative().optional(),
    metric: z.string().optional(),
  }),
  /** Return only: seconds still to wait for the "contention cleared" window. */
  holdSeconds: z.number().int().nonnegative(),
  /** Return only: an operator asked; do not wait for, or re-check, the cleared window. */
  force: z.boolean(),
  initialWeights: TrafficWeights,
});
export type MigrationPlan = z.infer<typeof MigrationPlan>;

/** Overrides a console or CLI run may pass in its input. */
export interface PlanOverrides {
  steps?: number[];
  preset?: StepPreset;
  stepCount?: number;
  bakeSeconds?: number;
  shadowUnits?: number;
  /** From a `Contention Predicted` event: predicted peak in units at the planning quantile. */
  peakUnits?: number;
  /** From a `Contention Predicted` event: the shadow pool size the planner announced. */
  plannedShadowUnits?: number;
  /** Move a workload marked `stateless: false` anyway (the operator has a drain plan). */
  allowStateful?: boolean;
  /** Return only: skip the "cleared for long enough" window (an operator asked). */
  force?: boolean;
}

export interface PlanInputs {
  kind: 'migration' | 'return';
  workload: Workload;
  overrides: PlanOverrides;
  predictions: readonly Prediction[];
  decision: ContentionDecisionRecord | undefined;
  /** Weights when the operation started and the last verified ones (a rerun). */
  initialWeights: TrafficWeights;
  lastVerifiedWeights: TrafficWeights | undefined;
  /** Return: units the shadow pool has now. */
  currentShadowUnits?: number;
  nowMs: number;
}

function sizing(inputs: PlanInputs): MigrationPlan['sizing'] & { units: number } {
  const { workload, overrides } = inputs;
  if (overrides.shadowUnits !== undefined) {
    // A shadow pool of 0 units could never take traffic: at least one, at most the maximum.
    return { source: 'override', units: shadowPoolUnits(workload, overrides.shadowUnits) };
  }
  if (overrides.plannedShadowUnits !== undefined && overrides.plannedShadowUnits > 0) {
    // The size the forecaster announced: what was planned is what is provisioned.
    return {
      source: 'event',
      ...(overrides.peakUnits !== undefined ? { peakUnits: overrides.peakUnits } : {}),
      units: shadowPoolUnits(workload, overrides.plannedShadowUnits),
    };
  }
  if (overrides.peakUnits !== undefined) {
    return {
      source: 'event',
      peakUnits: overrides.peakUnits,
      units: shadowPoolUnits(workload, shadowUnitsFor(workload, overrides.peakUnits)),
    };
  }
  const fromForecast = peakUnits(workload, inputs.predictions);
  if (fromForecast) {
    return {
      source: 'forecast',
      ...fromForecast,
      units: shadowPoolUnits(workload, shadowUnitsFor(workload, fromForecast.peakUnits)),
    };
  }
  const recommended = inputs.decision?.recommendedShadowUnits;
  if (recommended !== undefined && recommended > 0) {
    return { source: 'decision', units: shadowPoolUnits(workload, recommended) };
  }
  throw new PlanRejectedError(
    `workload ${workload.workloadId}: no forecast to size the shadow pool from (pass shadowUnits to size it by hand)`,
  );
}

/** The whole plan of a migration or return. Pure: every input is passed in. */
export function makePlan(inputs: PlanInputs): MigrationPlan {
  const { workload, overrides, kind } = inputs;
  if (kind === 'migration' && !workload.stateless && !overrides.allowStateful) {
    throw new PlanRejectedError(
      `workload ${workload.workloadId} is stateful (stateless: false); shadow-pool migration needs allowStateful`,
    );
  }
  const direction: Direction = kind === 'migration' ? 'to-shadow' : 'to-primary';
  const bakeSeconds = overrides.bakeSeconds ?? workload.migration.bakeSeconds;
  const timeout = workload.migration.healthyTimeoutSeconds;
  const pollSeconds = Math.min(POLL_SECONDS, timeout);
  // A return polls the primary, which is already running: no lag to wait out.
  const firstPollSeconds =
    kind === 'migration' ? Math.min(workload.capacity.provisioningLagSeconds, timeout) : 0;
  const planned =
    kind === 'migration'
      ? sizing(inputs)
      : { source: 'current' as const, units: inputs.currentShadowUnits ?? 0 };
  // A migration re-planned while a shadow pool already carries traffic never shrinks it.
  const size =
    kind === 'migration' &&
    inputs.currentShadowUnits !== undefined &&
    inputs.currentShadowUnits > planned.units
      ? { ...planned, units: Math.min(workload.capacity.shadowMaxUnits, inputs.currentShadowUnits) }
      : planned;
  const isEcs = workload.compute.kind === 'ecs';
  const shadow: MigrationPlan['shadow'] = { units: size.units };
  if (workload.compute.kind === 'ecs') {
    if (workload.compute.shadowTaskCpu) shadow.taskCpu = workload.compute.shadowTaskCpu;
    if (workload.compute.shadowTaskMemory) shadow.taskMemory = workload.compute.shadowTaskMemory;
  }
  const { units: _units, ...sizingInfo } = size;
  const shadowWeight =
    kind === 'migration'
      ? shadowWeightFor(workload, size.units, 'peakUnits' in size ? size.peakUnits : undefined)
      : 100;
  // A move that starts part-way (a re-plan over a running shadow pool, a return) continues the
  // ladder from the weights it started with; a rerun computes the same steps from the same start.
  const shape = { shadowWeight, from: inputs.initialWeights };
  const steps = remainingSteps(resolveSteps(workload.migration.steps, overrides), direction, shape);
  return {
    kind,
    direction,
    steps,
    startIndex: resumeIndex(steps, inputs.lastVerifiedWeights, direction, shape),
    shadowWeight,
    bakeSeconds,
    bakeWaitSeconds: Math.max(60, bakeSeconds) + METRIC_DELAY_SECONDS,
    gateWindowSeconds: Math.max(60, bakeSeconds),
    gateRetrySeconds: Math.max(POLL_SECONDS, Math.min(60, bakeSeconds)),
    gate: workload.migration.gate,
    firstPollSeconds,
    pollSeconds,
    maxPolls: 1 + Math.max(0, Math.ceil((timeout - firstPollSeconds) / pollSeconds)),
    shadow,
    // ECS: one task is one target. EKS: nodes are not targets (pods are), so one healthy pod
    // behind the shadow target group is the floor.
    minHealthyTargets: kind === 'migration' ? (isEcs ? Math.max(1, size.units) : 1) : 1,
    sizing: sizingInfo,
    holdSeconds:
      kind === 'return'
        ? holdSecondsForReturn(workload, inputs.decision, inputs.nowMs, overrides.force ?? false)
        : 0,
    force: overrides.force ?? false,
    initialWeights: inputs.initialWeights,
  };
}
