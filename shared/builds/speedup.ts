/**
 * The speed-up model: Amdahl's law with a per-stage parallel fraction p. A run whose work is W
 * agent-seconds on the reference agent (`REFERENCE_VCPU` vCPUs) takes
 *     T(v) = W · ((1 − p) + p · REFERENCE_VCPU / v)
 * seconds on v vCPUs. p comes from the data where the logs split a run into phases (the share of
 * the logged build time spent running tests, which spread over cores; the rest — setup,
 * dependency resolution, compilation of one module at a time — is treated as serial), shrunk
 * toward the pooled estimate by the number of runs; stages without phase logs use the pooled
 * estimate.
 */

/** vCPUs of the reference agent the datasets' durations were measured on (a 2-vCPU CI VM). */
export const REFERENCE_VCPU = 2;
/** Runs at which a stage's own p and the pooled p weigh the same. */
export const P_SHRINK_RUNS = 20;
/** p is kept below 1: no real stage is perfectly parallel. */
export const P_MAX = 0.95;

export function runtimeSeconds(workSeconds: number, parallelFraction: number, vcpu: number): number {
  const p = clampP(parallelFraction);
  return workSeconds * (1 - p + (p * REFERENCE_VCPU) / vcpu);
}

/** Work left (reference agent-seconds) after `elapsed` seconds of a run on `vcpu`. */
export function workDone(elapsedSeconds: number, parallelFraction: number, vcpu: number): number {
  return elapsedSeconds / (1 - clampP(parallelFraction) + (clampP(parallelFraction) * REFERENCE_VCPU) / vcpu);
}

function clampP(p: number): number {
  return Number.isFinite(p) ? Math.max(0, Math.min(P_MAX, p)) : 0;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export interface ParallelFit {
  /** p per stage key. */
  byStage: Record<string, number>;
  pooled: number;
  /** Phase-logged runs behind each stage's p. */
  samples: Record<string, number>;
}

/**
 * Fit p per stage from phase shares (each in [0, 1]); `stages` lists every stage to return a p
 * for (those without samples get the pooled median). `fallback` is used when nothing is logged.
 */
export function fitParallelFractions(
  shares: ReadonlyMap<string, readonly number[]>,
  stages: readonly string[],
  fallback = 0.5,
): ParallelFit {
  const all: number[] = [];
  for (const v of shares.values()) all.push(...v.filter((x) => Number.isFinite(x) && x >= 0 && x <= 1));
  const pooled = all.length > 0 ? clampP(median(all)) : fallback;
  const byStage: Record<string, number> = {};
  const samples: Record<string, number> = {};
  for (const stage of stages) {
    const own = (shares.get(stage) ?? []).filter((x) => Number.isFinite(x) && x >= 0 && x <= 1);
    samples[stage] = own.length;
    byStage[stage] =
      own.length === 0
        ? pooled
        : clampP((own.length * median(own) + P_SHRINK_RUNS * pooled) / (own.length + P_SHRINK_RUNS));
  }
  return { byStage, pooled, samples };
}
