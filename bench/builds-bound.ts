import { mulberry32 } from '../shared/sim/random';
import { MIN_SCORED_RUNS, NAIVE_WINDOW, type StageAccuracy } from './builds';
import type { CiRun } from './builds-data';
import {
  BOOST_DEFAULTS,
  type BoostOptions,
  binFeatures,
  boostL1,
  knnMedians,
  median,
  standardise,
} from './l1-learners';

/**
 * `bench builds --bound`: per stage, how low the duration MAE of *any* predictor fed the inputs
 * known when a run starts could go, estimated optimistically. A multivariate nonlinear learner
 * (L1 gradient-boosted trees, and a k-nearest-neighbours median) is fitted by K-fold
 * cross-validation over the stage's whole history, so it learns from runs after the one it
 * predicts, and the best round count / k per stage is picked on the same folds it is scored on.
 * A causal predictor (one that sees only earlier runs) is not expected to beat that.
 *
 * Inputs per run (all known at its start): the dataset's start-time columns
 * (`CiRun.startFields`), change score, job count, hour, weekday, days since the stage's first
 * run, gaps since the stage's and the pipeline's previous runs, runs in the past 24 h, the lane
 * (trigger and target branch) and its median, the same change's history, and the stage's history
 * (median of the last 20 and 60 runs, last run, EWMA of log work). Never the run's own duration
 * or any outcome column.
 */

export const BOUND_FOLDS = 5;
export const KNN_KS = [5, 10, 20, 40] as const;
/** Features (by boosting gain) the k-nearest-neighbours median measures distance on. */
export const KNN_FEATURES = 6;
const EWMA_WEIGHT = 0.2;
const DAY_MS = 86_400_000;

/** Our predictor's point for the run (a function of the same inputs), as log(point / median of the last 20). */
export const OURS_FEATURE = 'log_ours_ratio';

/** The inputs of one scored run of a stage (≥ `NAIVE_WINDOW` earlier runs), by feature name. */
export interface BoundRow {
  /** Index of the run in the input. */
  run: number;
  features: Record<string, number>;
  seconds: number;
  median20: number;
  last: number;
}

export interface StageTable {
  stage: string;
  dataset: CiRun['dataset'];
  rows: BoundRow[];
}

/** Sign-preserving log: monotone, so trees do not care; it keeps heavy tails from dominating distances. */
const slog = (x: number): number => Math.sign(x) * Math.log1p(Math.abs(x));

function medianOfLast(h: readonly number[], n: number): number {
  return median(h.slice(-n));
}

interface StageState {
  seconds: number[];
  starts: number[];
  /** Index into `starts` of the oldest run within the past 24 h of the latest start. */
  dayFrom: number;
  ewmaLog?: number;
  firstStart: number;
  lanes: Map<string, { index: number; seconds: number[] }>;
  changes: Map<string, { runs: number; lastSeconds: number; lastStart: number }>;
}

/**
 * Walks the runs in their (time) order and returns, per stage, the start-time inputs of every run
 * with at least `NAIVE_WINDOW` earlier runs of the stage (the runs the bench scores). A run's row
 * is built before its own duration is added to the history.
 */
export function boundTables(runs: readonly CiRun[], ours?: readonly (number | undefined)[]): StageTable[] {
  const stages = new Map<string, StageState>();
  const tables = new Map<string, StageTable>();
  const pipelineBuilds = new Map<string, { buildId: string; startMs: number; previousMs?: number }>();
  runs.forEach((r, i) => {
    const key = `${r.pipeline}/${r.stage}`;
    let s = stages.get(key);
    if (!s) {
      s = {
        seconds: [],
        starts: [],
        dayFrom: 0,
        firstStart: r.startMs,
        lanes: new Map(),
        changes: new Map(),
      };
      stages.set(key, s);
    }
    // The pipeline's previous build (stages of one build share its start).
    const pb = pipelineBuilds.get(r.pipeline);
    if (!pb) pipelineBuilds.set(r.pipeline, { buildId: r.buildId, startMs: r.startMs });
    else if (pb.buildId !== r.buildId) {
      pb.previousMs = pb.startMs;
      pb.buildId = r.buildId;
      pb.startMs = r.startMs;
    }
    const previousBuildMs = pipelineBuilds.get(r.pipeline)?.previousMs;
    const lane = r.lane ?? '';
    const laneState = s.lanes.get(lane) ?? { index: s.lanes.size, seconds: [] };
    s.lanes.set(lane, laneState);
    const change = r.changeKey !== undefined ? s.changes.get(r.changeKey) : undefined;
    while (s.dayFrom < s.starts.length && (s.starts[s.dayFrom] as number) < r.startMs - DAY_MS) s.dayFrom++;
    if (s.seconds.length >= NAIVE_WINDOW) {
      const m20 = medianOfLast(s.seconds, NAIVE_WINDOW);
      const last = s.seconds.at(-1) as number;
      const logRatio = (x: number) => Math.log(Math.max(x, 1e-3) / Math.max(m20, 1e-3));
      const date = new Date(r.startMs);
      const features: Record<string, number> = {
        hour: date.getUTCHours(),
        weekday: date.getUTCDay(),
        days_since_first_run: (r.startMs - s.firstStart) / DAY_MS,
        log_gap_previous_run_s: slog((r.startMs - (s.starts.at(-1) as number)) / 1000),
        log_gap_previous_build_s:
          previousBuildMs !== undefined ? slog((r.startMs - previousBuildMs) / 1000) : Number.NaN,
        runs_past_24h: s.starts.length - s.dayFrom,
        change_score: r.changeScore,
        jobs: r.jobs ?? Number.NaN,
        lane: laneState.index,
        lane_runs_before: laneState.seconds.length,
        log_lane_median20_ratio:
          laneState.seconds.length >= 3 ? logRatio(median(laneState.seconds)) : Number.NaN,
        same_change_runs_before: change?.runs ?? 0,
        log_same_change_last_ratio: change ? logRatio(change.lastSeconds) : Number.NaN,
        log_same_change_gap_s: change ? slog((r.startMs - change.lastStart) / 1000) : Number.NaN,
        log_median20: Math.log(Math.max(m20, 1e-3)),
        log_median60_ratio: logRatio(medianOfLast(s.seconds, 60)),
        log_last_ratio: logRatio(last),
        log_ewma_ratio: s.ewmaLog !== undefined ? s.ewmaLog - Math.log(Math.max(m20, 1e-3)) : Number.NaN,
      };
      for (const [name, v] of Object.entries(r.startFields ?? {})) features[`field_${name}`] = slog(v);
      const point = ours?.[i];
      if (point !== undefined) features[OURS_FEATURE] = logRatio(point);
      const t = tables.get(key) ?? { stage: key, dataset: r.dataset, rows: [] };
      tables.set(key, t);
      t.rows.push({ run: i, features, seconds: r.agentSeconds, median20: m20, last });
    }
    // Learn the run: from here on it is history.
    const logW = Math.log(Math.max(r.agentSeconds, 1e-3));
    s.ewmaLog = s.ewmaLog === undefined ? logW : (1 - EWMA_WEIGHT) * s.ewmaLog + EWMA_WEIGHT * logW;
    s.seconds.push(r.agentSeconds);
    if (s.seconds.length > 60) s.seconds.shift();
    s.starts.push(r.startMs);
    laneState.seconds.push(r.agentSeconds);
    if (laneState.seconds.length > NAIVE_WINDOW) laneState.seconds.shift();
    if (r.changeKey !== undefined)
      s.changes.set(r.changeKey, {
        runs: (change?.runs ?? 0) + 1,
        lastSeconds: r.agentSeconds,
        lastStart: r.startMs,
      });
  });
  return [...tables.values()];
}

/** Columns (feature-major) of a table; features that never vary within the stage are dropped. */
export function tableColumns(
  t: StageTable,
  exclude: (name: string) => boolean = () => false,
): { names: string[]; columns: Float64Array[] } {
  const names = [...new Set(t.rows.flatMap((r) => Object.keys(r.features)))]
    .filter((x) => !exclude(x))
    .sort();
  const kept: string[] = [];
  const columns: Float64Array[] = [];
  for (const name of names) {
    const col = Float64Array.from(t.rows, (r) => r.features[name] ?? Number.NaN);
    const first = col[0] as number;
    const varies = col.some((v) => !Object.is(v, first) && !(Number.isNaN(v) && Number.isNaN(first)));
    if (!varies) continue;
    kept.push(name);
    columns.push(col);
  }
  return { names: kept, columns };
}

export type FoldScheme = 'random' | 'blocks';

/** Fold of each of `n` rows (in time order): a seeded random partition, or K contiguous time blocks. */
export function foldsOf(n: number, k: number, scheme: FoldScheme, seed = 17): Int32Array {
  const fold = new Int32Array(n);
  if (scheme === 'blocks') {
    for (let i = 0; i < n; i++) fold[i] = Math.floor((i * k) / n);
    return fold;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  order.forEach((row, i) => {
    fold[row] = i % k;
  });
  return fold;
}

export interface FeatureWeight {
  name: string;
  splits: number;
  /** Share of the boosting gain summed over folds. */
  gainShare: number;
}

export interface CrossValidated {
  maeBoost: number;
  /** The round count with the lowest MAE (picked on the scored folds: optimistic). */
  boostRounds: number;
  maeKnn: number;
  knnK: number;
  mae: number;
  features: FeatureWeight[];
}

/**
 * K-fold cross-validated MAE (in seconds) of both learners on one stage; the target is the log
 * of the run's work over the median of its last 20 runs, so a prediction is that median times
 * exp(predicted log ratio).
 */
export function crossValidate(
  t: StageTable,
  scheme: FoldScheme,
  opts: {
    folds?: number;
    boost?: BoostOptions;
    knnFeatures?: readonly string[];
    exclude?: (name: string) => boolean;
    /** Start from this feature's value (a log ratio to the median of the last 20) instead of from the median. */
    baseFeature?: string;
  } = {},
): CrossValidated {
  const folds = opts.folds ?? BOUND_FOLDS;
  const boost = opts.boost ?? BOOST_DEFAULTS;
  const n = t.rows.length;
  const { names, columns } = tableColumns(t, opts.exclude);
  const y = Float64Array.from(t.rows, (r) =>
    Math.log(Math.max(r.seconds, 1e-3) / Math.max(r.median20, 1e-3)),
  );
  const fold = foldsOf(n, Math.min(folds, n), scheme);
  const base = Float64Array.from(t.rows, (r) => {
    const v = opts.baseFeature !== undefined ? r.features[opts.baseFeature] : undefined;
    return v !== undefined && Number.isFinite(v) ? v : 0;
  });
  const excess = Float64Array.from(y, (v, i) => v - (base[i] as number));
  const data = binFeatures(columns);
  const splits = new Float64Array(names.length);
  const gain = new Float64Array(names.length);
  const boostErr = new Float64Array(boost.checkpoints.length);
  const ranked = (): string[] => {
    const order = names.map((_, f) => f).sort((a, b) => (gain[b] as number) - (gain[a] as number));
    return order.map((f) => names[f] as string);
  };
  const foldRows = (k: number) => {
    const train: number[] = [];
    const evaluate: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === k ? evaluate : train).push(i);
    return { train: Int32Array.from(train), evaluate: Int32Array.from(evaluate) };
  };
  const error = (row: number, logRatio: number) => {
    const r = t.rows[row] as BoundRow;
    return Math.abs(r.median20 * Math.exp(logRatio) - r.seconds);
  };
  for (let k = 0; k < folds; k++) {
    const { train, evaluate } = foldRows(k);
    if (evaluate.length === 0 || train.length === 0) continue;
    const fit = boostL1(data, y, train, evaluate, boost, base);
    fit.atCheckpoint.forEach((pred, c) => {
      let e = 0;
      for (let i = 0; i < evaluate.length; i++) e += error(evaluate[i] as number, pred[i] as number);
      boostErr[c] = (boostErr[c] as number) + e;
    });
    for (let f = 0; f < names.length; f++) {
      splits[f] = (splits[f] as number) + (fit.splits[f] as number);
      gain[f] = (gain[f] as number) + (fit.gain[f] as number);
    }
  }
  let bestC = 0;
  boostErr.forEach((e, c) => {
    if (e < (boostErr[bestC] as number)) bestC = c;
  });
  // kNN on the features the trees found most useful (or the first of the ones given).
  const knnNames = (opts.knnFeatures ?? ranked()).filter((x) => names.includes(x)).slice(0, KNN_FEATURES);
  const knnCols = standardise(knnNames.map((x) => columns[names.indexOf(x)] as Float64Array));
  const knnErr = new Float64Array(KNN_KS.length);
  for (let k = 0; k < folds; k++) {
    const { train, evaluate } = foldRows(k);
    if (evaluate.length === 0 || train.length === 0) continue;
    const preds = knnMedians(knnCols, excess, train, evaluate, KNN_KS);
    preds.forEach((pred, ki) => {
      let e = 0;
      for (let i = 0; i < evaluate.length; i++) {
        const row = evaluate[i] as number;
        e += error(row, (base[row] as number) + (pred[i] as number));
      }
      knnErr[ki] = (knnErr[ki] as number) + e;
    });
  }
  let bestK = 0;
  knnErr.forEach((e, ki) => {
    if (e < (knnErr[bestK] as number)) bestK = ki;
  });
  const totalGain = gain.reduce((a, x) => a + x, 0);
  const maeBoost = (boostErr[bestC] as number) / n;
  const maeKnn = (knnErr[bestK] as number) / n;
  return {
    maeBoost,
    boostRounds: boost.checkpoints[bestC] as number,
    maeKnn,
    knnK: KNN_KS[bestK] as number,
    mae: Math.min(maeBoost, maeKnn),
    features: ranked()
      .slice(0, 8)
      .map((name) => {
        const f = names.indexOf(name);
        return {
          name,
          splits: splits[f] as number,
          gainShare: totalGain > 0 ? (gain[f] as number) / totalGain : 0,
        };
      }),
  };
}

/** One cross-validated configuration of a stage, MAE in agent-seconds, ratio over the better naive. */
export interface BoundFit {
  mae: number;
  ratio: number;
  maeBoost: number;
  boostRounds: number;
  maeKnn: number;
  knnK: number;
  /** By boosting gain summed over folds. */
  features: FeatureWeight[];
}

export interface BoundStage {
  stage: string;
  dataset: CiRun['dataset'];
  scored: number;
  inGeomean: boolean;
  maeMedian20: number;
  maeLast: number;
  /** Our predictor's MAE from the same bench run (same scored runs). */
  maeOurs: number;
  ratioOurs: number;
  /** The bound: the better of `fromMedian` and `fromOurs`. */
  maeBound: number;
  ratioBound: number;
  /** Random folds; learners start from the median of the last 20; our point is not an input. */
  fromMedian: BoundFit;
  /** Random folds; learners start from our point, which is also an input. */
  fromOurs: BoundFit;
  /** `fromOurs` with contiguous time-block folds (less peeking at the future's level). */
  blocks: BoundFit;
}

export interface BoundGeomean {
  stages: number;
  ours: number;
  bound: number;
  fromMedian: number;
  fromOurs: number;
  blocks: number;
}

export interface BoundResult {
  method: string[];
  seconds: number;
  geomean: BoundGeomean & { travistorrent: BoundGeomean; lrts: BoundGeomean };
  stages: BoundStage[];
}

function geomeanOf(stages: readonly BoundStage[]): BoundGeomean {
  const g = (f: (s: BoundStage) => number) =>
    round(Math.exp(stages.reduce((a, s) => a + Math.log(f(s)), 0) / Math.max(1, stages.length)));
  return {
    stages: stages.length,
    ours: g((s) => s.ratioOurs),
    bound: g((s) => s.ratioBound),
    fromMedian: g((s) => s.fromMedian.ratio),
    fromOurs: g((s) => s.fromOurs.ratio),
    blocks: g((s) => s.blocks.ratio),
  };
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x;
}

export const BOUND_METHOD = [
  `per stage, over the runs the bench scores (≥ ${NAIVE_WINDOW} earlier runs of the stage); target log(work / median of the last ${NAIVE_WINDOW})`,
  `${BOUND_FOLDS}-fold cross-validation over the stage's whole history, random folds (seed 17): each fit learns from runs after the ones it predicts`,
  `L1 gradient-boosted trees: depth ${BOOST_DEFAULTS.depth}, shrinkage ${BOOST_DEFAULTS.shrinkage}, ≥ ${BOOST_DEFAULTS.minLeaf} rows a leaf, ${BOOST_DEFAULTS.subsample} row subsample, ≤ 32 quantile bins a feature; the best of ${BOOST_DEFAULTS.checkpoints.join('/')} rounds, picked on the folds it is scored on`,
  `k-nearest-neighbours median on the ${KNN_FEATURES} standardised features with the most boosting gain; the best k of ${KNN_KS.join('/')}, picked the same way`,
  'from median: both learners start from the median of the last 20 and do not see our point; from ours: they start from our point and see it as an input (0 rounds = ours)',
  'bound = the best of the two learners and the two starts per stage; blocks: "from ours" again with contiguous time-block folds',
];

/**
 * The bound for every stage of `runs`, beside our predictor's accuracy (`ours`, from the same
 * bench run, and `points`, its point per run); the geomean is over the stages the bench's
 * summary uses (≥ `MIN_SCORED_RUNS` scored runs and a finite positive ratio).
 */
export function runBound(
  runs: readonly CiRun[],
  ours: readonly StageAccuracy[],
  points: readonly (number | undefined)[],
  progress: (stage: string, done: number, total: number) => void = () => {},
): BoundResult {
  const started = performance.now();
  const tables = boundTables(runs, points).sort((a, b) => b.rows.length - a.rows.length);
  const byStage = new Map(ours.map((s) => [s.stage, s]));
  const stages: BoundStage[] = [];
  tables.forEach((t, i) => {
    progress(t.stage, i, tables.length);
    const o = byStage.get(t.stage);
    if (!o) return;
    const n = t.rows.length;
    const maeMedian20 = t.rows.reduce((a, r) => a + Math.abs(r.median20 - r.seconds), 0) / n;
    const maeLast = t.rows.reduce((a, r) => a + Math.abs(r.last - r.seconds), 0) / n;
    const best = Math.max(1e-9, Math.min(maeMedian20, maeLast));
    const summarise = (cv: CrossValidated): BoundFit => ({
      mae: cv.mae,
      ratio: cv.mae / best,
      maeBoost: cv.maeBoost,
      boostRounds: cv.boostRounds,
      maeKnn: cv.maeKnn,
      knnK: cv.knnK,
      features: cv.features,
    });
    const fromMedian = summarise(crossValidate(t, 'random', { exclude: (x) => x === OURS_FEATURE }));
    const fromOurs = summarise(crossValidate(t, 'random', { baseFeature: OURS_FEATURE }));
    const blocks = summarise(
      crossValidate(t, 'blocks', {
        baseFeature: OURS_FEATURE,
        knnFeatures: fromOurs.features.map((x) => x.name),
      }),
    );
    const maeBound = Math.min(fromMedian.mae, fromOurs.mae);
    stages.push({
      stage: t.stage,
      dataset: t.dataset,
      scored: n,
      inGeomean: o.scored >= MIN_SCORED_RUNS && Number.isFinite(o.ratio) && o.ratio > 0,
      maeMedian20,
      maeLast,
      maeOurs: o.maeModel,
      ratioOurs: o.ratio,
      maeBound,
      ratioBound: maeBound / best,
      fromMedian,
      fromOurs,
      blocks,
    });
  });
  progress('done', tables.length, tables.length);
  stages.sort((a, b) => a.stage.localeCompare(b.stage));
  const inGeomean = stages.filter((s) => s.inGeomean);
  return {
    method: BOUND_METHOD,
    seconds: round((performance.now() - started) / 1000),
    geomean: {
      ...geomeanOf(inGeomean),
      travistorrent: geomeanOf(inGeomean.filter((s) => s.dataset === 'travistorrent')),
      lrts: geomeanOf(inGeomean.filter((s) => s.dataset === 'lrts')),
    },
    stages,
  };
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

export function formatBound(b: BoundResult): string {
  const g = b.geomean;
  const line = (label: string, x: BoundGeomean) =>
    `${label.padEnd(16)} ${String(x.stages).padStart(3)} stages  ours ${f(x.ours, 3)}  bound ${f(x.bound, 3)} (from median ${f(x.fromMedian, 3)}, from ours ${f(x.fromOurs, 3)})  from ours, time-block folds ${f(x.blocks, 3)}`;
  const top = (xs: readonly FeatureWeight[]) =>
    xs
      .slice(0, 3)
      .map((x) => `${x.name} ${f(x.gainShare, 2)}`)
      .join(', ');
  const lines = [
    `bound: the lowest duration MAE a learner that sees the future reaches from the start-time inputs (${f(b.seconds, 1)} s)`,
    ...b.method.map((x) => `  ${x}`),
    '',
    'MAE in agent-seconds; ratios over the better naive baseline (median-20 or last run); trees/kNN: MAE of each learner starting from the median',
    'stage                                  scored  median-20  last run   ours  bound  trees    kNN   ours  bound  median  f.ours  blocks  top inputs from the median (gain share)',
    ...b.stages.map(
      (s) =>
        `${`${s.stage}${s.inGeomean ? '' : ' *'}`.padEnd(38)} ${String(s.scored).padStart(6)}  ${f(s.maeMedian20, 0).padStart(9)}  ${f(s.maeLast, 0).padStart(8)}  ${f(s.maeOurs, 0).padStart(5)}  ${f(s.maeBound, 0).padStart(5)}  ${f(s.fromMedian.maeBoost, 0).padStart(5)}  ${f(s.fromMedian.maeKnn, 0).padStart(5)}  ${f(s.ratioOurs, 3)}  ${f(s.ratioBound, 3)}  ${f(s.fromMedian.ratio, 3).padStart(6)}  ${f(s.fromOurs.ratio, 3).padStart(6)}  ${f(s.blocks.ratio, 3).padStart(6)}  ${top(s.fromMedian.features)}`,
    ),
    '(* left out of the geomean, as in the summary: fewer scored runs)',
    '',
    "geomean of MAE / better naive over the summary's stages:",
    line('  all', g),
    line('  TravisTorrent', g.travistorrent),
    line('  LRTS', g.lrts),
  ];
  return `${lines.join('\n')}\n`;
}
