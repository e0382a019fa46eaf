/**
 * Stage profile predictor: per (pipeline, stage or component), the quantiles of the work a run
 * will need, in agent-seconds on the reference agent, from what is known when the run starts.
 *
 * Several experts each give a point (in log space: run times are multiplicative, heavy-tailed):
 *   - level:  median of the last `levelWindow` runs;  long: median of the last `longWindow`;
 *     last: the last run;
 *   - same change: the last run of the same branch / pull request (a rebuild of one change
 *     usually costs what it cost last time), else the level;
 *   - lane:   median of the last `levelWindow` runs of the run's lane (trigger and target
 *     branch: a release branch can run an older, smaller suite than main), else the level;
 *   - model:  level + β · standardised features, a median (L1) ridge regression on the change
 *     score, log job count, hour of day (sin/cos), weekend, log builds of the stage in the past
 *     24 h, the last runs' deviation from the level, and the same-change and lane experts'
 *     deviations from it (so the fit learns how far to trust them on this stage);
 *   - ewma:   an exponentially weighted mean of log work (weight `ewmaAlpha` on the newest run),
 *     which follows a level shift faster than a median and is steadier than the last run;
 *   - blend:  the geometric mean of the other experts but the last run, weighted by the inverse
 *     square of their discounted error (a combination of forecasts is usually better than the
 *     best single one, and it degrades to the best one when that one is far ahead).
 * The point (the median) is the expert with the lowest discounted absolute error so far (discount
 * 1 − `learningRate` per run: the learning rate weighs new runs against old), and the interval
 * is that point times the quantiles of the stage's recent out-of-sample residual ratios
 * (split-conformal), which keeps coverage near nominal as the stage changes.
 * β is refitted on a window every `refitEvery` runs; between refits it stays put (a per-run
 * sign-gradient nudge made the regression worse than the level: it random-walks on noise).
 * Drift: a two-sided Page–Hinkley test on the residuals; when it fires the experts' scores and
 * the residual window restart and the model is refitted at once.
 *
 * Pure: no clock, no I/O. The state is plain JSON with bounded windows (under 60 KB on the CI
 * datasets, most of it the change keys and the refit window).
 */

/**
 * What is known of a run when it starts. The bench fills every field from the CI datasets; the
 * deployed broker fills what its inputs carry (shared/builds/run-context.ts), the rest is absent.
 */
export interface StageRunInput {
  /** Start time, epoch ms (time of day and weekday are read in UTC). */
  startMs: number;
  /** Change score of the built change (shared/builds/change.ts); absent when unknown. */
  changeScore?: number;
  /** Parallel jobs/shards the run is split into (build matrix), when known at start. */
  jobs?: number;
  /** What is being built: a branch or pull request; reruns of one change share it. */
  changeKey?: string;
  /**
   * The line of work the run belongs to, known when it starts: the trigger and the branch it
   * builds on, e.g. `pr:main` for a pull request into main or `push:release-2.x` for a push.
   * Lines of one stage can differ in level for good (a release branch runs an older, smaller
   * test suite), so each gets its own median; absent when unknown.
   */
  lane?: string;
}

export const EXPERTS = ['level', 'long', 'last', 'sameChange', 'lane', 'model', 'ewma', 'blend'] as const;
/**
 * The experts the blend combines: all but itself and the last run (one run is the noisiest point;
 * as a factor of a geometric mean it moves the blend on every run, which measured a little worse
 * on both CI datasets).
 */
const BLENDED = EXPERTS.filter((e) => e !== 'blend' && e !== 'last');
export type Expert = (typeof EXPERTS)[number];

export interface PredictorParams {
  /** Runs in the robust level (median). */
  levelWindow: number;
  /** Runs in the long level. */
  longWindow: number;
  /** Branches / pull requests remembered for the same-change expert. */
  changeKeys: number;
  /** Lanes remembered (least recently seen dropped), each with its last `levelWindow` runs. */
  lanes: number;
  /** Runs a lane needs before its own median stands in for the stage's. */
  minLaneRuns: number;
  /** Samples kept for refits. */
  fitWindow: number;
  /** Out-of-sample residuals kept for the interval. */
  residualWindow: number;
  refitEvery: number;
  /** Weight of the newest run in the experts' discounted errors (discount 1 − this per run). */
  learningRate: number;
  /** L2 penalty of the refit, relative to the number of samples. */
  ridge: number;
  /** Runs before the regression is used (the level and history quantiles serve until then). */
  minRunsForModel: number;
  /** Page–Hinkley tolerance and threshold (log units). */
  driftDelta: number;
  driftThreshold: number;
  /** Weight of the newest run in the exponentially weighted level. */
  ewmaAlpha: number;
}

export const DEFAULT_PARAMS: PredictorParams = {
  levelWindow: 20,
  longWindow: 60,
  changeKeys: 200,
  lanes: 6,
  minLaneRuns: 5,
  fitWindow: 200,
  residualWindow: 150,
  refitEvery: 25,
  learningRate: 0.02,
  ridge: 0.05,
  minRunsForModel: 30,
  driftDelta: 0.05,
  driftThreshold: 25,
  ewmaAlpha: 0.2,
};

export const FEATURE_NAMES = [
  'changeScore',
  'logJobs',
  'hourSin',
  'hourCos',
  'weekend',
  'logBuilds24h',
  'lastDeviation',
  'last3Deviation',
  'sameChangeDeviation',
  'sameChangeSeen',
  'laneDeviation',
] as const;
const NF = FEATURE_NAMES.length;

export interface ProfileState {
  version: 1;
  runs: number;
  /** log(work) of the newest runs, oldest first (long window). */
  recent: number[];
  /** Last log(work) per change key, least recently seen first. */
  byChange: [string, number][];
  /** Discounted absolute error (seconds) of each expert. */
  score: Record<Expert, number>;
  /** Start times (ms) of the newest runs, for the 24 h frequency. */
  starts: number[];
  /** Refit window: raw features and the target relative to the level at the time. */
  fit: { x: number[]; y: number }[];
  mu: number[];
  sd: number[];
  beta: number[];
  intercept: number;
  /** Out-of-sample residuals (log), oldest first. */
  residuals: number[];
  sinceRefit: number;
  refits: number;
  drifts: number;
  ph: { mean: number; n: number; up: number; down: number };
  /** Median of the features' change score seen, to stand in when a run's is unknown. */
  lastChangeScore: number;
  /** Last log works per lane, least recently seen first; absent in states stored before lanes. */
  lanes?: [string, number[]][];
  /** Exponentially weighted mean of log work; absent in states stored before it existed. */
  ewma?: number;
}

export interface ProfileQuantiles {
  q10: number;
  q50: number;
  q80: number;
  q90: number;
}

export interface StagePrediction {
  /** Work in agent-seconds on the reference agent. */
  agentSeconds: ProfileQuantiles;
  /** The expert whose point was used; 'history' before the stage has enough runs. */
  basis: Expert | 'history';
  runs: number;
}

export function newProfileState(): ProfileState {
  return {
    version: 1,
    runs: 0,
    recent: [],
    byChange: [],
    score: { level: 0, long: 0, last: 0, sameChange: 0, lane: 0, model: 0, ewma: 0, blend: 0 },
    starts: [],
    fit: [],
    mu: new Array(NF).fill(0),
    sd: new Array(NF).fill(1),
    beta: new Array(NF).fill(0),
    intercept: 0,
    residuals: [],
    sinceRefit: 0,
    refits: 0,
    drifts: 0,
    ph: { mean: 0, n: 0, up: 0, down: 0 },
    lastChangeScore: 0,
  };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** Median log work of the last `window` runs (default: the level window). */
function level(state: ProfileState, window: number = DEFAULT_PARAMS.levelWindow): number {
  return median(state.recent.slice(-window));
}

/** Each expert's point (log agent-seconds) for a run, given the stage's state before it. */
export function expertPoints(
  state: ProfileState,
  run: StageRunInput,
  params: PredictorParams,
): Record<Expert, number> {
  const lvl = level(state, params.levelWindow);
  const same = sameChangeOf(state, run);
  const base = {
    level: lvl,
    long: level(state, params.longWindow),
    last: state.recent.at(-1) ?? lvl,
    sameChange: same ?? lvl,
    lane: laneLevel(state, run, params) ?? lvl,
    model: state.runs >= params.minRunsForModel ? lvl + linear(state, features(state, run, params)) : lvl,
    ewma: state.ewma ?? lvl,
  };
  let wSum = 0;
  let ySum = 0;
  for (const e of BLENDED) {
    const err = scoreOf(state, e);
    // Before any error is known every expert weighs the same.
    const w = 1 / Math.max(err, 1e-6) ** 2;
    wSum += w;
    ySum += w * base[e as Exclude<Expert, 'blend'>];
  }
  return { ...base, blend: wSum > 0 ? ySum / wSum : lvl };
}

/** Log work of the last run of the same branch / pull request, if one is remembered. */
function sameChangeOf(state: ProfileState, run: StageRunInput): number | undefined {
  return run.changeKey === undefined ? undefined : state.byChange.find(([k]) => k === run.changeKey)?.[1];
}

/** Median log work of the run's lane, once the lane has `minLaneRuns` runs. */
function laneLevel(state: ProfileState, run: StageRunInput, params: PredictorParams): number | undefined {
  if (run.lane === undefined) return undefined;
  const runs = state.lanes?.find(([k]) => k === run.lane)?.[1];
  return runs && runs.length >= params.minLaneRuns ? median(runs) : undefined;
}

/**
 * An expert's discounted error. An expert a stored state predates starts with the level's score,
 * so it is not picked before it has been measured (the level wins ties).
 */
function scoreOf(state: ProfileState, e: Expert): number {
  return state.score[e] ?? state.score.level;
}

function bestExpert(state: ProfileState): Expert {
  let best: Expert = 'level';
  for (const e of EXPERTS) if (scoreOf(state, e) < scoreOf(state, best)) best = e;
  return best;
}

/** The raw feature vector of a run given the stage's state before it. */
export function features(
  state: ProfileState,
  run: StageRunInput,
  params: PredictorParams = DEFAULT_PARAMS,
): number[] {
  const lvl = level(state, params.levelWindow);
  const hour = (((run.startMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const weekday = new Date(run.startMs).getUTCDay();
  let builds24h = 0;
  for (const t of state.starts) if (t > run.startMs - DAY_MS && t <= run.startMs) builds24h++;
  const last = state.recent.at(-1);
  const last3 = state.recent.slice(-3);
  const mean3 = last3.length > 0 ? last3.reduce((a, b) => a + b, 0) / last3.length : lvl;
  const same = sameChangeOf(state, run);
  return [
    run.changeScore ?? state.lastChangeScore,
    Math.log(Math.max(1, run.jobs ?? 1)),
    Math.sin((2 * Math.PI * hour) / 24),
    Math.cos((2 * Math.PI * hour) / 24),
    weekday === 0 || weekday === 6 ? 1 : 0,
    Math.log1p(builds24h),
    last === undefined ? 0 : last - lvl,
    mean3 - lvl,
    same === undefined ? 0 : same - lvl,
    same === undefined ? 0 : 1,
    (laneLevel(state, run, params) ?? lvl) - lvl,
  ];
}

/** Standardised feature i, clipped so one unusual run cannot dominate the prediction. */
function zOf(state: ProfileState, x: readonly number[], i: number): number {
  const z = ((x[i] as number) - (state.mu[i] as number)) / (state.sd[i] as number);
  return Math.max(-4, Math.min(4, z));
}

function linear(state: ProfileState, x: readonly number[]): number {
  let y = state.intercept;
  // A state stored with fewer features uses those until its next refit.
  const n = Math.min(NF, state.beta.length);
  for (let i = 0; i < n; i++) y += (state.beta[i] as number) * zOf(state, x, i);
  return y;
}

/** Quantiles of the next run's work, or undefined before the stage has any history. */
export function predictStage(
  state: ProfileState,
  run: StageRunInput,
  params: PredictorParams = DEFAULT_PARAMS,
): StagePrediction | undefined {
  if (state.runs === 0 || state.recent.length === 0) return undefined;
  if (state.residuals.length < 20) {
    // Too few runs for a model: the spread of the history itself, widened by the job count.
    const sorted = state.recent.slice(-params.levelWindow).sort((a, b) => a - b);
    const at = (q: number) => Math.exp(quantile(sorted, q));
    return {
      agentSeconds: { q10: at(0.1), q50: at(0.5), q80: at(0.8), q90: at(0.9) },
      basis: 'history',
      runs: state.runs,
    };
  }
  const expert = bestExpert(state);
  const center = expertPoints(state, run, params)[expert];
  const res = [...state.residuals].sort((a, b) => a - b);
  const at = (q: number) => Math.exp(center + quantile(res, q));
  // The median is the expert's point as it stands (re-centring it on the residuals' median
  // measured worse); kept inside the interval, so the quantiles stay ordered when the recent
  // residuals lean to one side.
  const q10 = at(0.1);
  const q90 = at(0.9);
  const q50 = Math.min(q90, Math.max(q10, Math.exp(center)));
  return {
    agentSeconds: { q10, q50, q80: Math.max(q50, at(0.8)), q90 },
    basis: expert,
    runs: state.runs,
  };
}

/**
 * Absorb one finished run (its measured work in agent-seconds) into a copy of the state: the
 * out-of-sample residual, the sign-gradient step, the windows, drift, and a refit when due.
 */
export function updateStage(
  prev: ProfileState,
  run: StageRunInput,
  agentSeconds: number,
  params: PredictorParams = DEFAULT_PARAMS,
): ProfileState {
  if (!(agentSeconds > 0) || !Number.isFinite(agentSeconds)) return prev;
  const state: ProfileState = structuredClone(prev);
  absorbRun(state, run, agentSeconds, params);
  return state;
}

/**
 * `updateStage` in place, for callers that own the state (the replay updates thousands of stages
 * per second and would otherwise copy every window on every run).
 */
export function absorbRun(
  state: ProfileState,
  run: StageRunInput,
  agentSeconds: number,
  params: PredictorParams = DEFAULT_PARAMS,
): void {
  if (!(agentSeconds > 0) || !Number.isFinite(agentSeconds)) return;
  const y = Math.log(agentSeconds);
  if (state.recent.length > 0) {
    const lvl = level(state, params.levelWindow);
    const x = features(state, run, params);
    const target = y - lvl;
    const points = expertPoints(state, run, params);
    const residual = y - points[bestExpert(state)];
    const keep = 1 - params.learningRate;
    for (const e of EXPERTS)
      state.score[e] = keep * scoreOf(state, e) + Math.abs(Math.exp(points[e]) - agentSeconds);
    state.residuals.push(residual);
    if (state.residuals.length > params.residualWindow) state.residuals.shift();
    if (state.fit.some((r) => r.x.length !== NF)) state.fit = state.fit.filter((r) => r.x.length === NF);
    state.fit.push({ x, y: target });
    if (state.fit.length > params.fitWindow) state.fit.shift();
    if (pageHinkley(state, residual, params)) {
      state.drifts++;
      for (const e of EXPERTS) state.score[e] = 0;
      state.residuals = state.residuals.slice(-Math.ceil(params.residualWindow / 3));
      state.sinceRefit = params.refitEvery;
    }
  }
  if (run.changeScore !== undefined) state.lastChangeScore = run.changeScore;
  state.ewma = state.ewma === undefined ? y : state.ewma + params.ewmaAlpha * (y - state.ewma);
  state.recent.push(y);
  if (state.recent.length > Math.max(params.levelWindow, params.longWindow)) state.recent.shift();
  if (run.changeKey !== undefined) {
    const at = state.byChange.findIndex(([k]) => k === run.changeKey);
    if (at >= 0) state.byChange.splice(at, 1);
    state.byChange.push([run.changeKey, y]);
    if (state.byChange.length > params.changeKeys) state.byChange.shift();
  }
  if (run.lane !== undefined) {
    state.lanes ??= [];
    const lanes = state.lanes;
    const at = lanes.findIndex(([k]) => k === run.lane);
    const runs = at >= 0 ? (lanes.splice(at, 1)[0] as [string, number[]])[1] : [];
    runs.push(y);
    if (runs.length > params.levelWindow) runs.shift();
    lanes.push([run.lane, runs]);
    if (lanes.length > params.lanes) lanes.shift();
  }
  state.starts.push(run.startMs);
  while (state.starts.length > 0 && (state.starts[0] as number) <= run.startMs - DAY_MS) state.starts.shift();
  if (state.starts.length > 200) state.starts.shift();
  state.runs++;
  state.sinceRefit++;
  if (state.sinceRefit >= params.refitEvery && state.fit.length >= 20) refit(state, params);
}

/** Two-sided Page–Hinkley on the residuals; true when a shift of the mean is detected. */
function pageHinkley(state: ProfileState, r: number, params: PredictorParams): boolean {
  const ph = state.ph;
  ph.n++;
  ph.mean += (r - ph.mean) / ph.n;
  ph.up = Math.max(0, ph.up + r - ph.mean - params.driftDelta);
  ph.down = Math.max(0, ph.down - (r - ph.mean) - params.driftDelta);
  if (ph.up > params.driftThreshold || ph.down > params.driftThreshold) {
    state.ph = { mean: 0, n: 0, up: 0, down: 0 };
    return true;
  }
  return false;
}

/** Median (L1) ridge regression by iteratively reweighted least squares on the fit window. */
export function refit(state: ProfileState, params: PredictorParams = DEFAULT_PARAMS): void {
  const rows = state.fit;
  const n = rows.length;
  const mu = new Array<number>(NF).fill(0);
  const sd = new Array<number>(NF).fill(0);
  for (const r of rows) for (let i = 0; i < NF; i++) mu[i] = (mu[i] as number) + (r.x[i] as number) / n;
  for (const r of rows)
    for (let i = 0; i < NF; i++)
      sd[i] = (sd[i] as number) + ((r.x[i] as number) - (mu[i] as number)) ** 2 / n;
  // A constant feature (no job counts, one hour) must not blow up its standardised value.
  for (let i = 0; i < NF; i++) {
    const v = Math.sqrt(sd[i] as number);
    sd[i] = v > 1e-6 ? v : 1;
  }
  const z = rows.map((r) =>
    r.x.map((v, i) => Math.max(-4, Math.min(4, (v - (mu[i] as number)) / (sd[i] as number)))),
  );
  const ys = rows.map((r) => r.y);
  let w = new Array<number>(n).fill(1);
  let coef = new Array<number>(NF + 1).fill(0);
  for (let iter = 0; iter < 6; iter++) {
    coef = weightedRidge(z, ys, w, params.ridge * n);
    w = ys.map((y, k) => {
      const r = y - predictRow(coef, z[k] as number[]);
      return 1 / Math.max(Math.abs(r), 0.05);
    });
  }
  state.mu = mu;
  state.sd = sd;
  state.intercept = coef[0] as number;
  state.beta = coef.slice(1);
  state.sinceRefit = 0;
  state.refits++;
}

function predictRow(coef: readonly number[], z: readonly number[]): number {
  let y = coef[0] as number;
  for (let i = 0; i < z.length; i++) y += (coef[i + 1] as number) * (z[i] as number);
  return y;
}

/** Solve (XᵀWX + λI')β = XᵀWy with an unpenalised intercept (Gaussian elimination, p ≤ 9). */
function weightedRidge(
  z: readonly number[][],
  y: readonly number[],
  w: readonly number[],
  lambda: number,
): number[] {
  const p = NF + 1;
  const a: number[][] = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  for (let k = 0; k < z.length; k++) {
    const row = [1, ...(z[k] as number[])];
    const wk = w[k] as number;
    for (let i = 0; i < p; i++) {
      const ai = a[i] as number[];
      const ri = (row[i] as number) * wk;
      for (let j = 0; j < p; j++) ai[j] = (ai[j] as number) + ri * (row[j] as number);
      ai[p] = (ai[p] as number) + ri * (y[k] as number);
    }
  }
  // Scale the penalty to the weights' size so IRLS does not change its meaning.
  const wMean = w.reduce((s, v) => s + v, 0) / Math.max(1, w.length);
  for (let i = 1; i < p; i++) (a[i] as number[])[i] = ((a[i] as number[])[i] as number) + lambda * wMean;
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++)
      if (Math.abs((a[r] as number[])[c] as number) > Math.abs((a[pivot] as number[])[c] as number))
        pivot = r;
    [a[c], a[pivot]] = [a[pivot] as number[], a[c] as number[]];
    const ac = a[c] as number[];
    const d = ac[c] as number;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const ar = a[r] as number[];
      const f = (ar[c] as number) / d;
      if (f === 0) continue;
      for (let j = c; j <= p; j++) ar[j] = (ar[j] as number) - f * (ac[j] as number);
    }
  }
  return a.map((row, i) => {
    const d = row[i] as number;
    return Math.abs(d) < 1e-12 ? 0 : (row[p] as number) / d;
  });
}
