import { z } from 'zod';
import { PlanRejectedError } from '../errors';
import { recommendedShadowUnits } from '../planning/sizing';
import type { ContentionDecisionRecord } from '../ports/repositories';
import { TrafficWeights } from '../schemas/operation';
import type { Prediction } from '../schemas/series';
import { GateThresholds, type Workload } from '../schemas/workload';
import { type Direction, resolveSteps, resumeIndex, type StepPreset } from './weights';

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
  /** Move a workload marked `stateless: false` anyway (the operator has a drain plan). */
  allowStateful?: boolean;
  /** Return only: skip the "cleared for long enough" window (an operator asked). */
  force?: boolean;
}

/** The quantile series to plan against: the workload's quantile, else the nearest above, else the highest. */
export function quantileValues(prediction: Prediction, q: number): number[] {
  const sorted = [...prediction.quantiles].sort((a, b) => a.q - b.q);
  const exact = sorted.find((s) => Math.abs(s.q - q) < 1e-9);
  const above = sorted.find((s) => s.q >= q);
  return (exact ?? above ?? sorted[sorted.length - 1])?.values ?? prediction.point;
}

/**
 * Predicted peak demand in units: for each critical metric with a forecast, the peak of its
 * planning quantile divided by what one unit serves at the target utilisation; the largest wins.
 */
export function peakUnitsFromPredictions(
  workload: Workload,
  predictions: readonly Prediction[],
): { peakUnits: number; metric: string } | undefined {
  let best: { peakUnits: number; metric: string } | undefined;
  for (const metric of workload.metrics) {
    if (!metric.critical) continue;
    const prediction = predictions.find((p) => p.metric === metric.name);
    if (!prediction) continue;
    const values = quantileValues(prediction, metric.quantile);
    if (values.length === 0) continue;
    const peak = Math.max(...values);
    const units = peak / (metric.capacityPerUnit * workload.capacity.targetUtilization);
    if (!best || units > best.peakUnits) best = { peakUnits: units, metric: metric.name };
  }
  return best;
}

/**
 * Shadow units for a predicted peak (units at target utilisation), within 1..shadowMaxUnits:
 * `overflow` moves sizes for the deficit (the part of the peak the primary cannot serve at its
 * maximum, the same rule as the forecaster's `recommendedShadowUnits`), `whole` moves for the
 * whole peak; either times `shadowShare`, plus `bufferFraction`.
 */
export function shadowUnitsFor(workload: Workload, peakUnits: number): number {
  const max = workload.capacity.shadowMaxUnits;
  if (max <= 0)
    throw new PlanRejectedError(
      `workload ${workload.workloadId}: shadowMaxUnits is 0 (shadow pools disabled)`,
    );
  // The forecaster's sizing (it announces this size), with at least one unit to move traffic onto.
  return Math.max(1, recommendedShadowUnits(workload, peakUnits));
}

/**
 * Percent of traffic a migration ends with on the shadow pool. `overflow`: the share of the
 * predicted peak its units serve at target utilisation, so neither pool is planned above its
 * target. `whole`, or without a peak (units given by an operator, or only the forecaster's
 * decision): everything moves.
 */
export function shadowWeightFor(workload: Workload, units: number, peakUnits: number | undefined): number {
  if (workload.migration.move === 'whole' || peakUnits === undefined || !(peakUnits > 0)) return 100;
  return Math.min(100, Math.max(1, Math.round((100 * units) / peakUnits)));
}

/**
 * Order in which contending workloads move: stateless first, then by predicted demand (largest
 * relief first), then by priority. A stateful workload is only a candidate when allowed.
 */
export function rankForMigration<T extends { workload: Workload; demandUnits: number }>(
  candidates: readonly T[],
): T[] {
  return [...candidates].sort(
    (a, b) =>
      Number(b.workload.stateless) - Number(a.workload.stateless) ||
      b.demandUnits - a.demandUnits ||
      b.workload.priority - a.workload.priority ||
      a.workload.workloadId.localeCompare(b.workload.workloadId),
  );
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
    if (workload.capacity.shadowMaxUnits <= 0) {
      throw new PlanRejectedError(
        `workload ${workload.workloadId}: shadowMaxUnits is 0 (shadow pools disabled)`,
      );
    }
    // A shadow pool of 0 units could never take traffic: at least one, at most the maximum.
    return {
      source: 'override',
      units: Math.max(1, Math.min(overrides.shadowUnits, workload.capacity.shadowMaxUnits)),
    };
  }
  if (overrides.peakUnits !== undefined) {
    return {
      source: 'event',
      peakUnits: overrides.peakUnits,
      units: shadowUnitsFor(workload, overrides.peakUnits),
    };
  }
  const fromForecast = peakUnitsFromPredictions(workload, inputs.predictions);
  if (fromForecast) {
    return { source: 'forecast', ...fromForecast, units: shadowUnitsFor(workload, fromForecast.peakUnits) };
  }
  const recommended = inputs.decision?.recommendedShadowUnits;
  if (recommended !== undefined && recommended > 0) {
    return { source: 'decision', units: Math.min(recommended, workload.capacity.shadowMaxUnits) };
  }
  throw new PlanRejectedError(
    `workload ${workload.workloadId}: no forecast to size the shadow pool from (pass shadowUnits to size it by hand)`,
  );
}

/** Seconds a return must still wait for contention to have been clear for `returnAfterClearSeconds`. */
export function holdSecondsForReturn(
  workload: Workload,
  decision: ContentionDecisionRecord | undefined,
  nowMs: number,
  force: boolean,
): number {
  if (force) return 0;
  if (decision?.contended) {
    throw new PlanRejectedError(
      `workload ${workload.workloadId}: contention is still predicted (score ${decision.score}); pass force to return anyway`,
    );
  }
  if (!decision) return 0;
  const clearSince = decision.since;
  const remainingMs = clearSince + workload.contention.returnAfterClearSeconds * 1000 - nowMs;
  return Math.max(0, Math.ceil(remainingMs / 1000));
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
  const steps = resolveSteps(workload.migration.steps, overrides);
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
  return {
    kind,
    direction,
    steps,
    startIndex: resumeIndex(steps, inputs.lastVerifiedWeights, direction, {
      shadowWeight,
      from: inputs.initialWeights,
    }),
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
