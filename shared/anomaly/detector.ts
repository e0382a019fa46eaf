import { z } from 'zod';
import { Calibration, CalibrationState, emptyCalibration } from './calibration';
import { scoreOf } from './pvalue';
import { detectPeriod } from './season';

/**
 * A causal anomaly score per series from several sources of surprise, each a conformal p-value (the
 * rank of this row's nonconformity among past ones, so no noise model is needed and each
 * recalibrates as the series changes):
 *
 * - **level**: the miss of a one-step forecast (a smoothed level) made before the row arrived —
 *   spikes, dips, level shifts;
 * - **drift**, one source per block length in `driftBlockRows`: the mean of each block of rows
 *   against a slow smoothed level as it stood before the block — a moderate shift that lasts
 *   without any single row standing out;
 * - **season**: once the series' period is found from its own values, the mean of each
 *   1/`blocksPerPeriod` of a period against the same part of earlier periods — a daily peak that
 *   does not come, a change of shape.
 *
 * The sources are combined by Bonferroni (the smaller p times the number of sources: valid
 * however they depend on each other). A row is then scored against the worst row of the last
 * `episodeRows` (so one incident is reported when it starts, and again only if it gets worse),
 * and the score is 1 − p. The state is plain JSON of a few KB, so a forecaster run resumes
 * exactly where the last one stopped.
 */
/** Most drift block lengths (each is a source, and a few hundred bytes of state). */
const MAX_DRIFT_SCALES = 4;

export const AnomalyOptions = z
  .strictObject({
    /**
     * Memory of each calibration, in rows: a past value's weight decays as e^{−age/memory}; longer
     * is steadier, shorter adapts faster.
     */
    calibrationSize: z.number().int().min(100).max(100_000).default(5000),
    /** No score below this calibration weight: a rank among a handful is no evidence either way. */
    minCalibration: z.number().int().min(2).default(50),
    /** Smoothing of the level the one-step forecast tracks (1 = last value). */
    levelAlpha: z.number().gt(0).max(1).default(0.5),
    /**
     * Rows per block of the drift source. Blocks do not overlap, so a shift that grows slowly is
     * judged in steps big enough to stand out from the block before, not row by row against rows
     * that already carried most of it.
     */
    driftBlockRows: z.array(z.number().int().min(2).max(1000)).min(1).max(MAX_DRIFT_SCALES).default([8, 32]),
    /** Smoothing of the slow level the drift source compares each block with (about 1/α rows). */
    driftSlowAlpha: z.number().gt(0).max(1).default(0.005),
    /**
     * Share of the largest past values whose excess over the smallest of them fits the exponential
     * tail that p-values beyond it are extrapolated from; without it every value bigger than all
     * past ones gets the same p, and a big outage cannot be told from a blip.
     */
    tailShare: z.number().gt(0).max(0.5).default(0.05),
    /** Rows read before looking for a period (twice the longest period that can be found). */
    periodSearchRows: z.number().int().min(0).max(5000).default(600),
    /** Smallest autocorrelation at the period for the series to count as periodic. */
    periodMinCorrelation: z.number().gt(0).lt(1).default(0.3),
    /** Parts of a period compared with the same part of earlier periods (a part is ≥ 1 row). */
    blocksPerPeriod: z.number().int().min(2).max(200).default(24),
    /**
     * Rows an anomaly episode lasts for scoring: a row is scored by how much more surprising it is
     * than the most surprising row of about the last `episodeRows` (0: every row on its own), so
     * one incident is reported when it starts and again only if it gets worse.
     */
    episodeRows: z.number().int().min(0).max(10_000).default(200),
    /** Miss probability of the expected interval reported beside each row. */
    intervalAlpha: z.number().gt(0).lt(1).default(0.01),
  })
  .refine((o) => o.driftBlockRows.every((rows) => o.driftSlowAlpha * rows < 1), {
    message:
      'driftSlowAlpha must be below 1 / the longest of driftBlockRows (the slow level must be slower than a block)',
    path: ['driftSlowAlpha'],
  });
export type AnomalyOptions = z.infer<typeof AnomalyOptions>;
export type AnomalyOptionsInput = z.input<typeof AnomalyOptions>;
export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = AnomalyOptions.parse({});

/**
 * Number of surprise sources combined: level, season and one per drift block length (fixed by the
 * options, so scores compare across series).
 */
const sourcesOf = (o: AnomalyOptions): number => 2 + o.driftBlockRows.length;
/** Version of the stored state; a state of any other version is read as a fresh one. */
const STATE_VERSION = 5;
/**
 * The recent worst is kept as the worst of each tenth of the episode, so the state is a dozen
 * numbers; the rows it covers are the last 90–100% of `episodeRows`.
 */
const EPISODE_PARTS = 10;

const SeasonState = z.strictObject({
  /** Period in rows; 0 = none found; null = still reading the first rows (`search`). */
  period: z.number().int().nonnegative().nullable(),
  /** The first rows (to four significant digits), kept only until the period is looked for. */
  search: z.array(z.number()),
  /** Rows per block (a part of the period), and blocks per period. */
  blockRows: z.number().int().nonnegative(),
  blocks: z.number().int().nonnegative(),
  /** Position in the current block and which block of the period it is. */
  row: z.number().int().nonnegative(),
  block: z.number().int().nonnegative(),
  /** Sum of the current block's values. */
  sum: z.number(),
  /** Each block's mean, smoothed over earlier periods (null: not seen yet). */
  profile: z.array(z.number().nullable()),
  misses: CalibrationState,
});
type SeasonState = z.infer<typeof SeasonState>;

const DriftState = z.strictObject({
  /** The slow smoothed level; null before the first observation. */
  slow: z.number().finite().nullable(),
  /** The slow level when the current block started, the block's sum and rows so far. */
  base: z.number().finite(),
  sum: z.number().finite(),
  rows: z.number().int().nonnegative(),
  /** Past gaps between a block's mean and its base. */
  misses: CalibrationState,
});
type DriftState = z.infer<typeof DriftState>;

/** Serialisable detector state for one series (stored between forecaster runs). */
const AnomalyStateV3 = z.strictObject({
  version: z.literal(STATE_VERSION),
  /** Observations seen (finite ones). */
  count: z.number().int().nonnegative(),
  /** Level the next one-step forecast is made from; null before the first observation. */
  level: z.number().finite().nullable(),
  /** Past one-step misses. */
  misses: CalibrationState,
  season: SeasonState,
  /** One per drift block length, in the order of `driftBlockRows` (empty before the first row). */
  drift: z.array(DriftState).max(MAX_DRIFT_SCALES),
  /** −ln p of the worst row of each finished part of the episode, oldest first. */
  episode: z.array(z.number().nonnegative()).max(EPISODE_PARTS),
  /** −ln p of the worst row of the current part, and its rows so far. */
  partWorst: z.number().nonnegative(),
  partRows: z.number().int().nonnegative(),
});

/** A state stored by an older detector cannot be continued: that series recalibrates. */
export const AnomalyState = z.preprocess(
  (s) =>
    typeof s === 'object' && s !== null && (s as { version?: unknown }).version !== STATE_VERSION
      ? initialAnomalyState()
      : s,
  AnomalyStateV3,
);
export type AnomalyState = z.infer<typeof AnomalyStateV3>;

/** What the detector says about one observation. */
export interface AnomalyRow {
  /** The one-step forecast and the conformal interval it was judged against (null: too early). */
  expected: { mid: number; low: number; high: number } | null;
  /** Combined p-value of this row's sources (1 when there is no evidence yet). */
  pValue: number;
  /** 1 − p of this row against the recent worst: in [0, 1], high is surprising; null = no data. */
  score: number | null;
}

export function initialAnomalyState(): AnomalyState {
  return {
    version: STATE_VERSION,
    count: 0,
    level: null,
    misses: emptyCalibration(),
    season: {
      period: null,
      search: [],
      blockRows: 0,
      blocks: 0,
      row: 0,
      block: 0,
      sum: 0,
      profile: [],
      misses: emptyCalibration(),
    },
    drift: [],
    episode: [],
    partWorst: 0,
    partRows: 0,
  };
}

/** The seasonal source: block means against the same block of earlier periods. */
class Season {
  private readonly s: SeasonState;
  private readonly misses: Calibration;

  constructor(
    private readonly o: AnomalyOptions,
    state: SeasonState,
  ) {
    this.s = { ...state, search: [...state.search], profile: [...state.profile] };
    this.misses = new Calibration(state.misses, o.calibrationSize / o.blocksPerPeriod, o.tailShare);
  }

  /** p-value of the block this row completes (1 for rows inside a block or with no period). */
  observe(value: number): number {
    const s = this.s;
    if (s.period === null) {
      // Four significant digits are plenty for an autocorrelation and keep the stored rows short.
      s.search.push(Number(value.toPrecision(4)));
      if (s.search.length >= this.o.periodSearchRows)
        this.start(detectPeriod(s.search, this.o.periodMinCorrelation));
      return 1;
    }
    if (s.period === 0) return 1;
    s.sum += value;
    s.row += 1;
    if (s.row < s.blockRows) return 1;
    const mean = s.sum / s.blockRows;
    const expected = s.profile[s.block] ?? null;
    let p = 1;
    if (expected !== null) {
      const miss = Math.abs(mean - expected);
      if (this.misses.weight >= this.o.minCalibration) p = this.misses.pValue(miss);
      this.misses.add(miss);
      s.profile[s.block] = expected + 0.5 * (mean - expected);
    } else s.profile[s.block] = mean;
    s.row = 0;
    s.sum = 0;
    s.block = (s.block + 1) % s.blocks;
    return p;
  }

  /** Blocks start at the row after the search; the period is rounded to whole blocks. */
  private start(period: number): void {
    const s = this.s;
    s.period = period;
    s.search = [];
    if (period === 0) return;
    s.blockRows = Math.max(1, Math.round(period / this.o.blocksPerPeriod));
    s.blocks = Math.max(2, Math.round(period / s.blockRows));
    s.profile = new Array<number | null>(s.blocks).fill(null);
  }

  state(): SeasonState {
    return {
      ...this.s,
      search: [...this.s.search],
      profile: [...this.s.profile],
      misses: this.misses.state(),
    };
  }
}

/**
 * The drift source: the mean of each block of rows against the slow level as it stood before the
 * block. The slow level is the plain mean of the rows seen until it has seen 1/α of them, so it
 * does not start from one row's noise (a gap that only reflects the first row would be calibrated
 * as normal, and hide real drifts).
 */
class Drift {
  private readonly s: DriftState;
  private readonly misses: Calibration;

  constructor(
    private readonly o: AnomalyOptions,
    private readonly blockRows: number,
    state: DriftState = { slow: null, base: 0, sum: 0, rows: 0, misses: emptyCalibration() },
  ) {
    this.s = { ...state };
    this.misses = new Calibration(state.misses, o.calibrationSize / blockRows, o.tailShare);
  }

  /** p-value of the block this row completes (1 inside a block); `count` includes this row. */
  observe(value: number, count: number): number {
    const s = this.s;
    if (s.slow === null) s.slow = value;
    if (s.rows === 0) s.base = s.slow;
    s.sum += value;
    s.rows += 1;
    s.slow += Math.max(this.o.driftSlowAlpha, 1 / count) * (value - s.slow);
    if (s.rows < this.blockRows) return 1;
    const gap = Math.abs(s.sum / s.rows - s.base);
    const p = this.misses.weight >= this.o.minCalibration ? this.misses.pValue(gap) : 1;
    this.misses.add(gap);
    s.sum = 0;
    s.rows = 0;
    return p;
  }

  state(): DriftState {
    return { ...this.s, misses: this.misses.state() };
  }
}

/** The working form of the state, mutated row by row inside one `observeSeries` call. */
class Detector {
  private readonly misses: Calibration;
  private readonly season: Season;
  private readonly drift: Drift[];
  private count: number;
  private level: number | null;
  private readonly episode: number[];
  private partWorst: number;
  private partRows: number;
  private readonly partSize: number;

  constructor(
    private readonly options: AnomalyOptions,
    state: AnomalyState,
  ) {
    this.misses = new Calibration(state.misses, options.calibrationSize, options.tailShare);
    this.season = new Season(options, state.season);
    this.drift = options.driftBlockRows.map((rows, i) => new Drift(options, rows, state.drift[i]));
    this.count = state.count;
    this.level = state.level;
    this.episode = [...state.episode];
    this.partWorst = state.partWorst;
    this.partRows = state.partRows;
    this.partSize = Math.ceil(options.episodeRows / EPISODE_PARTS);
  }

  observe(value: number): AnomalyRow {
    if (!Number.isFinite(value)) return { expected: null, pValue: 1, score: null };
    this.count += 1;
    const pSeason = this.season.observe(value);
    let pDrift = 1;
    for (const d of this.drift) pDrift = Math.min(pDrift, d.observe(value, this.count));
    if (this.level === null) {
      this.level = value;
      return { expected: null, pValue: 1, score: 0 };
    }
    const o = this.options;
    const mid = this.level;
    const miss = Math.abs(value - mid);
    const ready = this.misses.weight >= o.minCalibration;
    let pLevel = 1;
    let expected: AnomalyRow['expected'] = null;
    if (ready) {
      pLevel = this.misses.pValue(miss);
      const q = this.misses.quantile(o.intervalAlpha);
      expected = { mid, low: mid - q, high: mid + q };
    }
    this.misses.add(miss);
    this.level = mid + o.levelAlpha * (value - mid);
    const p = Math.min(1, sourcesOf(o) * Math.min(pLevel, pSeason, pDrift));
    return { expected, pValue: p, score: ready ? scoreOf(this.againstWorst(p)) : 0 };
  }

  /** p relative to the worst row of the recent episode (1 when this row is no worse). */
  private againstWorst(p: number): number {
    if (this.partSize === 0) return p;
    const surprise = -Math.log(Math.max(p, Number.MIN_VALUE));
    let worst = this.partWorst;
    for (const w of this.episode) if (w > worst) worst = w;
    this.partWorst = Math.max(this.partWorst, surprise);
    this.partRows += 1;
    if (this.partRows >= this.partSize) {
      this.episode.push(this.partWorst);
      if (this.episode.length > EPISODE_PARTS) this.episode.shift();
      this.partWorst = 0;
      this.partRows = 0;
    }
    return Math.min(1, Math.exp(worst - surprise));
  }

  state(): AnomalyState {
    return {
      version: STATE_VERSION,
      count: this.count,
      level: this.level,
      misses: this.misses.state(),
      season: this.season.state(),
      drift: this.drift.map((d) => d.state()),
      episode: [...this.episode],
      partWorst: this.partWorst,
      partRows: this.partRows,
    };
  }
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
