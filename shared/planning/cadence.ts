import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { metricPeaks } from './sizing';
import { wholeUnits } from './units';

/**
 * How often a workload's forecast is refreshed: every forecaster run reads CloudWatch (billed per
 * metric requested), writes predictions, model state and decision (billed per KB), publishes
 * `Forecast Computed` and invokes pre-warm. A workload that is calm and far from contention does
 * not need any of it every 5 minutes: its newest forecast already says what pre-warm will plan at
 * each coming run. So the next run is due at the first coming run whose pre-warm plan (the units
 * the planning path needs over [run, run + lag + interval], as `planPools` computes them) differs
 * from today's, and at the latest after `maxSteps` runs; until then a skipped run reads and writes
 * nothing, and the one that follows reads every point since in one request per metric.
 *
 * Every run is due while the workload is contended or near it, while a metric is anomalous, when
 * a point read exceeded what the last forecast planned for (the interval was breached), when a
 * signal starts or ends within the window, or when the forecast does not cover the window.
 */

export interface CadenceSettings {
  /** Forecaster schedule period (the deployed `rate(5 minutes)`). */
  stepMs: number;
  /** Longest gap between two runs of a calm workload, in schedule periods. */
  maxSteps: number;
  /** "Near contention": a score at or above this share of the clear threshold runs every step. */
  nearShare: number;
}

export const DEFAULT_CADENCE: CadenceSettings = { stepMs: 300_000, maxSteps: 12, nearShare: 0.5 };

export interface CadenceInput {
  nowMs: number;
  contended: boolean;
  score: number;
  clearThreshold: number;
  anomalous: boolean;
  breached: boolean;
  signalAhead: boolean;
  /**
   * Whole units pre-warm would plan at run k (k = 0 now, up to maxSteps), from the newest
   * forecast; NaN where the forecast does not cover that run's window.
   */
  unitsAhead: readonly number[];
}

export interface CadenceDecision {
  /** Schedule periods until the next run (1 = every step). */
  steps: number;
  nextRunAt: number;
  reason: string;
}

export function nextForecastRun(
  input: CadenceInput,
  settings: CadenceSettings = DEFAULT_CADENCE,
): CadenceDecision {
  const every = (reason: string): CadenceDecision => ({
    steps: 1,
    nextRunAt: input.nowMs + settings.stepMs,
    reason,
  });
  if (input.contended) return every('contended');
  if (input.score >= settings.nearShare * input.clearThreshold) return every('near contention');
  if (input.anomalous) return every('anomaly');
  if (input.breached) return every('forecast interval breached');
  if (input.signalAhead) return every('signal ahead');
  const now = input.unitsAhead[0];
  if (now === undefined || !Number.isFinite(now)) return every('no forecast of the pre-warm window');
  const max = Math.max(1, Math.floor(settings.maxSteps));
  for (let k = 1; k < max; k++) {
    const at = input.unitsAhead[k];
    if (at === undefined || !Number.isFinite(at) || at !== now) {
      return {
        steps: k,
        nextRunAt: input.nowMs + k * settings.stepMs,
        reason: k === 1 ? 'pre-warm plan changes next run' : `pre-warm plan changes in ${k} runs`,
      };
    }
  }
  return { steps: max, nextRunAt: input.nowMs + max * settings.stepMs, reason: 'calm' };
}

/**
 * The whole units pre-warm's window needs at each of the next `steps` runs (index 0 = now), the
 * most demanding metric deciding; NaN where some metric's forecast does not reach that window.
 */
export function unitsAhead(
  workload: Workload,
  predictions: readonly Prediction[],
  nowMs: number,
  stepMs: number,
  steps: number,
): number[] {
  const interval = Math.max(0, ...predictions.map((p) => p.intervalMs));
  const span = workload.capacity.provisioningLagSeconds * 1000 + interval;
  const out: number[] = [];
  for (let k = 0; k < steps; k++) {
    const fromMs = nowMs + k * stepMs;
    const toMs = fromMs + span;
    const covered = predictions.every((p) => p.startMs + p.point.length * p.intervalMs >= toMs);
    const peaks = metricPeaks(workload, predictions, { window: { fromMs, toMs } });
    out.push(
      covered && peaks.length === predictions.length && peaks.length > 0
        ? wholeUnits(Math.max(...peaks.map((m) => m.units)))
        : Number.NaN,
    );
  }
  return out;
}
