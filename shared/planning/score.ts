import { ForecastInputError } from '../errors';
import type { Workload, WorkloadMetric } from '../schemas/workload';
import { metricUnits } from './units';

/**
 * The contention score of a workload (DESIGN.md "Score"). Pure: it sees forecasts, never a clock.
 *
 * Per critical metric, the deficit at a step is max(0, demand at the metric's quantile - capacity)
 * / capacity, where capacity = primary maxUnits x capacityPerUnit x targetUtilization. The score at
 * a step is the weight-normalised sum of those deficits, and the workload's score is the score at
 * the worst step of the horizon.
 */

/** Demand forecast for one metric at its planning quantile: values[i] is at startMs + i * intervalMs. */
export interface MetricDemand {
  metric: string;
  startMs: number;
  intervalMs: number;
  values: readonly number[];
}

export interface MetricContention {
  metric: string;
  weight: number;
  /** Demand the primary serves at its maximum size and target utilisation. */
  capacity: number;
  peakDemand: number;
  /** Largest relative deficit over the horizon (0 when demand stays under capacity). */
  peakDeficit: number;
}

export interface ContentionAssessment {
  score: number;
  /** Time of the step with the highest score (the first one on ties); undefined without steps. */
  worstAt: number | undefined;
  /** First step where the weighted deficit is above 0; undefined when there is none. */
  shortageAt: number | undefined;
  /** Predicted peak demand in units (at target utilisation) over all critical metrics. */
  peakUnits: number;
  metrics: MetricContention[];
}

export function capacityOf(workload: Workload, metric: WorkloadMetric): number {
  return workload.capacity.maxUnits * metric.capacityPerUnit * workload.capacity.targetUtilization;
}

function valueAt(demand: MetricDemand, t: number): number {
  // Metrics may have different periods or start times: a metric contributes the step that covers
  // t, clamped to its own horizon, so a metric never silently drops out of the sum.
  const raw = Math.floor((t - demand.startMs) / demand.intervalMs);
  const index = Math.min(demand.values.length - 1, Math.max(0, raw));
  return demand.values[index] as number;
}

/**
 * Score a workload from the demand forecasts of its critical metrics. Every critical metric must
 * have a forecast with at least one finite value: a missing forecast is an error, never a zero
 * deficit (that would read as "no contention").
 */
export function assessContention(workload: Workload, demands: readonly MetricDemand[]): ContentionAssessment {
  const critical = workload.metrics.filter((m) => m.critical);
  const byName = new Map(demands.map((d) => [d.metric, d]));
  const inputs = critical.map((metric) => {
    const demand = byName.get(metric.name);
    if (!demand || demand.values.length === 0) {
      throw new ForecastInputError(`no demand forecast for critical metric ${metric.name}`);
    }
    const bad = demand.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new ForecastInputError(
        `demand forecast for metric ${metric.name} has a non-finite value at step ${bad}`,
      );
    }
    return { metric, demand, capacity: capacityOf(workload, metric) };
  });
  const totalWeight = inputs.reduce((sum, i) => sum + i.metric.weight, 0);

  const times = new Set<number>();
  for (const { demand } of inputs) {
    for (let i = 0; i < demand.values.length; i++) times.add(demand.startMs + i * demand.intervalMs);
  }
  const ordered = [...times].sort((a, b) => a - b);

  let score = 0;
  let worstAt: number | undefined;
  let shortageAt: number | undefined;
  for (const t of ordered) {
    let weighted = 0;
    for (const { metric, demand, capacity } of inputs) {
      const deficit = Math.max(0, valueAt(demand, t) - capacity) / capacity;
      weighted += metric.weight * deficit;
    }
    const stepScore = totalWeight > 0 ? weighted / totalWeight : 0;
    if (worstAt === undefined || stepScore > score) {
      score = stepScore;
      worstAt = t;
    }
    if (shortageAt === undefined && stepScore > 0) shortageAt = t;
  }

  let peakUnits = 0;
  const metrics = inputs.map(({ metric, demand, capacity }) => {
    const peakDemand = Math.max(...demand.values);
    peakUnits = Math.max(peakUnits, metricUnits(workload, metric, peakDemand));
    return {
      metric: metric.name,
      weight: totalWeight > 0 ? metric.weight / totalWeight : 0,
      capacity,
      peakDemand,
      peakDeficit: Math.max(0, peakDemand - capacity) / capacity,
    };
  });
  return { score, worstAt, shortageAt, peakUnits, metrics };
}
