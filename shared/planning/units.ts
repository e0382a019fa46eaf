import type { Workload, WorkloadMetric } from '../schemas/workload';

/**
 * Demand → units, the one conversion every capacity decision uses. A unit (task or node) serves
 * `capacityPerUnit` of a metric at 100 % utilisation; capacity is planned at the workload's target
 * utilisation, so `value` needs value / (capacityPerUnit × targetUtilization) units.
 */
export function unitsFor(value: number, capacityPerUnit: number, targetUtilization: number): number {
  return value / (capacityPerUnit * targetUtilization);
}

/** Units `value` of `metric` needs at the workload's target utilisation. */
export function metricUnits(workload: Workload, metric: WorkloadMetric, value: number): number {
  return unitsFor(value, metric.capacityPerUnit, workload.capacity.targetUtilization);
}

/**
 * Whole units for a fractional need. The 1e-9 keeps float noise (3 × 1.2 = 3.5999999999999996,
 * 20.000000001) from buying a unit nobody needs.
 */
export function wholeUnits(units: number): number {
  return Math.max(0, Math.ceil(units - 1e-9));
}

/** Steps a unit needs to become ready: ⌈lag / interval⌉ (0 when the lag is 0). */
export function lagSteps(lagMs: number, intervalMs: number): number {
  return Math.max(0, Math.ceil(lagMs / intervalMs - 1e-9));
}
