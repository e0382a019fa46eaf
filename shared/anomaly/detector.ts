import { z } from 'zod';
import { missCode, missValue, packCodes, pCode, pValueOf, snapMiss, snapP, unpackCodes } from './codes';
import { fisherCombine, scoreOf } from './pvalue';

/**
 * A causal anomaly score per series: each new observation is compared with a one-step forecast
 * made before it arrived (a smoothed level), and the size of the miss is ranked among the recent
 * misses: a conformal p-value, valid whatever the noise distribution and self-calibrating as the
 * series changes, with an exponential tail beyond the largest past miss so bigger misses keep
 * scoring higher. Optionally a short run of p-values is combined (Fisher), and a row is scored
 * against the worst row of its recent episode so one incident is not reported at every row.
 * Cost per row is a binary search and an array splice; the state is plain JSON, so a forecaster
 * run resumes exactly where the last one stopped. Past misses and episode p-values are kept on a
 * 24-bit logarithmic grid (./codes.ts) and stored as packed codes, a third of the bytes.
 */
export const AnomalyOptions = z.strictObject({
  /** Recent forecast misses the p-value ranks against; longer is steadier, shorter adapts faster. */
  calibrationSize: z.number().int().min(10).max(100_000).default(1000),
  /** No score below this many misses: a rank among a handful is no evidence either way. */
  minCalibration: z.number().int().min(2).default(50),
  /** Rows whose p-values are combined into the score (1 = this row only). */
  window: z.number().int().min(1).max(50).default(1),
  /** Smoothing of the level the one-step forecast tracks (1 = last value). */
  levelAlpha: z.number().gt(0).max(1).default(0.5),
  /**
   * Largest misses (as a share of the calibration set) whose excess over the smallest of them fits
   * the exponential tail that p-values beyond the largest past miss are extrapolated from; without
   * it every miss bigger than all past ones gets the same p = 1/(n+1), and a big outage cannot be
   * told from a blip.
   */
  tailShare: z.number().gt(0).max(0.5).default(0.02),
  /**
   * Rows an anomaly episode lasts for scoring: a row is scored by how much more surprising it is
   * than the most surprising row of the last `episodeRows` (0: every row on its own), so one
   * incident is reported when it starts and again only if it gets worse.
   */
  episodeRows: z.number().int().min(0).max(10_000).default(200),
  /** Miss probability of the expected interval reported beside each row. */
  intervalAlpha: z.number().gt(0).lt(1).default(0.01),
  /**
   * Keep past misses and episode p-values at full precision and store them as number lists
   * (state version 1, ~3x the bytes) instead of on the 16-bit grid (version 2).
   */
  exactWindows: z.boolean().default(false),
});
export type AnomalyOptions = z.infer<typeof AnomalyOptions>;
export type AnomalyOptionsInput = z.input<typeof AnomalyOptions>;
export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = AnomalyOptions.parse({});

const DetectorCore = {
  /** Observations seen (finite ones). */
  count: z.number().int().nonnegative(),
  /** Level the next one-step forecast is made from; null before the first observation. */
  level: z.number().finite().nullable(),
  /** The newest p-values, oldest first (at most `window`). */
  recentP: z.array(z.number().min(0).max(1)),
};

/** Base64 of 24-bit little-endian codes (./codes.ts). */
const PackedCodes = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 of 24-bit codes');

/**
 * Serialisable detector state for one series (stored between forecaster runs). Version 2 holds
 * the windows as packed codes; version 1 (full-precision lists) is still read, and written with
 * `exactWindows`.
 */
export const AnomalyState = z.discriminatedUnion('version', [
  z.strictObject({
    version: z.literal(1),
    ...DetectorCore,
    /** Recent absolute forecast misses, oldest first. */
    misses: z.array(z.number().nonnegative()),
    /** Combined p-values of the last `episodeRows` rows, oldest first. */
    episode: z.array(z.number().min(0).max(1)),
  }),
  z.strictObject({
    version: z.literal(2),
    ...DetectorCore,
    /** Recent absolute forecast misses, oldest first, as miss codes. */
    misses: PackedCodes,
    /** Combined p-values of the last `episodeRows` rows, oldest first, as p-value codes. */
    episode: PackedCodes,
  }),
]);
export type AnomalyState = z.infer<typeof AnomalyState>;

/** The windows of a stored state as numbers (what the detector works on). */
export function anomalyWindows(state: AnomalyState): { misses: number[]; episode: number[] } {
  if (state.version === 1) return { misses: [...state.misses], episode: [...state.episode] };
  return {
    misses: unpackCodes(state.misses).map(missValue),
    episode: unpackCodes(state.episode).map(pValueOf),
  };
}

/** What the detector says about one observation. */
export interface AnomalyRow {
  /** The one-step forecast and the conformal interval it was judged against (null: too early). */
  expected: { mid: number; low: number; high: number } | null;
  /** Conformal p-value of this row's miss alone (1 when there is no evidence yet). */
  pValue: number;
  /** 1 − (combined p-value over the short window): in [0, 1], high is surprising; null = no data. */
  score: number | null;
}

export function initialAnomalyState(): AnomalyState {
  return { version: 2, count: 0, level: null, misses: '', recentP: [], episode: '' };
}

/**
 * Recent nonconformity values in arrival order and the same values sorted, so the conformal
 * p-value of a new one is a binary search.
 */
class Calibration {
  readonly ring: number[];
  private readonly sorted: number[];

  constructor(
    values: readonly number[],
    private readonly size: number,
    private readonly tailShare: number,
    readonly snap: (x: number) => number,
  ) {
    this.ring = values.slice(-size).map(snap);
    this.sorted = [...this.ring].sort((a, b) => a - b);
  }

  get length(): number {
    return this.sorted.length;
  }

  /**
   * p = (1 + #{past ≥ x}) / (n + 1), ties counted against surprise; beyond the largest
   * `tailShare` of past values, an exponential tail fitted to them keeps p shrinking with x.
   */
  pValue(x: number): number {
    const n = this.sorted.length;
    const rank = (1 + n - lowerBound(this.sorted, x)) / (n + 1);
    const m = Math.max(2, Math.ceil(this.tailShare * n));
    const q = this.sorted[n - m] as number;
    if (x <= q) return rank;
    let excess = 0;
    for (let i = n - m + 1; i < n; i++) excess += (this.sorted[i] as number) - q;
    const scale = Math.max(excess / (m - 1), 1e-9 * (1 + Math.abs(q)));
    return Math.min(rank, (m / (n + 1)) * Math.exp(-(x - q) / scale));
  }

  /** The smallest past value at or above which at most `alpha` of past values lie. */
  quantile(alpha: number): number {
    const n = this.sorted.length;
    const k = Math.min(n - 1, Math.ceil((1 - alpha) * (n + 1)) - 1);
    return this.sorted[k] ?? 0;
  }

  add(value: number): void {
    const x = this.snap(value);
    this.ring.push(x);
    this.sorted.splice(lowerBound(this.sorted, x), 0, x);
    if (this.ring.length > this.size) {
      const oldest = this.ring.shift() as number;
      this.sorted.splice(lowerBound(this.sorted, oldest), 1);
    }
  }
}

/** The working form of the state, mutated row by row inside one `observeSeries` call. */
class Detector {
  private readonly misses: Calibration;
  private count: number;
  private level: number | null;
  private readonly recentP: number[];
  private readonly episode: number[];
  private readonly snapP: (p: number) => number;

  constructor(
    private readonly options: AnomalyOptions,
    state: AnomalyState,
  ) {
    const windows = anomalyWindows(state);
    const exact = options.exactWindows;
    this.snapP = exact ? (p) => p : snapP;
    this.misses = new Calibration(
      windows.misses,
      options.calibrationSize,
      options.tailShare,
      exact ? (x) => x : snapMiss,
    );
    this.count = state.count;
    this.level = state.level;
    this.recentP = state.recentP.slice(-options.window);
    this.episode = options.episodeRows > 0 ? windows.episode.slice(-options.episodeRows).map(this.snapP) : [];
  }

  observe(value: number): AnomalyRow {
    if (!Number.isFinite(value)) return { expected: null, pValue: 1, score: null };
    const o = this.options;
    let row: AnomalyRow;
    if (this.level === null) {
      row = { expected: null, pValue: 1, score: 0 };
      this.level = value;
    } else {
      const mid = this.level;
      const miss = Math.abs(value - mid);
      let pValue = 1;
      let expected: AnomalyRow['expected'] = null;
      if (this.misses.length >= o.minCalibration) {
        // Ranked on the grid the window is kept on, so a miss equal to a past one still ties with it.
        pValue = this.misses.pValue(this.misses.snap(miss));
        const q = this.misses.quantile(o.intervalAlpha);
        expected = { mid, low: mid - q, high: mid + q };
      }
      this.recentP.push(pValue);
      if (this.recentP.length > o.window) this.recentP.shift();
      const combined = fisherCombine(this.recentP);
      let reported = combined;
      if (o.episodeRows > 0) {
        let worst = 1;
        for (const p of this.episode) if (p < worst) worst = p;
        reported = Math.min(1, combined / worst);
        this.episode.push(this.snapP(combined));
        if (this.episode.length > o.episodeRows) this.episode.shift();
      }
      row = { expected, pValue, score: scoreOf(reported) };
      this.misses.add(miss);
      this.level = mid + o.levelAlpha * (value - mid);
    }
    this.count += 1;
    return row;
  }

  state(): AnomalyState {
    const core = { count: this.count, level: this.level, recentP: [...this.recentP] };
    if (this.options.exactWindows)
      return { version: 1, ...core, misses: [...this.misses.ring], episode: [...this.episode] };
    return {
      version: 2,
      ...core,
      misses: packCodes(this.misses.ring.map(missCode)),
      episode: packCodes(this.episode.map(pCode)),
    };
  }
}

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Feed new observations (oldest first) to a series' detector. Pure: the given state is not
 * changed; the returned state continues exactly where a single longer call would have been.
 */
export function observeSeries(
  state: AnomalyState,
  values: readonly number[],
  options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): { state: AnomalyState; rows: AnomalyRow[] } {
  const detector = new Detector(options, state);
  const rows = values.map((v) => detector.observe(v));
  return { state: detector.state(), rows };
}
