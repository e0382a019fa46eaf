import { MODEL_NAMES } from '../model/engine';
import { fingerprintDistance, type MetricFingerprint } from './fingerprint';

/**
 * Cold start: a series with less history than the engine needs to choose a model with confidence
 * (two days: below that its fit is low-confidence, shared/model/engine.ts) starts from the model
 * chosen for the most similar series already known, by `fingerprintDistance`, instead of the
 * backtest on its own few points. Pure.
 */

const DAY = 86_400_000;
/** Less history than this is a cold start (the engine's low-confidence line). */
export const COLD_START_HISTORY_MS = 2 * DAY;
/** A fingerprint is a usable neighbour once it has learnt this long. */
export const MATURE_FINGERPRINT_MS = 7 * DAY;

export interface FingerprintCandidate {
  workloadId: string;
  metric: string;
  fingerprint: MetricFingerprint;
  /** The model chosen at the candidate's last full fit (`ModelState.model`). */
  model: string;
}

export interface ColdStartChoice {
  from: { workloadId: string; metric: string };
  distance: number;
  /** The neighbour's model as the engine's `FitOptions.model`. */
  fitModel: string;
}

/** Has this fingerprint learnt long enough to guide another series? */
export function isMature(fp: MetricFingerprint): boolean {
  const since = fp.firstPointMs;
  return since !== undefined && fp.lastPointMs - since >= MATURE_FINGERPRINT_MS;
}

/**
 * The engine setting that reproduces a chosen model: a single model by name, an ensemble as
 * `ensemble`; a per-horizon choice by its last (day-ahead) segment. Undefined when nothing maps.
 */
export function fitModelOf(model: string): string | undefined {
  let name = model;
  const horizon = /^horizon\((.*)\)$/.exec(name);
  if (horizon) {
    const last = (horizon[1] as string).split('|').pop() ?? '';
    name = last.slice(last.indexOf(':') + 1);
  }
  if ((MODEL_NAMES as readonly string[]).includes(name)) return name;
  if (name.startsWith('ensemble(')) return 'ensemble';
  return undefined;
}

/**
 * The nearest mature candidate of another workload (ties: the first), as a fit setting; undefined
 * when none is usable.
 */
export function coldStartChoice(
  target: MetricFingerprint,
  self: { workloadId: string },
  candidates: readonly FingerprintCandidate[],
): ColdStartChoice | undefined {
  let best: ColdStartChoice | undefined;
  for (const c of candidates) {
    if (c.workloadId === self.workloadId || !isMature(c.fingerprint)) continue;
    const fitModel = fitModelOf(c.model);
    if (!fitModel) continue;
    const distance = fingerprintDistance(target, c.fingerprint);
    if (!best || distance < best.distance)
      best = { from: { workloadId: c.workloadId, metric: c.metric }, distance, fitModel };
  }
  return best;
}
