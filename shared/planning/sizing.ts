import { PlanRejectedError } from '../errors';
import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { planningPath } from './path';
import { metricUnits, wholeUnits } from './units';

/**
 * Shadow sizing and the shadow traffic share. The forecaster announces the size in
 * `Contention Predicted`, the migration provisions exactly that size and moves exactly that share.
 */

/**
 * Shadow units for a predicted peak (units at target utilisation): `overflow` moves size for the
 * deficit (the part of the peak the primary cannot serve at its maximum), `whole` moves for the
 * whole peak; either times `shadowShare`, plus `bufferFraction`, rounded up and capped at
 * `shadowMaxUnits`. 0 when the primary suffices.
 */
export function shadowUnitsFor(workload: Workload, peakUnits: number): number {
  if (!Number.isFinite(peakUnits) || peakUnits <= 0) return 0;
  const primaryMax = workload.migration.move === 'whole' ? 0 : workload.capacity.maxUnits;
  const deficit = peakUnits - primaryMax;
  if (deficit <= 1e-9) return 0;
  const { shadowShare, bufferFraction } = workload.migration;
  const units = wholeUnits(deficit * shadowShare * (1 + bufferFraction));
  return Math.min(workload.capacity.shadowMaxUnits, units);
}

/**
 * The shadow pool a migration stands up: the announced size, at least one unit (traffic needs a
 * target), at most the maximum. Refused when the workload disables shadow pools.
 */
export function shadowPoolUnits(workload: Workload, announcedUnits: number): number {
  const max = workload.capacity.shadowMaxUnits;
  if (max <= 0) {
    throw new PlanRejectedError(
      `workload ${workload.workloadId}: shadowMaxUnits is 0 (shadow pools disabled)`,
    );
  }
  return Math.max(1, Math.min(max, Math.round(announcedUnits)));
}

/**
 * Percent of traffic a migration ends with on the shadow pool. `overflow`: the share of the
 * predicted peak its units serve at target utilisation, so neither pool is planned above its
 * target. `whole`, or without a peak (units given by an operator): everything moves.
 */
export function shadowWeightFor(workload: Workload, units: number, peakUnits: number | undefined): number {
  if (workload.migration.move === 'whole' || peakUnits === undefined || !(peakUnits > 0)) return 100;
  return Math.min(100, Math.max(1, Math.round((100 * units) / peakUnits)));
}

/** When a peak is wanted: the whole stored horizon, or the steps that overlap [fromMs, toMs). */
export interface Window {
  fromMs: number;
  toMs: number;
}

export interface MetricPeak {
  metric: string;
  /** Peak of the planning path in the metric's unit. */
  peakDemand: number;
  /** Units that peak needs at target utilisation (not rounded). */
  units: number;
}

/**
 * Peak of each metric's planning path (its quantile, headroom-capped) in units, over `window` or
 * the whole forecast. Only metrics with a forecast that covers the window appear.
 */
export function metricPeaks(
  workload: Workload,
  predictions: readonly Prediction[],
  options: { window?: Window; criticalOnly?: boolean } = {},
): MetricPeak[] {
  const out: MetricPeak[] = [];
  for (const metric of workload.metrics) {
    if (options.criticalOnly && !metric.critical) continue;
    const prediction = predictions.find((p) => p.metric === metric.name);
    if (!prediction) continue;
    const path = planningPath(prediction, metric);
    let peak = Number.NEGATIVE_INFINITY;
    path.forEach((value, i) => {
      const stepStart = prediction.startMs + i * prediction.intervalMs;
      const w = options.window;
      // Steps that end after the window starts and start before it ends.
      if (!w || (stepStart + prediction.intervalMs > w.fromMs && stepStart < w.toMs))
        peak = Math.max(peak, value);
    });
    if (!Number.isFinite(peak)) continue;
    out.push({
      metric: metric.name,
      peakDemand: peak,
      units: metricUnits(workload, metric, Math.max(0, peak)),
    });
  }
  return out;
}

/** The most demanding critical metric's peak over the forecast horizon, in units. */
export function peakUnits(
  workload: Workload,
  predictions: readonly Prediction[],
): { peakUnits: number; metric: string } | undefined {
  let best: { peakUnits: number; metric: string } | undefined;
  for (const p of metricPeaks(workload, predictions, { criticalOnly: true })) {
    if (!best || p.units > best.peakUnits) best = { peakUnits: p.units, metric: p.metric };
  }
  return best;
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

/**
 * Pods of a shadow Deployment on an EKS shadow nodegroup of `units` nodes: `replicasPerNode` on
 * each (the unit of an EKS workload is a node, and the planning core sizes in units).
 */
export function shadowReplicasFor(units: number, replicasPerNode: number): number {
  if (!Number.isFinite(units) || units <= 0) return 0;
  return Math.ceil(units) * Math.max(1, Math.floor(replicasPerNode));
}

/** Whole nodes' worth of ready pods: `readyReplicas` at `replicasPerNode` a node, rounded down. */
export function unitsOfReplicas(readyReplicas: number, replicasPerNode: number): number {
  if (!Number.isFinite(readyReplicas) || readyReplicas <= 0) return 0;
  return Math.floor(readyReplicas / Math.max(1, Math.floor(replicasPerNode)));
}
