import { ForecastInputError } from '../errors';
import { decide, type PreviousDecision } from '../planning/hysteresis';
import { planningPath } from '../planning/path';
import { assessContention, type MetricDemand } from '../planning/score';
import type { Prediction } from '../schemas/series';
import { type Deployment, Deployment as DeploymentSchema, type Workload } from '../schemas/workload';

/**
 * The stage contention forecast: will the environment a pipeline stage deploys to be contended
 * while the deployment runs and bakes? Pure: the caller passes the stored forecasts, the stored
 * decision (for hysteresis) and the other deployments in flight. The score is the planning core's
 * (`assessContention`) over the window only, with the units other deployments hold taken off the
 * capacity the way more demand would; the decision is the planning core's `decide`, so a stage
 * decision flips at the same thresholds, with the same hysteresis, as the forecaster's.
 */

/** Another deployment of the same environment that holds units during [fromMs, untilMs). */
export interface InFlightDeployment {
  operationId: string;
  stage: string;
  version: string;
  /** Units of the environment it occupies (its shadow environment, or its rolling surge). */
  occupiedUnits: number;
  fromMs: number;
  untilMs: number;
}

export type BranchMode = 'auto' | 'branch' | 'primary';

export interface StageForecastInput {
  workload: Workload;
  stage: string;
  /** The latest stored forecast of each metric. */
  forecasts: readonly Prediction[];
  /** The workload's stored contention decision; the stage decision keeps its hysteresis. */
  previous: PreviousDecision | undefined;
  inFlight: readonly InFlightDeployment[];
  nowMs: number;
  /** Overrides of the workload's deployment settings (a pipeline may know its own duration). */
  deploySeconds?: number;
  bakeSeconds?: number;
  /** `branch`/`primary`: an operator's choice; the score is still computed and reported. */
  mode?: BranchMode;
}

export interface MetricDeficit {
  metric: string;
  /** Demand the primary serves at its maximum and target utilisation. */
  capacity: number;
  /** Peak demand over the window, plus what in-flight deployments hold. */
  peakDemand: number;
  /** max(0, peakDemand - capacity) / capacity. */
  deficit: number;
}

export type BranchReason =
  | 'contended'
  | 'still-contended'
  | 'clear'
  | 'cleared'
  | 'shadow-disabled'
  | 'stateful'
  | 'forced-branch'
  | 'forced-primary';

export interface StageForecast {
  workloadId: string;
  stage: string;
  windowStartMs: number;
  windowEndMs: number;
  score: number;
  /** Time of the worst step in the window. */
  worstAt: number | undefined;
  deficits: MetricDeficit[];
  /** Units other in-flight deployments hold during the window, at their peak. */
  inFlightUnits: number;
  /** The contention decision with hysteresis (before the workload's own constraints). */
  contended: boolean;
  branch: boolean;
  reasonCode: BranchReason;
  reason: string;
}

/** The workload's deployment settings with defaults applied. */
export function deploymentOf(workload: Workload): Deployment {
  return workload.deployment ?? DeploymentSchema.parse({});
}

/** Units the in-flight deployments hold at time t. */
function occupiedAt(inFlight: readonly InFlightDeployment[], t: number, stepEnd: number): number {
  let units = 0;
  for (const d of inFlight) if (d.fromMs < stepEnd && d.untilMs > t) units += d.occupiedUnits;
  return units;
}

/**
 * The demand path of one metric over the window, as the forecaster plans it (the metric's
 * quantile, capped by `maxHeadroom` where set), with in-flight deployments' units added as demand.
 */
function windowDemand(
  workload: Workload,
  forecast: Prediction,
  windowStartMs: number,
  windowEndMs: number,
  inFlight: readonly InFlightDeployment[],
): MetricDemand {
  const metric = workload.metrics.find((m) => m.name === forecast.metric);
  if (!metric) throw new ForecastInputError(`forecast for unknown metric ${forecast.metric}`);
  const path = planningPath(forecast, metric);
  const endOfForecast = forecast.startMs + path.length * forecast.intervalMs;
  if (endOfForecast < windowEndMs) {
    // Scoring only the covered part would read the uncovered minutes as "no contention".
    throw new ForecastInputError(
      `forecast of metric ${forecast.metric} ends at ${new Date(endOfForecast).toISOString()}, before the deployment window ends at ${new Date(windowEndMs).toISOString()}`,
    );
  }
  const perUnit = metric.capacityPerUnit * workload.capacity.targetUtilization;
  const values: number[] = [];
  let first: number | undefined;
  for (let i = 0; i < path.length; i++) {
    const t = forecast.startMs + i * forecast.intervalMs;
    const end = t + forecast.intervalMs;
    if (end <= windowStartMs || t >= windowEndMs) continue;
    first ??= t;
    values.push((path[i] as number) + occupiedAt(inFlight, t, end) * perUnit);
  }
  if (first === undefined) {
    throw new ForecastInputError(
      `forecast of metric ${forecast.metric} has no step in the deployment window`,
    );
  }
  return { metric: forecast.metric, startMs: first, intervalMs: forecast.intervalMs, values };
}

/** The stage decision: score over the deployment window, deficits, and whether to branch and why. */
export function forecastStage(input: StageForecastInput): StageForecast {
  const { workload, nowMs } = input;
  const deployment = deploymentOf(workload);
  const windowStartMs = nowMs;
  const windowEndMs =
    nowMs +
    ((input.deploySeconds ?? deployment.deploySeconds) + (input.bakeSeconds ?? deployment.bakeSeconds)) *
      1000;
  const others = input.inFlight.filter((d) => d.fromMs < windowEndMs && d.untilMs > windowStartMs);
  const critical = new Set(workload.metrics.filter((m) => m.critical).map((m) => m.name));
  const demands = input.forecasts
    .filter((f) => critical.has(f.metric))
    .map((f) => windowDemand(workload, f, windowStartMs, windowEndMs, others));
  const assessment = assessContention(workload, demands);
  const decision = decide(input.previous, assessment.score, workload.contention, nowMs);
  const inFlightUnits = peakInFlightUnits(others, windowStartMs, windowEndMs);
  const deficits: MetricDeficit[] = assessment.metrics.map((m) => ({
    metric: m.metric,
    capacity: m.capacity,
    peakDemand: m.peakDemand,
    deficit: m.peakDeficit,
  }));
  const { threshold, clearThreshold } = workload.contention;
  const scoreText = `score ${round(assessment.score)}`;
  const base = {
    workloadId: workload.workloadId,
    stage: input.stage,
    windowStartMs,
    windowEndMs,
    score: assessment.score,
    worstAt: assessment.worstAt,
    deficits,
    inFlightUnits,
    contended: decision.contended,
  };
  const verdict = (branch: boolean, reasonCode: BranchReason, reason: string): StageForecast => ({
    ...base,
    branch,
    reasonCode,
    reason,
  });
  const mode = input.mode ?? 'auto';
  if (mode === 'branch') return verdict(true, 'forced-branch', `branch requested (${scoreText})`);
  if (mode === 'primary') return verdict(false, 'forced-primary', `primary requested (${scoreText})`);
  if (!decision.contended) {
    return decision.transition === 'cleared'
      ? verdict(
          false,
          'cleared',
          `${scoreText} fell to the clear threshold ${clearThreshold}: deploy to the primary`,
        )
      : verdict(false, 'clear', `${scoreText} is below the threshold ${threshold}: deploy to the primary`);
  }
  if (workload.capacity.shadowMaxUnits <= 0) {
    return verdict(
      false,
      'shadow-disabled',
      `${scoreText} predicts contention, but shadow pools are disabled (shadowMaxUnits 0): deploy to the primary`,
    );
  }
  if (!workload.stateless) {
    return verdict(
      false,
      'stateful',
      `${scoreText} predicts contention, but the workload is stateful: deploy to the primary`,
    );
  }
  const detail = worstDeficitText(deficits);
  const held = inFlightUnits > 0 ? `, ${inFlightUnits} units held by other deployments` : '';
  return decision.transition === 'predicted' || input.previous?.contended !== true
    ? verdict(true, 'contended', `${scoreText} reaches the threshold ${threshold}${detail}${held}: branch`)
    : verdict(
        true,
        'still-contended',
        `${scoreText} is above the clear threshold ${clearThreshold} (contended since ${new Date(decision.since).toISOString()})${detail}${held}: branch`,
      );
}

/** Most units other deployments hold at once in the window, minute by minute. */
function peakInFlightUnits(
  others: Parameters<typeof occupiedAt>[0],
  windowStartMs: number,
  windowEndMs: number,
): number {
  let units = 0;
  for (let t = windowStartMs; t < windowEndMs; t += 60_000)
    units = Math.max(units, occupiedAt(others, t, t + 60_000));
  return units;
}

function worstDeficitText(deficits: readonly MetricDeficit[]): string {
  const worst = deficits.reduce<MetricDeficit | undefined>(
    (a, d) => (!a || d.deficit > a.deficit ? d : a),
    undefined,
  );
  return worst ? `; ${worst.metric} short by ${(worst.deficit * 100).toFixed(1)}%` : '';
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
