import { mulberry32 } from '../shared/sim/random';
/**
 * Two small regression learners for `bench builds --bound`, written for it (analysis, not product
 * code): gradient-boosted regression trees with absolute-error loss (least-absolute-deviation
 * boosting: each tree is grown on the signs of the residuals by squared error, its leaves take
 * the median residual of their rows) on pre-binned features, and a k-nearest-neighbours median
 * on standardised features. Both predict a conditional median, the point that minimises MAE.
 */

/** Features cut into at most `maxBins` quantile bins; bin 0 holds missing values (NaN). */
export interface BinnedFeatures {
  rows: number;
  /** Per feature: the bin of each row (column-major). */
  bins: Uint8Array[];
  /** Per feature: the sorted cut values; bin b ≥ 1 holds values in (cuts[b − 2], cuts[b − 1]]. */
  cuts: Float64Array[];
}

export const MAX_BINS = 32;

/** Quantile cut points of one column (distinct values when there are few). */
function cutsOf(column: ArrayLike<number>, maxBins: number): Float64Array {
  const values: number[] = [];
  for (let i = 0; i < column.length; i++) {
    const v = column[i] as number;
    if (!Number.isNaN(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const distinct = [...new Set(values)];
  // One bin per distinct value when they fit (the last value needs no cut).
  if (distinct.length <= maxBins - 1) return Float64Array.from(distinct.slice(0, -1));
  const cuts = new Set<number>();
  for (let q = 1; q < maxBins - 1; q++) {
    const v = values[Math.floor((q * values.length) / (maxBins - 1))] as number;
    if (v < (values.at(-1) as number)) cuts.add(v);
  }
  return Float64Array.from([...cuts].sort((a, b) => a - b));
}

/** Bin index of `v`: 0 for NaN, else 1 + the number of cuts below it. */
function binOf(v: number, cuts: Float64Array): number {
  if (Number.isNaN(v)) return 0;
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cuts[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** Bins each column (column-major input: `columns[f][row]`). */
export function binFeatures(columns: readonly ArrayLike<number>[], maxBins = MAX_BINS): BinnedFeatures {
  const rows = columns[0]?.length ?? 0;
  const cuts = columns.map((c) => cutsOf(c, maxBins));
  const bins = columns.map((c, f) => {
    const out = new Uint8Array(rows);
    const cf = cuts[f] as Float64Array;
    for (let i = 0; i < rows; i++) out[i] = binOf(c[i] as number, cf);
    return out;
  });
  return { rows, bins, cuts };
}

export interface BoostOptions {
  /** Rounds at which predictions of the evaluation rows are kept (the largest is the number of trees). */
  checkpoints: readonly number[];
  depth: number;
  shrinkage: number;
  /** Fewest rows in a leaf. */
  minLeaf: number;
  /** Share of the training rows each tree is grown on (stochastic boosting). */
  subsample: number;
  seed: number;
}

export const BOOST_DEFAULTS: BoostOptions = {
  checkpoints: [0, 10, 25, 50, 100, 200, 300],
  depth: 3,
  shrinkage: 0.1,
  minLeaf: 10,
  subsample: 0.7,
  seed: 17,
};

/** A tree in flat arrays; node 0 is the root, `feature` −1 marks a leaf. */
interface Tree {
  feature: number[];
  /** Rows whose bin is ≤ this go left. */
  bin: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface BoostResult {
  /** The starting value (median of the training targets, or of their excess over `base`). */
  init: number;
  trees: Tree[];
  /** Per feature: number of splits and their summed gain (drop in the absolute error of the residuals). */
  splits: Int32Array;
  gain: Float64Array;
  /** Per checkpoint: predictions of the evaluation rows after that many rounds. */
  atCheckpoint: Float64Array[];
}

/** Median of `values` (mean of the middle two for an even count); 0 when empty. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const s = Float64Array.from(values);
  const upper = select(s, n >> 1);
  if (n % 2 === 1) return upper;
  // After the selection every value left of n/2 is ≤ it: the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) lower = Math.max(lower, s[i] as number);
  return (lower + upper) / 2;
}

/** The k-th smallest value of `a` (0-based), partially reordering `a` in place (Hoare's quickselect). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

function leafOf(tree: Tree, data: BinnedFeatures, row: number): number {
  let node = 0;
  for (;;) {
    const f = tree.feature[node] as number;
    if (f < 0) return node;
    node =
      ((data.bins[f] as Uint8Array)[row] as number) <= (tree.bin[node] as number)
        ? (tree.left[node] as number)
        : (tree.right[node] as number);
  }
}

interface Split {
  feature: number;
  bin: number;
  gain: number;
}

/** The best split of `rows` for squared error on `g`, or null when none leaves `minLeaf` rows a side. */
function bestSplit(data: BinnedFeatures, rows: Int32Array, g: Float64Array, minLeaf: number): Split | null {
  const n = rows.length;
  if (n < 2 * minLeaf) return null;
  let total = 0;
  for (let i = 0; i < n; i++) total += g[rows[i] as number] as number;
  const base = (total * total) / n;
  let best: Split | null = null;
  const sum = new Float64Array(MAX_BINS + 1);
  const count = new Int32Array(MAX_BINS + 1);
  for (let f = 0; f < data.bins.length; f++) {
    const col = data.bins[f] as Uint8Array;
    sum.fill(0);
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const r = rows[i] as number;
      const b = col[r] as number;
      sum[b] = (sum[b] as number) + (g[r] as number);
      count[b] = (count[b] as number) + 1;
    }
    let sl = 0;
    let nl = 0;
    const last = (data.cuts[f] as Float64Array).length + 1;
    for (let b = 0; b < last; b++) {
      sl += sum[b] as number;
      nl += count[b] as number;
      const nr = n - nl;
      if (nl < minLeaf) continue;
      if (nr < minLeaf) break;
      const sr = total - sl;
      const gain = (sl * sl) / nl + (sr * sr) / nr - base;
      if (gain > 1e-12 && (!best || gain > best.gain)) best = { feature: f, bin: b, gain };
    }
  }
  return best;
}

/** The median of `values[rows]` and the sum of |x − median| over them (the L1 loss of a constant fit). */
function constantFit(values: Float64Array, rows: ArrayLike<number>): { median: number; deviation: number } {
  const v = Float64Array.from({ length: rows.length }, (_, i) => values[rows[i] as number] as number);
  const m = median(v);
  let deviation = 0;
  for (let i = 0; i < v.length; i++) deviation += Math.abs((v[i] as number) - m);
  return { median: m, deviation };
}

/**
 * Grows one tree on the sign of `residual` over `rows`; leaves hold the median residual. A
 * split's gain, as recorded per feature, is the drop in absolute error of the residuals (each
 * side at its own median against the node at its median), not the squared-error gain on signs it
 * was chosen by: that one stays large on noise however far boosting has got.
 */
function growTree(
  data: BinnedFeatures,
  rows: Int32Array,
  residual: Float64Array,
  opts: BoostOptions,
  splits: Int32Array,
  gains: Float64Array,
): Tree {
  const g = new Float64Array(residual.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    const x = residual[r] as number;
    g[r] = x > 0 ? 1 : x < 0 ? -1 : 0;
  }
  const tree: Tree = { feature: [], bin: [], left: [], right: [], value: [] };
  const grow = (nodeRows: Int32Array, depth: number, fit: { median: number; deviation: number }): number => {
    const id = tree.feature.length;
    tree.feature.push(-1);
    tree.bin.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(fit.median);
    const split = depth < opts.depth ? bestSplit(data, nodeRows, g, opts.minLeaf) : null;
    if (!split) return id;
    const col = data.bins[split.feature] as Uint8Array;
    const l: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < nodeRows.length; i++) {
      const row = nodeRows[i] as number;
      ((col[row] as number) <= split.bin ? l : r).push(row);
    }
    const left = Int32Array.from(l);
    const right = Int32Array.from(r);
    const leftFit = constantFit(residual, left);
    const rightFit = constantFit(residual, right);
    splits[split.feature] = (splits[split.feature] as number) + 1;
    gains[split.feature] =
      (gains[split.feature] as number) + fit.deviation - leftFit.deviation - rightFit.deviation;
    tree.feature[id] = split.feature;
    tree.bin[id] = split.bin;
    tree.left[id] = grow(left, depth + 1, leftFit);
    tree.right[id] = grow(right, depth + 1, rightFit);
    return id;
  };
  grow(rows, 0, constantFit(residual, rows));
  return tree;
}

/**
 * Least-absolute-deviation gradient boosting of `y` on the rows `train`; predictions of the rows
 * `evaluate` are kept at every checkpoint (so one fit scores several round counts; checkpoint 0
 * is the starting point). With `base`, boosting starts from it per row (plus the median of the
 * training rows' `y − base`) instead of from a constant; `init` is then that median.
 */
export function boostL1(
  data: BinnedFeatures,
  y: ArrayLike<number>,
  train: Int32Array,
  evaluate: Int32Array,
  opts: BoostOptions = BOOST_DEFAULTS,
  base?: ArrayLike<number>,
): BoostResult {
  const features = data.bins.length;
  const splits = new Int32Array(features);
  const gain = new Float64Array(features);
  const offset = (r: number) => (base ? (base[r] as number) : 0);
  const ty = new Float64Array(train.length);
  for (let i = 0; i < train.length; i++) {
    const r = train[i] as number;
    ty[i] = (y[r] as number) - offset(r);
  }
  const init = median(ty);
  const fitted = Float64Array.from({ length: data.rows }, (_, r) => offset(r) + init);
  const residual = new Float64Array(data.rows);
  const evalPred = Float64Array.from(evaluate, (r) => offset(r) + init);
  const rounds = Math.max(0, ...opts.checkpoints);
  const atCheckpoint: Float64Array[] = [];
  const trees: Tree[] = [];
  const random = mulberry32(opts.seed);
  const take = Math.max(2 * opts.minLeaf, Math.round(opts.subsample * train.length));
  const pool = Int32Array.from(train);
  if (opts.checkpoints.includes(0)) atCheckpoint.push(Float64Array.from(evalPred));
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < train.length; i++) {
      const r = train[i] as number;
      residual[r] = (y[r] as number) - (fitted[r] as number);
    }
    // A partial Fisher–Yates shuffle picks this round's rows.
    let rows = pool;
    if (take < pool.length) {
      for (let i = 0; i < take; i++) {
        const j = i + Math.floor(random() * (pool.length - i));
        const t = pool[i] as number;
        pool[i] = pool[j] as number;
        pool[j] = t;
      }
      rows = pool.slice(0, take);
    }
    const tree = growTree(data, rows, residual, opts, splits, gain);
    trees.push(tree);
    for (let i = 0; i < train.length; i++) {
      const r = train[i] as number;
      fitted[r] = (fitted[r] as number) + opts.shrinkage * (tree.value[leafOf(tree, data, r)] as number);
    }
    for (let i = 0; i < evaluate.length; i++)
      evalPred[i] =
        (evalPred[i] as number) +
        opts.shrinkage * (tree.value[leafOf(tree, data, evaluate[i] as number)] as number);
    if (opts.checkpoints.includes(round)) atCheckpoint.push(Float64Array.from(evalPred));
  }
  return { init, trees, splits, gain, atCheckpoint };
}

/** Predicts row `row` of `data` with the first `rounds` trees of a fit (all by default). */
export function predictBoost(
  fit: Pick<BoostResult, 'init' | 'trees'>,
  data: BinnedFeatures,
  row: number,
  shrinkage: number,
  rounds = fit.trees.length,
): number {
  let p = fit.init;
  for (let t = 0; t < rounds && t < fit.trees.length; t++) {
    const tree = fit.trees[t] as Tree;
    p += shrinkage * (tree.value[leafOf(tree, data, row)] as number);
  }
  return p;
}

/** Columns standardised to mean 0 and standard deviation 1; missing values become 0 (the mean). */
export function standardise(columns: readonly ArrayLike<number>[]): Float64Array[] {
  return columns.map((c) => {
    let n = 0;
    let s = 0;
    let ss = 0;
    for (let i = 0; i < c.length; i++) {
      const v = c[i] as number;
      if (Number.isNaN(v)) continue;
      n++;
      s += v;
      ss += v * v;
    }
    const mean = n > 0 ? s / n : 0;
    const sd = n > 1 ? Math.sqrt(Math.max(0, ss / n - mean * mean)) : 0;
    const out = new Float64Array(c.length);
    for (let i = 0; i < c.length; i++) {
      const v = c[i] as number;
      out[i] = Number.isNaN(v) || sd === 0 ? 0 : (v - mean) / sd;
    }
    return out;
  });
}

/**
 * For each row of `evaluate`, the median of `y` over its k nearest rows of `train` (Euclidean
 * distance over standardised `columns`), for every k of `ks` (ascending).
 */
export function knnMedians(
  columns: readonly Float64Array[],
  y: ArrayLike<number>,
  train: Int32Array,
  evaluate: Int32Array,
  ks: readonly number[],
): Float64Array[] {
  const kMax = Math.min(Math.max(...ks), train.length);
  const out = ks.map(() => new Float64Array(evaluate.length));
  // The kMax nearest so far, ascending by distance (insertion into a short sorted list).
  const dist = new Float64Array(kMax);
  const who = new Int32Array(kMax);
  for (let e = 0; e < evaluate.length; e++) {
    const q = evaluate[e] as number;
    let filled = 0;
    for (let i = 0; i < train.length; i++) {
      const r = train[i] as number;
      let d = 0;
      for (let f = 0; f < columns.length; f++) {
        const col = columns[f] as Float64Array;
        const x = (col[q] as number) - (col[r] as number);
        d += x * x;
      }
      if (filled === kMax && d >= (dist[kMax - 1] as number)) continue;
      let j = filled < kMax ? filled++ : kMax - 1;
      while (j > 0 && (dist[j - 1] as number) > d) {
        dist[j] = dist[j - 1] as number;
        who[j] = who[j - 1] as number;
        j--;
      }
      dist[j] = d;
      who[j] = r;
    }
    ks.forEach((k, ki) => {
      const m = Math.min(k, filled);
      const v = new Float64Array(m);
      for (let i = 0; i < m; i++) v[i] = y[who[i] as number] as number;
      (out[ki] as Float64Array)[e] = median(v);
    });
  }
  return out;
}
