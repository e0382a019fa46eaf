import { ForecastInputError, ValidationError } from '../errors';

/**
 * The branch decision with hysteresis: a workload becomes contended when its score reaches
 * `threshold` and clears only when the score falls to `clearThreshold` or below, so a score that
 * hovers around one line does not flap the decision (and start and stop migrations) every run.
 */

export interface DecisionThresholds {
  threshold: number;
  clearThreshold: number;
}

/** What was stored after the previous run; undefined for a workload never scored. */
export interface PreviousDecision {
  contended: boolean;
  since: number;
}

export type Transition = 'predicted' | 'cleared';

export interface Decision {
  contended: boolean;
  /** When the decision last changed: `nowMs` on a transition, the previous `since` otherwise. */
  since: number;
  /** Set only when the decision changed in this run. */
  transition: Transition | undefined;
}

export function decide(
  previous: PreviousDecision | undefined,
  score: number,
  thresholds: DecisionThresholds,
  nowMs: number,
): Decision {
  if (!Number.isFinite(score) || score < 0) {
    throw new ForecastInputError(`contention score must be a finite number >= 0, got ${score}`);
  }
  if (!(thresholds.clearThreshold < thresholds.threshold)) {
    throw new ValidationError(
      `clearThreshold (${thresholds.clearThreshold}) must be lower than threshold (${thresholds.threshold})`,
    );
  }
  const wasContended = previous?.contended ?? false;
  const contended = wasContended ? score > thresholds.clearThreshold : score >= thresholds.threshold;
  if (contended === wasContended) {
    // A first run that finds no contention is not a transition: there is nothing to clear.
    return { contended, since: previous?.since ?? nowMs, transition: undefined };
  }
  return { contended, since: nowMs, transition: contended ? 'predicted' : 'cleared' };
}

/** The shadow size last announced grows by at least this share (and one unit) to announce again. */
export const ESCALATION_GROWTH = 0.25;

/**
 * While contention stays predicted, a forecast that has grown since `Contention Predicted` was
 * published needs a bigger shadow pool than the one announced: announce again (an escalation)
 * when the recommended size exceeds the announced one by ESCALATION_GROWTH and at least one unit,
 * so a migration re-plans the move over the running pool. Small changes do not re-announce.
 */
export function shouldEscalate(
  previous: { contended: boolean; recommendedShadowUnits?: number } | undefined,
  decision: Decision,
  recommendedShadowUnits: number,
): boolean {
  if (!previous?.contended || !decision.contended || decision.transition !== undefined) return false;
  const announced = previous.recommendedShadowUnits ?? 0;
  return recommendedShadowUnits >= announced + Math.max(1, Math.ceil(announced * ESCALATION_GROWTH));
}
