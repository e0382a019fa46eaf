/**
 * Short-horizon nowcaster: the next 30 minutes, learned online on top of the engine's forecast.
 *
 * One small linear model per horizon step (direct multi-horizon; at most NOWCAST_MODELS of them,
 * spread over the 30 minutes, in between interpolated). Each predicts the change from the last
 * value, in units of the series' recent step size, from:
 *   1, engine forecast at t+h, previous value, fast and slow smoothed levels (all relative to the
 *   last value), and the change of the seasonal profile from t to t+h.
 * Fitted by recursive least squares with exponential forgetting (O(d^2) per step), starting from
 * the engine's own forecast as prior, so a young nowcaster forecasts what the engine does.
 * Its output is blended with the engine's by their recent errors at that horizon, and intervals
 * come from online quantile tracking of the blended forecast's residuals (conformal P-control:
 * each level moves up when missed, down when hit, so long-run coverage holds under drift).
 *
 * Pure, allocation-light, and its state is plain JSON of bounded size (see `nowcastSizeBound`).
 */
import { quantileSorted, tailFactor } from './calibrate';

/** The nowcaster covers this far ahead; beyond it, the engine's seasonal forecast. */
export const NOWCAST_MS = 30 * 60_000;
/** At most this many horizon models (every step at 5-minute intervals; spread out at finer ones). */
export const NOWCAST_MODELS = 6;
/** Features: 1, engine gap, previous value, fast level, slow level, profile change. */
export const NOWCAST_FEATURES = 6;
/** Quantile levels tracked; others are interpolated. */
export const NOWCAST_LEVELS = [0.025, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.975] as const;
/** Memory of the regression and of the error averages: half-life of one day. */
const HALF_LIFE_MS = 86_400_000;
/** Half-life of the slow level; the fast level has a one-step half-life. */
const SLOW_LEVEL_MS = 30 * 60_000;
/** Half-life of the step-size scale. */
const SCALE_MS = 6 * 3_600_000;
/** Prior variance of each coefficient (ridge strength 1 / P0 in scaled units). */
const P0 = 1;
/** Scaled features and targets are clipped here: a spike or a reset must not steer the fit. */
const CLIP = 25;
/** Learning rate of the quantile trackers, as a fraction of the recent absolute residual. */
const QUANTILE_RATE = 0.1;
/** Updates before the nowcaster's output is used at all (below: the engine alone). */
const MIN_UPDATES = 24;
/** Residuals whose empirical quantiles start the trackers. */
const START_SCORES = 96;

export interface NowcastModel {
  /** Horizon step (1-based) this model forecasts. */
  h: number;
  /** Coefficients (NOWCAST_FEATURES). */
  w: number[];
  /** Upper triangle of the inverse information matrix, row-major. */
  P: number[];
  /** Quantiles of the blended forecast's scaled residual, one per NOWCAST_LEVELS. */
  q: number[];
  /** Smoothed absolute scaled errors: regression, engine, blended. */
  eN: number;
  eE: number;
  eB: number;
  /** Updates absorbed. */
  n: number;
  /**
   * The first residuals, until there are START_SCORES: their empirical quantiles start the
   * trackers (a tracker started far off needs hundreds of steps to come back, most of all at
   * the outer levels, which move by level x rate per hit).
   */
  first?: number[];
}

/** One forecast origin still waiting for its actuals. */
export interface NowcastOrigin {
  /** Last value and scale at the origin. */
  y: number;
  s: number;
  /** Features per model (flattened, models x NOWCAST_FEATURES). */
  x: number[];
  /** Regression output and blended output per model (scaled, relative to y). */
  r: number[];
  b: number[];
}

export interface NowcastState {
  /** Steps the nowcaster covers (>= every model's h). */
  steps: number;
  models: NowcastModel[];
  /** Newest last; at most `steps` long; null where there was no value to forecast from. */
  pending: (NowcastOrigin | null)[];
  /** Last finite value, previous value, fast and slow levels, step-size scale (NaN = unknown). */
  last: number | null;
  prev: number | null;
  fast: number | null;
  slow: number | null;
  scale: number;
}

/** What the engine provides at each step: its mean path and the seasonal profile change. */
export interface NowcastContext {
  /** Engine mean forecast for steps 1..steps after the current point. */
  engine: ArrayLike<number>;
  /** Seasonal profile at steps 0..steps after the current point (0 = the current point). */
  season: ArrayLike<number> | null;
}

function decay(intervalMs: number, halfLifeMs: number): number {
  return 0.5 ** (intervalMs / Math.max(intervalMs, halfLifeMs));
}

export function nowcastSteps(intervalMs: number): number {
  return Math.max(1, Math.min(30, Math.round(NOWCAST_MS / intervalMs)));
}

/** Horizon steps of the models: every step when few, else spread evenly, always ending at `steps`. */
export function modelHorizons(steps: number): number[] {
  const k = Math.min(steps, NOWCAST_MODELS);
  const out: number[] = [];
  for (let i = 1; i <= k; i++) out.push(Math.round((steps * i) / k));
  return [...new Set(out)];
}

const TRI = (NOWCAST_FEATURES * (NOWCAST_FEATURES + 1)) / 2;
/** P x of the update in progress (single-threaded, never kept across calls). */
const SCRATCH = new Float64Array(NOWCAST_FEATURES);

function triIndex(i: number, j: number): number {
  const [a, b] = i <= j ? [i, j] : [j, i];
  return a * NOWCAST_FEATURES - (a * (a - 1)) / 2 + (b - a);
}

/** Normal quantile for the initial trackers (a rough start; the trackers correct it). */
function roughZ(level: number): number {
  const table: Record<string, number> = {
    '0.025': -1.96,
    '0.05': -1.645,
    '0.1': -1.2816,
    '0.2': -0.8416,
    '0.5': 0,
    '0.8': 0.8416,
    '0.9': 1.2816,
    '0.95': 1.645,
    '0.975': 1.96,
  };
  return table[String(level)] ?? 0;
}

export function newNowcast(intervalMs: number, scale: number): NowcastState {
  const steps = nowcastSteps(intervalMs);
  const models = modelHorizons(steps).map((h): NowcastModel => {
    const P = new Array<number>(TRI).fill(0);
    for (let i = 0; i < NOWCAST_FEATURES; i++) P[triIndex(i, i)] = P0;
    // Prior: the engine's forecast (coefficient 1 on its gap), nothing else.
    const w = new Array<number>(NOWCAST_FEATURES).fill(0);
    w[1] = 1;
    // A random walk's spread as the starting guess: sqrt(h) steps of mean absolute size 1.
    const spread = 1.25 * Math.sqrt(h);
    return {
      h,
      w,
      P,
      q: NOWCAST_LEVELS.map((l) => roughZ(l) * spread),
      eN: spread,
      eE: spread,
      eB: spread,
      n: 0,
    };
  });
  return {
    steps,
    models,
    pending: [],
    last: null,
    prev: null,
    fast: null,
    slow: null,
    scale: scale > 0 && Number.isFinite(scale) ? scale : 1,
  };
}

function clip(x: number): number {
  return x > CLIP ? CLIP : x < -CLIP ? -CLIP : Number.isFinite(x) ? x : 0;
}

function dot(w: readonly number[], x: ArrayLike<number>, off: number): number {
  let s = 0;
  for (let i = 0; i < NOWCAST_FEATURES; i++) s += (w[i] as number) * (x[off + i] as number);
  return s;
}

/**
 * One recursive-least-squares step with forgetting factor lambda on (x, target); returns the
 * prior error. Forgetting inflates the inverse information in every direction, also those the
 * data never excite (no seasonal profile, a flat series): when that would take its trace past
 * the prior's, the step forgets nothing, so P stays bounded (no wind-up).
 */
export function rlsUpdate(
  w: number[],
  P: number[],
  x: ArrayLike<number>,
  off: number,
  target: number,
  lambda: number,
): number {
  const d = NOWCAST_FEATURES;
  let trace = 0;
  for (let i = 0; i < d; i++) trace += P[triIndex(i, i)] as number;
  const lam = trace <= d * P0 * lambda ? lambda : 1;
  const Px = SCRATCH;
  let den = lam;
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (P[triIndex(i, j)] as number) * (x[off + j] as number);
    Px[i] = s;
    den += (x[off + i] as number) * s;
  }
  const err = target - dot(w, x, off);
  for (let i = 0; i < d; i++) {
    w[i] = (w[i] as number) + ((Px[i] as number) / den) * err;
    for (let j = i; j < d; j++) {
      const k = triIndex(i, j);
      P[k] = ((P[k] as number) - ((Px[i] as number) * (Px[j] as number)) / den) / lam;
    }
  }
  return err;
}

/** Quantile tracking step for one level: up by rate * level when missed above, down otherwise. */
export function trackQuantile(q: number, level: number, score: number, rate: number): number {
  return q + rate * ((score > q ? 1 : 0) - (1 - level));
}

/** Features at the current point for horizon h (into x at off). */
function features(
  s: NowcastState,
  ctx: NowcastContext,
  h: number,
  y: number,
  scale: number,
  x: number[],
  off: number,
): void {
  const e = ctx.engine[h - 1] as number;
  const season = ctx.season;
  x[off] = 1;
  x[off + 1] = clip((e - y) / scale);
  x[off + 2] = clip(((s.prev ?? y) - y) / scale);
  x[off + 3] = clip(((s.fast ?? y) - y) / scale);
  x[off + 4] = clip(((s.slow ?? y) - y) / scale);
  x[off + 5] = season ? clip(((season[h] as number) - (season[0] as number)) / scale) : 0;
}

/** Weight of the regression in the blend: inverse error, nothing until it has learned a little. */
function blendWeight(m: NowcastModel): number {
  if (m.n < MIN_UPDATES) return 0;
  const a = 1 / Math.max(1e-9, m.eN);
  const b = 1 / Math.max(1e-9, m.eE);
  return a / (a + b);
}

/**
 * Absorb observation y (NaN = gap) at the current point and open a new origin with `ctx` (the
 * engine's forecast from this point). Mutates s. O(models x features^2).
 */
export function nowcastStep(s: NowcastState, y: number, ctx: NowcastContext, intervalMs: number): void {
  const lambda = decay(intervalMs, HALF_LIFE_MS);
  const finite = Number.isFinite(y);
  if (finite) learn(s, y, lambda);
  if (finite) {
    if (s.last !== null) {
      const sd = decay(intervalMs, SCALE_MS);
      const d = Math.abs(y - s.last);
      s.scale = Math.max(sd * s.scale + (1 - sd) * d, 1e-9, 1e-6 * Math.abs(y));
    }
    s.prev = s.last;
    s.last = y;
    const fd = decay(intervalMs, intervalMs);
    const sdl = decay(intervalMs, SLOW_LEVEL_MS);
    s.fast = s.fast === null ? y : fd * s.fast + (1 - fd) * y;
    s.slow = s.slow === null ? y : sdl * s.slow + (1 - sdl) * y;
  }
  s.pending.push(s.last === null ? null : openOrigin(s, ctx, s.last));
  while (s.pending.length > s.steps) s.pending.shift();
}

function openOrigin(s: NowcastState, ctx: NowcastContext, y: number): NowcastOrigin {
  const d = NOWCAST_FEATURES;
  const x = new Array<number>(s.models.length * d);
  const r = new Array<number>(s.models.length);
  const b = new Array<number>(s.models.length);
  s.models.forEach((m, k) => {
    features(s, ctx, m.h, y, s.scale, x, k * d);
    const reg = clip(dot(m.w, x, k * d));
    const eng = x[k * d + 1] as number;
    const w = blendWeight(m);
    r[k] = reg;
    b[k] = w * reg + (1 - w) * eng;
  });
  return { y, s: s.scale, x, r, b };
}

/** Train each model on the origin its horizon ago, and move its quantile trackers. */
function learn(s: NowcastState, y: number, lambda: number): void {
  const len = s.pending.length;
  const d = NOWCAST_FEATURES;
  s.models.forEach((m, k) => {
    const o = s.pending[len - m.h];
    if (len < m.h || !o) return;
    // A running mean at first, then the same memory as the regression.
    const errDecay = 1 - 1 / Math.min(m.n + 1, 1 / (1 - lambda));
    const target = clip((y - o.y) / o.s);
    const eng = o.x[k * d + 1] as number;
    const reg = o.r[k] as number;
    const blended = o.b[k] as number;
    const score = target - blended;
    m.eN = errDecay * m.eN + (1 - errDecay) * Math.abs(target - reg);
    m.eE = errDecay * m.eE + (1 - errDecay) * Math.abs(target - eng);
    m.eB = errDecay * m.eB + (1 - errDecay) * Math.abs(score);
    const rate = QUANTILE_RATE * Math.max(m.eB, 1e-3);
    if (m.first !== undefined || m.n === 0) {
      const first = m.first ?? [];
      first.push(score);
      m.first = first;
      if (first.length >= START_SCORES) {
        const sorted = Float64Array.from(first).sort();
        const med = quantileSorted(sorted, 0.5);
        // A few dozen residuals understate the far tails: widen them as the fit's calibration does.
        NOWCAST_LEVELS.forEach((level, i) => {
          m.q[i] = med + (quantileSorted(sorted, level) - med) * tailFactor(level);
        });
        delete m.first;
      }
    } else
      NOWCAST_LEVELS.forEach((level, i) => {
        m.q[i] = trackQuantile(m.q[i] as number, level, score, rate);
      });
    // Huber-like: an error far beyond the usual size teaches as much as one at the bound.
    const bound = 4 * Math.max(m.eN, 0.25);
    const err = target - dot(m.w, o.x, k * d);
    const t = Math.abs(err) > bound ? target - err + Math.sign(err) * bound : target;
    rlsUpdate(m.w, m.P, o.x, k * d, t, lambda);
    m.n++;
  });
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * x to 7 significant digits, by arithmetic (toPrecision costs ~20x more, and this runs on a few
 * hundred numbers at every update). Powers of ten up to 1e22 are exact doubles, so the result is
 * the double nearest the rounded decimal and prints as it; rounding again changes nothing.
 */
export function round7(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const k = 6 - Math.floor(Math.log10(Math.abs(x)));
  if (k >= 0 && k <= 22) return Math.round(x * (POW10[k] as number)) / (POW10[k] as number);
  if (k < 0 && k >= -22) return Math.round(x / (POW10[-k] as number)) * (POW10[-k] as number);
  return Number(x.toPrecision(7));
}

/** Round every number to 7 significant digits: the stored JSON stays small. Mutates s. */
export function compactNowcast(s: NowcastState): void {
  const r = (xs: number[]): void => {
    for (let i = 0; i < xs.length; i++) xs[i] = round7(xs[i] as number);
  };
  for (const m of s.models) {
    r(m.w);
    r(m.P);
    r(m.q);
    if (m.first) r(m.first);
    m.eN = round7(m.eN);
    m.eE = round7(m.eE);
    m.eB = round7(m.eB);
  }
  for (const o of s.pending) {
    if (!o) continue;
    r(o.x);
    r(o.r);
    r(o.b);
    o.y = round7(o.y);
    o.s = round7(o.s);
  }
  for (const k of ['last', 'prev', 'fast', 'slow'] as const) {
    const v = s[k];
    if (v !== null) s[k] = round7(v);
  }
  s.scale = round7(s.scale);
}

/** Value of the tracked residual quantile at `level` (linear between tracked levels, clamped). */
function levelOffset(m: NowcastModel, level: number): number {
  const L = NOWCAST_LEVELS;
  const sorted = m.q.slice().sort((a, b) => a - b);
  if (level <= L[0]) return sorted[0] as number;
  if (level >= (L[L.length - 1] as number)) return sorted[L.length - 1] as number;
  let i = 0;
  while ((L[i + 1] as number) < level) i++;
  const a = L[i] as number;
  const b = L[i + 1] as number;
  const u = (level - a) / (b - a);
  return (sorted[i] as number) + ((sorted[i + 1] as number) - (sorted[i] as number)) * u;
}

/**
 * The nowcast from the newest origin: for each requested level, values for steps 1..steps, or
 * null when there is no origin yet or the nowcaster has learned too little to be used.
 */
export function nowcastPaths(s: NowcastState, levels: readonly number[]): number[][] | null {
  const o = s.pending[s.pending.length - 1];
  if (!o || s.models.every((m) => m.n < MIN_UPDATES)) return null;
  const hs = s.models.map((m) => m.h);
  return levels.map((level) => {
    const at = s.models.map((m, k) => (o.b[k] as number) + levelOffset(m, level));
    const out = new Array<number>(s.steps);
    for (let h = 1; h <= s.steps; h++) {
      let v: number;
      const k = hs.findIndex((x) => x >= h);
      const hk = hs[k] as number;
      if (hk === h) v = at[k] as number;
      else if (k === 0) {
        // Before the first model: its centre scaled down linearly, its spread like sqrt(time).
        const c = (o.b[0] as number) + levelOffset(s.models[0] as NowcastModel, 0.5);
        const dev = (at[0] as number) - c;
        v = (c * h) / hk + dev * Math.sqrt(h / hk);
      } else {
        const h0 = hs[k - 1] as number;
        const u = (h - h0) / (hk - h0);
        v = (at[k - 1] as number) + ((at[k] as number) - (at[k - 1] as number)) * u;
      }
      out[h - 1] = o.y + o.s * v;
    }
    return out;
  });
}

/** Upper bound of the JSON size of a nowcast state for an interval (bytes), for the tests and docs. */
export function nowcastSizeBound(intervalMs: number): number {
  const steps = nowcastSteps(intervalMs);
  const k = modelHorizons(steps).length;
  // 16 bytes per number (round7 keeps at most 7 significant digits plus sign, exponent, comma).
  const perModel = (NOWCAST_FEATURES + TRI + NOWCAST_LEVELS.length + START_SCORES + 4) * 16 + 70;
  const perOrigin = (k * (NOWCAST_FEATURES + 2) + 2) * 16 + 40;
  return 200 + k * perModel + steps * perOrigin;
}

/** A deep copy (the engine's update never mutates the state it was given). */
export function cloneNowcast(s: NowcastState): NowcastState {
  return {
    ...s,
    models: s.models.map((m) => ({
      ...m,
      w: m.w.slice(),
      P: m.P.slice(),
      q: m.q.slice(),
      ...(m.first ? { first: m.first.slice() } : {}),
    })),
    pending: s.pending.map((o) =>
      o ? { y: o.y, s: o.s, x: o.x.slice(), r: o.r.slice(), b: o.b.slice() } : null,
    ),
  };
}

/** Whether a stored value is a usable nowcast state for this interval (old states have none). */
export function isNowcast(v: unknown, intervalMs: number): v is NowcastState {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Partial<NowcastState>;
  const steps = nowcastSteps(intervalMs);
  return (
    s.steps === steps &&
    Array.isArray(s.models) &&
    s.models.length === modelHorizons(steps).length &&
    s.models.every(
      (m) =>
        Array.isArray(m.w) &&
        m.w.length === NOWCAST_FEATURES &&
        Array.isArray(m.P) &&
        m.P.length === TRI &&
        Array.isArray(m.q) &&
        m.q.length === NOWCAST_LEVELS.length,
    ) &&
    Array.isArray(s.pending) &&
    typeof s.scale === 'number'
  );
}
