/**
 * NAB's scoring rules (Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms — the
 * Numenta Anomaly Benchmark", 2015; `nab/sweeper.py` in numenta/NAB), written from that
 * description so our detector is scored the way the published scoreboard is:
 *
 * - rows in the probationary period (the first 15% of a file, at most 750 rows) are not scored;
 * - a row inside a labelled window is worth the scaled sigmoid of its relative position, divided
 *   by the value at the window's start so the earliest possible detection is worth exactly 1;
 *   only the best (earliest) detection in a window counts, times the TP weight;
 * - a detection outside every window costs the FP weight times the scaled sigmoid of its distance
 *   past the previous window in window widths (−1 before the first window or 3+ widths after);
 * - a window with no detection costs the FN weight;
 * - one threshold per detector and profile, the one maximising the corpus total (detections are
 *   rows scoring at or above it);
 * - normalised: 100 × (raw − null) / (perfect − null), the null detector detecting nothing
 *   (−FN weight per window) and the perfect one detecting every window at its first row.
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three application profiles (`config/profiles.json`). */
export const NAB_PROFILES = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
} as const satisfies Record<string, CostMatrix>;
export type NabProfile = keyof typeof NAB_PROFILES;
export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfile[];

export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}
const MAX_TP = scaledSigmoid(-1);

export function probationaryLength(rows: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** One file's scorable rows: its detector score, its NAB weight, and its window (−1: none). */
export interface ScoredFile {
  name: string;
  scores: Float64Array;
  weights: Float64Array;
  windowOf: Int32Array;
  /** Windows with at least one scorable row. */
  windows: number;
}

/**
 * Weights every scorable row of one file. `windows` are [start, end] epoch ms, inclusive, in
 * time order; timestamps ascending.
 */
export function prepareFile(
  name: string,
  timestamps: readonly number[],
  scores: readonly number[],
  windows: readonly (readonly [number, number])[],
  probationPercent = 0.15,
): ScoredFile {
  if (timestamps.length !== scores.length)
    throw new RangeError(`${name}: ${timestamps.length} timestamps but ${scores.length} scores`);
  const n = timestamps.length;
  const bounds = windows
    .map(([start, end]) => {
      let left = -1;
      let right = -1;
      for (let i = 0; i < n; i++) {
        const t = timestamps[i] as number;
        if (t >= start && t <= end) {
          if (left < 0) left = i;
          right = i;
        }
      }
      return { left, right };
    })
    .filter((b) => b.left >= 0);
  const first = Math.ceil(probationaryLength(n, probationPercent));
  const size = Math.max(0, n - first);
  const out: ScoredFile = {
    name,
    scores: new Float64Array(size),
    weights: new Float64Array(size),
    windowOf: new Int32Array(size).fill(-1),
    windows: 0,
  };
  const seen = new Set<number>();
  let w = 0;
  let prev: { left: number; right: number } | null = null;
  for (let i = 0; i < n; i++) {
    let cur = bounds[w];
    while (cur && i > cur.right) {
      prev = cur;
      w += 1;
      cur = bounds[w];
    }
    let weight: number;
    let windowIndex = -1;
    if (cur && i >= cur.left) {
      const width = cur.right - cur.left + 1;
      weight = scaledSigmoid(-(cur.right - i + 1) / width) / MAX_TP;
      windowIndex = w;
    } else if (prev) {
      const width = prev.right - prev.left + 1;
      weight = width > 1 ? scaledSigmoid(Math.abs(prev.right - i) / (width - 1)) : -1;
    } else weight = -1;
    if (i < first) continue;
    const j = i - first;
    out.scores[j] = scores[i] as number;
    out.weights[j] = weight;
    out.windowOf[j] = windowIndex;
    if (windowIndex >= 0) seen.add(windowIndex);
  }
  out.windows = seen.size;
  return out;
}

export interface FileScore {
  name: string;
  score: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** One file's raw NAB score with detections = rows scoring at or above `threshold`. */
export function scoreFile(file: ScoredFile, threshold: number, cost: CostMatrix): FileScore {
  const best = new Map<number, number>();
  let fpScore = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < file.scores.length; i++) {
    const inWindow = (file.windowOf[i] as number) >= 0;
    const detected = (file.scores[i] as number) >= threshold;
    if (inWindow) {
      if (detected) {
        tp += 1;
        const w = file.windowOf[i] as number;
        const weight = file.weights[i] as number;
        best.set(w, Math.max(best.get(w) ?? Number.NEGATIVE_INFINITY, weight));
      } else fn += 1;
    } else if (detected) {
      fp += 1;
      fpScore += cost.fpWeight * (file.weights[i] as number);
    } else tn += 1;
  }
  let tpScore = 0;
  for (const v of best.values()) tpScore += cost.tpWeight * v;
  const missed = file.windows - best.size;
  return { name: file.name, score: tpScore + fpScore - cost.fnWeight * missed, tp, fp, fn, tn };
}

/**
 * The corpus threshold sweep: every distinct score is a candidate threshold; rows are visited
 * from the highest score down, so each candidate's total is an O(1) update of the previous one.
 */
export function bestThreshold(
  files: readonly ScoredFile[],
  cost: CostMatrix,
): { threshold: number; raw: number } {
  let total = 0;
  for (const f of files) total += f.scores.length;
  const fileOf = new Int32Array(total);
  const rowOf = new Int32Array(total);
  const order = new Int32Array(total);
  let k = 0;
  files.forEach((f, fi) => {
    for (let r = 0; r < f.scores.length; r++) {
      fileOf[k] = fi;
      rowOf[k] = r;
      order[k] = k;
      k += 1;
    }
  });
  const scoreAt = (i: number): number =>
    (files[fileOf[i] as number] as ScoredFile).scores[rowOf[i] as number] as number;
  const sorted = Array.from(order).sort((a, b) => scoreAt(b) - scoreAt(a) || a - b);
  let windows = 0;
  for (const f of files) windows += f.windows;
  let current = -cost.fnWeight * windows;
  // Nothing detected is a candidate too: a threshold above every score.
  let best = { threshold: Number.POSITIVE_INFINITY, raw: current };
  const bestInWindow = new Map<string, number>();
  for (let s = 0; s < sorted.length; s++) {
    const i = sorted[s] as number;
    const f = files[fileOf[i] as number] as ScoredFile;
    const r = rowOf[i] as number;
    const w = f.windowOf[r] as number;
    const weight = f.weights[r] as number;
    if (w < 0) current += cost.fpWeight * weight;
    else {
      const key = `${fileOf[i]}:${w}`;
      const had = bestInWindow.get(key);
      if (had === undefined) {
        current += cost.fnWeight + cost.tpWeight * weight;
        bestInWindow.set(key, weight);
      } else if (weight > had) {
        current += cost.tpWeight * (weight - had);
        bestInWindow.set(key, weight);
      }
    }
    const threshold = scoreAt(i);
    const next = sorted[s + 1];
    // A threshold takes every row at its score, so only the last row of a tie is a candidate.
    if (next !== undefined && scoreAt(next) === threshold) continue;
    if (current > best.raw) best = { threshold, raw: current };
  }
  return best;
}

export function nullAndPerfect(
  files: readonly ScoredFile[],
  cost: CostMatrix,
): { nullScore: number; perfect: number } {
  let windows = 0;
  for (const f of files) windows += f.windows;
  return { nullScore: -cost.fnWeight * windows, perfect: cost.tpWeight * windows };
}

export function normalise(raw: number, nullScore: number, perfect: number): number {
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}

/** The normalised corpus score of `files` under one profile, at their own best threshold. */
export function corpusScore(
  files: readonly ScoredFile[],
  cost: CostMatrix,
): { score: number; threshold: number } {
  const best = bestThreshold(files, cost);
  const { nullScore, perfect } = nullAndPerfect(files, cost);
  return { score: normalise(best.raw, nullScore, perfect), threshold: best.threshold };
}

/**
 * The files split in two by their place in the list (1st, 3rd, … and 2nd, 4th, …), each half
 * scored on its own with its own threshold: a setting chosen on one half and confirmed on the
 * other is less likely to be fitted to these particular files than one chosen on all of them.
 */
export function splitHalves<T>(files: readonly T[]): { odd: T[]; even: T[] } {
  return { odd: files.filter((_, i) => i % 2 === 0), even: files.filter((_, i) => i % 2 === 1) };
}
