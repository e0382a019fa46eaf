import { adjust } from './adjust';
import { type Allocation, allocate, type BrokerComponent } from './broker';
import {
  absorbRun,
  newProfileState,
  type ProfileState,
  predictStage,
  type StagePrediction,
  type StageRunInput,
} from './predictor';
import { COMPUTE_TYPES, type CodeBuildType, type ComputeTypeName, type RegionPrices } from './prices';
import { REFERENCE_VCPU, runtimeSeconds } from './speedup';

/**
 * Replay of recorded stage runs through allocation policies, to compare the broker with a fixed
 * size and with reactive pool target tracking under the same conditions:
 *   - runs arrive at their recorded start times; each needs its recorded work (agent-seconds on
 *     the reference agent), which a policy learns only when the run ends;
 *   - a budgeted agent pool (vCPUs of reserved capacity, paid whether used or not) and on-demand
 *     overflow (paid per second, started after the on-demand provisioning delay);
 *   - run time on v vCPUs follows the stage's Amdahl model (shared/builds/speedup.ts);
 *   - a stage's deadline is `deadlineFactor` × the median work of its previous runs on the
 *     reference agent: the pipeline's SLA, set from the stage's own recorded history and revised
 *     as it goes, never from runs that have not started yet;
 *   - each policy's reserved pool is given by the caller (`poolVcpu`): the bench sizes it at the
 *     policy's own mean concurrent vCPU demand, the same rule for every policy.
 * Policies:
 *   - fixed: one compute type configured for every stage (the smallest that meets the deadline
 *     for 80 % of runs, chosen with hindsight: the strongest single size), pool first, on-demand
 *     when full;
 *   - reactive: the same size, the pool resized by target tracking on utilisation (every
 *     `trackEverySeconds`, scale-out effective after `poolLagSeconds`), on-demand when full;
 *   - broker: the predictor and `allocate` per run (planning quantile 0.8), the pool first, the
 *     documented fallback, `adjust` when a run passes its planned profile, within the pipeline
 *     run's budget with finished stages lending what they did not spend.
 */

export interface ReplayRun {
  pipeline: string;
  stage: string;
  buildId: string;
  startMs: number;
  agentSeconds: number;
  input: StageRunInput;
}

export interface ReplayOptions {
  prices: RegionPrices;
  /** p per `${pipeline}/${stage}`. */
  parallelFraction: (stageKey: string) => number;
  /** Pool vCPUs per pipeline (the budgeted agent pool). */
  poolVcpu: (pipeline: string) => number;
  deadlineFactor: number;
  fixedType: ComputeTypeName;
  planQuantile: 0.5 | 0.8 | 0.9;
  /** A pipeline run may spend this multiple of what the fixed size would cost at the median. */
  budgetFactor: number;
  poolLagSeconds: number;
  trackEverySeconds: number;
  /**
   * Reactive only: vCPUs per pipeline the tracked pool never scales below (a reserved floor with
   * target tracking above it). @default one agent of the fixed size
   */
  poolFloorVcpu?: (pipeline: string) => number;
}

export interface PolicyResult {
  policy: string;
  costUsd: number;
  reservedUsd: number;
  onDemandUsd: number;
  queueSeconds: number[];
  deadlineMet: number;
  runs: number;
  /** Allocations by fallback step (broker only). */
  fallbacks: Record<string, number>;
  adjustments: number;
  lentUsd: number;
  /** vCPU-seconds the policy's runs held, reserved or on demand, per pipeline. */
  vcpuSeconds: Record<string, number>;
}

export function p95(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)] as number;
}

interface Active {
  startMs: number;
  endMs: number;
  vcpu: number;
  /** Predicted end, as the broker knows it. */
  predictedEndMs: number;
}

function emptyResult(policy: string): PolicyResult {
  return {
    policy,
    costUsd: 0,
    reservedUsd: 0,
    onDemandUsd: 0,
    queueSeconds: [],
    deadlineMet: 0,
    runs: 0,
    fallbacks: {},
    adjustments: 0,
    lentUsd: 0,
    vcpuSeconds: {},
  };
}

function hold(res: PolicyResult, pipeline: string, vcpu: number, seconds: number): void {
  res.vcpuSeconds[pipeline] = (res.vcpuSeconds[pipeline] ?? 0) + vcpu * seconds;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Deadline of each run from the stage's previous runs (NaN before the stage has 5 runs). */
export function deadlines(runs: readonly ReplayRun[], factor: number): number[] {
  const hist = new Map<string, number[]>();
  return runs.map((r) => {
    const key = `${r.pipeline}/${r.stage}`;
    const h = hist.get(key) ?? [];
    const d = h.length >= 5 ? factor * median(h.slice(-20)) : Number.NaN;
    h.push(r.agentSeconds);
    if (h.length > 20) h.shift();
    hist.set(key, h);
    return d;
  });
}

/** Smallest compute type meeting the deadline for at least `share` of the runs that have one. */
export function fixedTypeFor(
  runs: readonly ReplayRun[],
  dl: readonly number[],
  prices: RegionPrices,
  pOf: (k: string) => number,
  share = 0.8,
): ComputeTypeName {
  for (const name of COMPUTE_TYPES) {
    const type = prices.codebuild.find((t) => t.name === name);
    if (!type) continue;
    let met = 0;
    let n = 0;
    runs.forEach((r, i) => {
      const d = dl[i] as number;
      if (!Number.isFinite(d)) return;
      n++;
      if (runtimeSeconds(r.agentSeconds, pOf(`${r.pipeline}/${r.stage}`), type.vcpu) <= d) met++;
    });
    if (n === 0 || met / n >= share) return name;
  }
  return '2XLARGE';
}

class Pool {
  active: Active[] = [];
  constructor(public capacity: number) {}
  release(nowMs: number): void {
    this.active = this.active.filter((a) => a.endMs > nowMs);
  }
  usedAt(ms: number): number {
    let used = 0;
    for (const a of this.active) if (a.startMs <= ms && a.endMs > ms) used += a.vcpu;
    return used;
  }
  free(ms: number): number {
    return this.capacity - this.usedAt(ms);
  }
  /** Earliest time ≥ now at which `vcpu` is free, by actual (or predicted) ends. */
  waitFor(nowMs: number, vcpu: number, predicted: boolean): number {
    if (vcpu > this.capacity) return Number.POSITIVE_INFINITY;
    const ends = [nowMs, ...this.active.map((a) => (predicted ? a.predictedEndMs : a.endMs))]
      .filter((e) => e >= nowMs)
      .sort((a, b) => a - b);
    for (const e of ends) if (this.free(e) >= vcpu) return e;
    return Number.POSITIVE_INFINITY;
  }
}

function perVcpuSecond(prices: RegionPrices, tier: 'reserved' | 'on-demand', type: ComputeTypeName): number {
  const t = prices.codebuild.find((x) => x.name === type);
  if (!t) return 0;
  return (tier === 'reserved' ? t.reservedPerMinute : t.onDemandPerMinute) / 60 / t.vcpu;
}

/** Fixed size per stage, pool first, overflow on demand. */
export function replayFixed(
  runs: readonly ReplayRun[],
  dl: readonly number[],
  o: ReplayOptions,
): PolicyResult {
  return replayPooled(runs, dl, o, 'fixed', undefined);
}

/** Same size as fixed, the pool resized by target tracking at `target` utilisation. */
export function replayReactive(
  runs: readonly ReplayRun[],
  dl: readonly number[],
  o: ReplayOptions,
  target: number,
): PolicyResult {
  return replayPooled(runs, dl, o, `reactive@${target}`, target);
}

/**
 * A pipeline's reserved pool over simulated time: fixed at the budget, or (with a `target`)
 * resized by target tracking on utilisation every `trackEverySeconds`, a scale-out taking effect
 * after `poolLagSeconds`; it integrates the capacity held (vCPU·ms) as time moves.
 */
class TrackedPool {
  readonly pool: Pool;
  /** ∫ capacity dt, vCPU·ms. */
  capacityMs = 0;
  private pending: { atMs: number; capacity: number } | undefined;
  private lastTrackMs: number;
  private clockMs: number;

  constructor(
    private readonly o: ReplayOptions,
    private readonly target: number | undefined,
    private readonly typeVcpu: number,
    private readonly budgetVcpu: number,
    startMs: number,
    private readonly floorVcpu = typeVcpu,
  ) {
    this.pool = new Pool(target === undefined ? budgetVcpu : Math.max(typeVcpu, floorVcpu));
    this.lastTrackMs = startMs;
    this.clockMs = startMs;
  }

  /** Moves to `toMs`: the target tracking steps between arrivals (reactive), integrating the pool's size. */
  advance(toMs: number): void {
    const stepMs = this.o.trackEverySeconds * 1000;
    while (this.target !== undefined && this.lastTrackMs + stepMs <= toMs) {
      const at = this.lastTrackMs + stepMs;
      this.track(at, this.target);
      if (toMs - this.lastTrackMs > 86_400_000 && this.pool.usedAt(at) === 0) {
        // Idle for a day: jump (the pool sits at its floor; nothing to track).
        this.integrateTo(toMs - 3_600_000);
        this.lastTrackMs = this.clockMs;
      }
    }
    this.capacityMs += this.pool.capacity * Math.max(0, toMs - this.clockMs);
    this.clockMs = Math.max(this.clockMs, toMs);
  }

  /** Adds the capacity held from the last point integrated to `ms`, and moves there. */
  private integrateTo(ms: number): void {
    this.capacityMs += this.pool.capacity * (ms - this.clockMs);
    this.clockMs = ms;
  }

  /**
   * One target tracking step at `at`: a scale-out that has landed takes effect, then the desired
   * size (between one agent and four times the budget) is asked for: a scale-out lands after the
   * lag, a scale-in applies now unless the pool is busier than the new size.
   */
  private track(at: number, target: number): void {
    const pool = this.pool;
    if (this.pending && this.pending.atMs <= at) {
      this.integrateTo(this.pending.atMs);
      pool.capacity = this.pending.capacity;
      this.pending = undefined;
    }
    this.integrateTo(at);
    const used = pool.usedAt(at);
    const desired = Math.max(
      this.typeVcpu,
      this.floorVcpu,
      Math.min(this.budgetVcpu * 4, Math.ceil(used / target / this.typeVcpu) * this.typeVcpu),
    );
    if (desired > pool.capacity && !this.pending)
      this.pending = { atMs: at + this.o.poolLagSeconds * 1000, capacity: desired };
    else if (desired < pool.capacity && pool.usedAt(at) <= desired) pool.capacity = desired;
    this.lastTrackMs = at;
  }
}

/**
 * Places one run at the fixed size: on the pool when it has room, else on demand after the
 * provisioning delay (paid per second); records its queueing, held vCPU-seconds and deadline.
 */
function placeFixedRun(
  res: PolicyResult,
  pool: Pool,
  pipeline: string,
  run: { r: ReplayRun; d: number },
  type: CodeBuildType,
  o: ReplayOptions,
): void {
  const { r, d } = run;
  const runtime = runtimeSeconds(r.agentSeconds, o.parallelFraction(`${r.pipeline}/${r.stage}`), type.vcpu);
  let delay = 0;
  if (pool.free(r.startMs) >= type.vcpu) {
    pool.active.push({
      startMs: r.startMs,
      endMs: r.startMs + runtime * 1000,
      vcpu: type.vcpu,
      predictedEndMs: r.startMs + runtime * 1000,
    });
  } else {
    delay = o.prices.provisioningSeconds.onDemand;
    const usd = (runtime * type.onDemandPerMinute) / 60;
    res.onDemandUsd += usd;
  }
  hold(res, pipeline, type.vcpu, runtime);
  res.queueSeconds.push(delay);
  res.runs++;
  if (Number.isFinite(d) && delay + runtime <= d) res.deadlineMet++;
}

function replayPooled(
  runs: readonly ReplayRun[],
  dl: readonly number[],
  o: ReplayOptions,
  name: string,
  target: number | undefined,
): PolicyResult {
  const res = emptyResult(name);
  const type = o.prices.codebuild.find((t) => t.name === o.fixedType);
  if (!type) throw new RangeError(`unknown fixed type ${o.fixedType}`);
  const reservedRate = perVcpuSecond(o.prices, 'reserved', o.fixedType);
  const byPipeline = groupBy(
    runs.map((r, i) => ({ r, d: dl[i] as number })),
    (x) => x.r.pipeline,
  );
  for (const [pipeline, list] of byPipeline) {
    const tracked = new TrackedPool(
      o,
      target,
      type.vcpu,
      o.poolVcpu(pipeline),
      list[0]?.r.startMs ?? 0,
      o.poolFloorVcpu?.(pipeline) ?? type.vcpu,
    );
    const pool = tracked.pool;
    for (const run of list) {
      tracked.advance(run.r.startMs);
      pool.release(run.r.startMs);
      placeFixedRun(res, pool, pipeline, run, type, o);
    }
    const last = list.reduce((m, x) => Math.max(m, x.r.startMs), 0);
    const endMs = Math.max(last, ...pool.active.map((a) => a.endMs));
    tracked.advance(endMs);
    res.reservedUsd += (tracked.capacityMs / 1000) * reservedRate;
  }
  res.costUsd = res.reservedUsd + res.onDemandUsd;
  return res;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const l = m.get(k);
    if (l) l.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export interface BrokerReplay {
  result: PolicyResult;
  /** Per run: the prediction it was given (undefined before the stage had history). */
  predictions: (StagePrediction | undefined)[];
  allocations: (Allocation | undefined)[];
}

/**
 * The broker over the same runs. Profiles are learned online in start order: a run is predicted
 * from the runs that started before it, then absorbed.
 */
export function replayBroker(
  runs: readonly ReplayRun[],
  dl: readonly number[],
  o: ReplayOptions,
  onProgress?: (done: number, total: number) => void,
  precomputed?: readonly (StagePrediction | undefined)[],
): BrokerReplay {
  const fixed = o.prices.codebuild.find((t) => t.name === o.fixedType);
  if (!fixed) throw new RangeError(`unknown fixed type ${o.fixedType}`);
  const ctx: BrokerContext = {
    o,
    fixed,
    res: emptyResult('broker'),
    sizes: o.prices.codebuild.map((t) => t.vcpu).sort((a, b) => a - b),
    pools: new Map(),
    spans: new Map(),
    ledgers: new Map(),
  };
  const states = new Map<string, ProfileState>();
  const predictions: (StagePrediction | undefined)[] = precomputed
    ? [...precomputed]
    : new Array(runs.length);
  const allocations: (Allocation | undefined)[] = new Array(runs.length);
  runs.forEach((r, i) => {
    if (onProgress && i % 2000 === 0) onProgress(i, runs.length);
    const key = `${r.pipeline}/${r.stage}`;
    const state = states.get(key) ?? newProfileState();
    states.set(key, state);
    const prediction = precomputed ? precomputed[i] : predictStage(state, r.input);
    predictions[i] = prediction;
    const d = dl[i] as number;
    // No history (or no deadline): the fixed size, as any team would start.
    if (!prediction || !Number.isFinite(d)) runAtFixedSize(ctx, r);
    else allocations[i] = runAllocated(ctx, r, prediction, d);
    if (!precomputed) absorbRun(state, r.input, r.agentSeconds);
  });
  const reservedRate = perVcpuSecond(o.prices, 'reserved', 'SMALL');
  for (const [pipeline, span] of ctx.spans)
    ctx.res.reservedUsd += ((span.to - span.from) / 1000) * o.poolVcpu(pipeline) * reservedRate;
  ctx.res.costUsd = ctx.res.reservedUsd + ctx.res.onDemandUsd;
  onProgress?.(runs.length, runs.length);
  return { result: ctx.res, predictions, allocations };
}

/** What the broker replay carries from run to run. */
interface BrokerContext {
  o: ReplayOptions;
  fixed: RegionPrices['codebuild'][number];
  res: PolicyResult;
  /** vCPU of every compute type, ascending. */
  sizes: number[];
  /** The reserved pool of each pipeline. */
  pools: Map<string, Pool>;
  /** First start and last end per pipeline: how long its reserved pool is paid for. */
  spans: Map<string, { from: number; to: number }>;
  /** Budget ledger per pipeline run: spent so far and credit freed by finished stages. */
  ledgers: Map<string, { budget: number; committed: number }>;
}

/** The pipeline's reserved pool, with what has finished by `atMs` released. */
function poolAt(ctx: BrokerContext, pipeline: string, atMs: number): Pool {
  let pool = ctx.pools.get(pipeline);
  if (!pool) {
    pool = new Pool(ctx.o.poolVcpu(pipeline));
    ctx.pools.set(pipeline, pool);
  }
  pool.release(atMs);
  return pool;
}

/** Count one finished run: queue time, deadline, the pipeline's span and the vCPU it held. */
function recordRun(
  ctx: BrokerContext,
  r: ReplayRun,
  startDelay: number,
  runtime: number,
  vcpu: number,
  deadline: number,
): void {
  ctx.res.queueSeconds.push(startDelay);
  ctx.res.runs++;
  if (startDelay + runtime <= deadline) ctx.res.deadlineMet++;
  const span = ctx.spans.get(r.pipeline) ?? { from: r.startMs, to: r.startMs };
  span.to = Math.max(span.to, r.startMs + (startDelay + runtime) * 1000);
  ctx.spans.set(r.pipeline, span);
  hold(ctx.res, r.pipeline, vcpu, runtime);
}

/** A run without a prediction: the fixed size, on the pool when it has room, else on demand. */
function runAtFixedSize(ctx: BrokerContext, r: ReplayRun): void {
  const { o, fixed, res } = ctx;
  const pool = poolAt(ctx, r.pipeline, r.startMs);
  const runtime = runtimeSeconds(r.agentSeconds, o.parallelFraction(`${r.pipeline}/${r.stage}`), fixed.vcpu);
  let delay = 0;
  if (pool.free(r.startMs) >= fixed.vcpu)
    pool.active.push({
      startMs: r.startMs,
      endMs: r.startMs + runtime * 1000,
      vcpu: fixed.vcpu,
      predictedEndMs: r.startMs + runtime * 1000,
    });
  else {
    delay = o.prices.provisioningSeconds.onDemand;
    res.onDemandUsd += (runtime * fixed.onDemandPerMinute) / 60;
  }
  // Never counted as a met deadline: the broker had no prediction to plan it by (NaN compares false).
  recordRun(ctx, r, delay, runtime, fixed.vcpu, Number.NaN);
}

/**
 * The run's budget ledger: `budgetFactor` × the planned cost of each stage at the fixed size on
 * demand, added as the pipeline run's stages arrive (the newest 5,000 runs are kept).
 */
function ledgerFor(
  ctx: BrokerContext,
  r: ReplayRun,
  prediction: StagePrediction,
  p: number,
): { budget: number; committed: number } {
  const { o, fixed } = ctx;
  const runKey = `${r.pipeline}#${r.buildId}`;
  const stageBudget =
    (o.budgetFactor * runtimeSeconds(prediction.agentSeconds.q50, p, fixed.vcpu) * fixed.onDemandPerMinute) /
    60;
  const ledger = ctx.ledgers.get(runKey);
  if (ledger) {
    ledger.budget += stageBudget;
    return ledger;
  }
  const created = { budget: stageBudget, committed: 0 };
  ctx.ledgers.set(runKey, created);
  if (ctx.ledgers.size > 5000) ctx.ledgers.delete(ctx.ledgers.keys().next().value as string);
  return created;
}

/** What the broker sees of the reserved pool at `atMs`: free units and the wait for one, per type. */
function reservedView(o: ReplayOptions, pool: Pool, atMs: number) {
  const reservedFree: Partial<Record<ComputeTypeName, number>> = {};
  const reservedWaitSeconds: Partial<Record<ComputeTypeName, number>> = {};
  for (const t of o.prices.codebuild) {
    reservedFree[t.name] = Math.floor(pool.free(atMs) / t.vcpu);
    reservedWaitSeconds[t.name] = (pool.waitFor(atMs, t.vcpu, true) - atMs) / 1000;
  }
  return { reservedFree, reservedWaitSeconds, onDemandAvailable: true };
}

/** A predicted run: the broker's allocation, executed on the recorded work, adjusted once if late. */
function runAllocated(ctx: BrokerContext, r: ReplayRun, prediction: StagePrediction, d: number): Allocation {
  const { o, res } = ctx;
  const p = o.parallelFraction(`${r.pipeline}/${r.stage}`);
  const pool = poolAt(ctx, r.pipeline, r.startMs);
  const ledger = ledgerFor(ctx, r, prediction, p);
  const component: BrokerComponent = {
    pipeline: r.pipeline,
    stage: r.stage,
    kind: 'codebuild',
    parallelFraction: p,
  };
  const alloc = allocate({
    component,
    prediction,
    deadlineSeconds: d,
    budgetUsd: Math.max(0, ledger.budget - ledger.committed),
    planQuantile: o.planQuantile,
    pool: reservedView(o, pool, r.startMs),
    prices: o.prices,
  });
  res.fallbacks[alloc.fallback ?? 'preferred'] = (res.fallbacks[alloc.fallback ?? 'preferred'] ?? 0) + 1;
  const { runtime, extraUsd } = executeRun(ctx, r, prediction, d, alloc, ledger, p);
  let startDelay = alloc.startDelaySeconds;
  if (alloc.tier === 'reserved') {
    // A queued run starts when capacity actually frees, which may differ from the prediction.
    const startMs = r.startMs + startDelay * 1000;
    const actualStart = alloc.fallback === 'queue' ? pool.waitFor(r.startMs, alloc.vcpu, false) : startMs;
    startDelay = Number.isFinite(actualStart) ? (actualStart - r.startMs) / 1000 : alloc.startDelaySeconds;
    const s = r.startMs + startDelay * 1000;
    pool.active.push({
      startMs: s,
      endMs: s + runtime * 1000,
      vcpu: alloc.vcpu,
      predictedEndMs: s + alloc.runtimeSeconds * 1000,
    });
  } else {
    res.onDemandUsd += runtime * alloc.usdPerSecond;
  }
  res.onDemandUsd += extraUsd;
  const spent = runtime * alloc.usdPerSecond + extraUsd;
  // What the stage did not spend of its planned cost goes back to the run (lending).
  ledger.committed += spent;
  if (spent < alloc.expectedCostUsd) res.lentUsd += alloc.expectedCostUsd - spent;
  recordRun(ctx, r, startDelay, runtime, alloc.vcpu, d);
  return alloc;
}

/**
 * The run's actual runtime: the recorded work at the allocated size; when that passes the planned
 * runtime, the dynamic adjustment may scale it up once (the extra vCPU paid on demand).
 */
function executeRun(
  ctx: BrokerContext,
  r: ReplayRun,
  prediction: StagePrediction,
  d: number,
  alloc: Allocation,
  ledger: { budget: number; committed: number },
  p: number,
): { runtime: number; extraUsd: number } {
  const { o } = ctx;
  const runtime = runtimeSeconds(r.agentSeconds, p, alloc.vcpu);
  if (runtime <= alloc.runtimeSeconds) return { runtime, extraUsd: 0 };
  const elapsed = alloc.runtimeSeconds;
  const onDemandRate = perVcpuSecond(o.prices, 'on-demand', 'SMALL');
  const adj = adjust(
    {
      elapsedSeconds: elapsed,
      vcpu: alloc.vcpu,
      parallelFraction: p,
      agentSeconds: prediction.agentSeconds,
      deadlineSeconds: d - alloc.startDelaySeconds,
    },
    {
      sizes: ctx.sizes,
      budgetLeftUsd: Math.max(0, ledger.budget - ledger.committed - alloc.expectedCostUsd),
      usdPerVcpuSecond: onDemandRate,
    },
  );
  if (adj.action !== 'scale-up') return { runtime, extraUsd: 0 };
  ctx.res.adjustments++;
  const doneWork = elapsed / (1 - p + (p * REFERENCE_VCPU) / alloc.vcpu);
  const rest = runtimeSeconds(Math.max(0, r.agentSeconds - doneWork), p, adj.vcpu);
  return { runtime: elapsed + rest, extraUsd: (adj.vcpu - alloc.vcpu) * rest * onDemandRate };
}

/**
 * The stage profile predictor over the runs in start order: each run is predicted from the runs
 * of its stage that started before it, then absorbed (what the broker sees, computed once so
 * several allocation replays can share it).
 */
export function predictRuns(
  runs: readonly ReplayRun[],
  onProgress?: (done: number, total: number) => void,
): (StagePrediction | undefined)[] {
  const states = new Map<string, ProfileState>();
  return runs.map((r, i) => {
    if (onProgress && i % 2000 === 0) onProgress(i, runs.length);
    const key = `${r.pipeline}/${r.stage}`;
    const state = states.get(key) ?? newProfileState();
    states.set(key, state);
    const prediction = predictStage(state, r.input);
    absorbRun(state, r.input, r.agentSeconds);
    return prediction;
  });
}

/**
 * A reserved pool per pipeline at a policy's mean concurrent vCPU demand over the pipeline's
 * span (first to last start), in whole instances of `unitVcpu`: the same sizing rule for every
 * policy, applied to each policy's own demand.
 */
export function meanDemandPools(
  runs: readonly ReplayRun[],
  vcpuSeconds: Readonly<Record<string, number>>,
  unitVcpu: number,
): Record<string, number> {
  const span = new Map<string, { from: number; to: number }>();
  for (const r of runs) {
    const s = span.get(r.pipeline) ?? { from: r.startMs, to: r.startMs };
    s.from = Math.min(s.from, r.startMs);
    s.to = Math.max(s.to, r.startMs);
    span.set(r.pipeline, s);
  }
  const out: Record<string, number> = {};
  for (const [pipeline, s] of span) {
    const mean = (vcpuSeconds[pipeline] ?? 0) / Math.max(1, (s.to - s.from) / 1000);
    out[pipeline] = Math.max(1, Math.ceil(mean / unitVcpu)) * unitVcpu;
  }
  return out;
}
