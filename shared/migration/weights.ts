import { NoHealthyTargetsError, ValidationError } from '../errors';
import type { TrafficWeights } from '../schemas/operation';

/**
 * Pure weight decisions for shadow-pool moves. A migration moves traffic `to-shadow`; a return
 * moves it `to-primary`. Steps are the share (percent) of traffic on the *destination* after each
 * step, strictly increasing and ending at 100 (see `Steps` in shared/schemas/workload.ts).
 */
export type Direction = 'to-shadow' | 'to-primary';

export const DEFAULT_STEPS: readonly number[] = [10, 25, 50, 100];

export const PRIMARY_ONLY: TrafficWeights = { primary: 100, shadow: 0 };
export const SHADOW_ONLY: TrafficWeights = { primary: 0, shadow: 100 };

/**
 * What a plan moves. A migration moves traffic until `shadowWeight` percent is on the shadow pool
 * (the share of the predicted peak the shadow pool is sized for; 100 moves everything); a return
 * moves it from the weights it started `from` back to the primary.
 */
export interface MoveShape {
  shadowWeight?: number;
  from?: TrafficWeights;
}

/**
 * The weights after a step. A step is a rung of the workload's ladder: the percent of the planned
 * move's full extent on the destination, an absolute share as Argo Rollouts' `setWeight` or an ECS
 * canary's percent is. A migration to a 20 % shadow share goes 2, 5, 10, 20 % with steps 10, 25,
 * 50, 100; a return goes 10, 25, 50, 100 % on the primary. A move that starts part-way (a grown
 * forecast re-plans a migration that already has 10 % on the shadow pool; a return from 80/20)
 * continues the ladder from where traffic stands: rungs at or below it keep the current weights,
 * never moving traffic back, so the 10 % -> 20 % re-plan is one step to 20 % and the return from
 * 80/20 one step to 100/0. No step grows the destination's share by more than the ladder allows
 * from that share (the default ladder about doubles it a step); `remainingSteps` drops the rungs
 * already passed.
 */
export function weightsForStep(percent: number, direction: Direction, shape: MoveShape = {}): TrafficWeights {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new ValidationError(`step percent = ${percent}: must be an integer from 0 to 100`, [
      { path: 'steps', message: 'must be an integer from 0 to 100', received: percent },
    ]);
  }
  if (direction === 'to-shadow') {
    // From where traffic stands (0 on a first move; more when a grown forecast re-plans a move).
    const start = shape.from?.shadow ?? 0;
    const target = Math.max(start, shape.shadowWeight ?? 100);
    const shadow = Math.max(start, Math.round((percent * target) / 100), percent > 0 ? 1 : 0);
    return { primary: 100 - shadow, shadow };
  }
  const primary = Math.max(shape.from?.primary ?? 0, percent);
  return { primary, shadow: 100 - primary };
}

/**
 * The steps a move still has to take from where traffic stands (`shape.from`): the rungs that put
 * more on the destination than it has. A move with nothing left (a re-plan to a share the shadow
 * pool already carries) keeps its last step, which re-applies and gates the current weights.
 */
export function remainingSteps(
  steps: readonly number[],
  direction: Direction,
  shape: MoveShape = {},
): number[] {
  const from = shape.from;
  if (!from) return [...steps];
  const share = destinationShare(from, direction);
  const left = steps.filter(
    (step) => destinationShare(weightsForStep(step, direction, shape), direction) > share,
  );
  const last = steps[steps.length - 1];
  return left.length > 0 || last === undefined ? left : [last];
}

/** Share of traffic already on the destination of `direction`. */
export function destinationShare(weights: TrafficWeights, direction: Direction): number {
  return direction === 'to-shadow' ? weights.shadow : weights.primary;
}

/** The `linear` preset: `count` equal steps ending at 100 (4 -> 25, 50, 75, 100). */
export function linearSteps(count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > 20) {
    throw new ValidationError(`linear step count = ${count}: must be an integer from 1 to 20`, [
      { path: 'stepCount', message: 'must be an integer from 1 to 20', received: count },
    ]);
  }
  const steps: number[] = [];
  for (let i = 1; i <= count; i++) {
    const value = Math.round((100 * i) / count);
    if (steps[steps.length - 1] !== value) steps.push(value);
  }
  return steps;
}

export type StepPreset = 'default' | 'linear';

/**
 * The steps a run uses: explicit steps win, then a preset, then the workload's own steps.
 * Steps already at or below where traffic stands (a run that starts part-way) are kept so the
 * resume cursor can re-verify them; see `resumeIndex`.
 */
export function resolveSteps(
  workloadSteps: readonly number[],
  overrides: { steps?: readonly number[]; preset?: StepPreset; stepCount?: number },
): number[] {
  if (overrides.steps && overrides.steps.length > 0) return [...overrides.steps];
  if (overrides.preset === 'linear') return linearSteps(overrides.stepCount ?? 4);
  if (overrides.preset === 'default') return [...DEFAULT_STEPS];
  return [...workloadSteps];
}

/**
 * Where a (re)run starts shifting: the last step already reached by the verified weights is
 * applied and gated again (it may never have passed its gate before a crash); none reached -> 0.
 */
export function resumeIndex(
  steps: readonly number[],
  lastVerified: TrafficWeights | undefined,
  direction: Direction,
  shape: MoveShape = {},
): number {
  if (!lastVerified) return 0;
  const share = destinationShare(lastVerified, direction);
  let index = 0;
  steps.forEach((step, i) => {
    if (destinationShare(weightsForStep(step, direction, shape), direction) <= share) index = i;
  });
  return index;
}

/** The next step after `index`, or undefined when `index` was the last. */
export function nextStepIndex(steps: readonly number[], index: number): number | undefined {
  return index + 1 < steps.length ? index + 1 : undefined;
}

export interface HealthyTargets {
  primary: number;
  shadow: number;
}

/** Throws NoHealthyTargetsError if `weights` put traffic on a target group with no healthy target. */
export function assertRoutable(weights: TrafficWeights, healthy: HealthyTargets): void {
  for (const role of ['primary', 'shadow'] as const) {
    if (weights[role] > 0 && healthy[role] <= 0) {
      throw new NoHealthyTargetsError(
        `refusing weight ${weights[role]} on the ${role} target group: it has no healthy target`,
      );
    }
  }
}

export interface AbortDecision {
  weights: TrafficWeights;
  /** Why these weights (and not the operation's initial weights) were chosen. */
  reason: 'initial' | 'default-primary' | 'fallback-to-healthy' | 'keep-last-verified';
}

/**
 * Weights to restore when an operation aborts. The operation's initial weights (what was verified
 * before it moved anything; primary 100 % unless the run started elsewhere), but never onto a
 * target group with no healthy target: then all traffic goes to the one that has targets; if
 * neither has any, the last verified weights stay (moving traffic would not help).
 */
export function weightsOnAbort(
  operation: { initialWeights?: TrafficWeights; lastVerifiedWeights?: TrafficWeights },
  healthy: HealthyTargets,
): AbortDecision {
  const wanted = operation.initialWeights ?? PRIMARY_ONLY;
  const reason = operation.initialWeights ? 'initial' : 'default-primary';
  const ok = (w: TrafficWeights) =>
    (w.primary === 0 || healthy.primary > 0) && (w.shadow === 0 || healthy.shadow > 0);
  if (ok(wanted)) return { weights: wanted, reason };
  if (healthy.primary > 0) return { weights: PRIMARY_ONLY, reason: 'fallback-to-healthy' };
  if (healthy.shadow > 0) return { weights: SHADOW_ONLY, reason: 'fallback-to-healthy' };
  return { weights: operation.lastVerifiedWeights ?? wanted, reason: 'keep-last-verified' };
}

export function sameWeights(a: TrafficWeights, b: TrafficWeights): boolean {
  return a.primary === b.primary && a.shadow === b.shadow;
}
