import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { recordRun } from '../functions/forecast/emf';
import { FORECAST_FUNCTIONS } from '../functions/forecast/manifest';
import { MIGRATION_FUNCTIONS } from '../functions/migration/manifest';
import { PREWARM_FUNCTIONS } from '../functions/prewarm/manifest';
import { type DeployedRun, LOOP_TICK_MS, loopWorld, runDeployedLoop } from '../shared/backtest/deployed';
import { type ElasticityMetrics, elasticityMetrics } from '../shared/backtest/metrics';
import { type Bill, billTotal, monthlyBill, pricesFor, SERVICES } from '../shared/cost/bill';
import { readUnits } from '../shared/cost/dynamodb';
import { DEFAULT_ROUND_TRIP_MS, lambdaDurationMs, meterInvocation } from '../shared/cost/lambda';
import { addUsage, emptyUsage, MemoryMeter, scaleUsage, type Usage } from '../shared/cost/meter';
import { PRICES_AS_OF } from '../shared/cost/prices';
import { DEFAULT_BATCH_SIZE, SINGLE_INVOCATION_MAX_WORKLOADS } from '../shared/forecaster/fanout';
import type { ForecastRunResult, WorkloadOutcome } from '../shared/forecaster/service';
import { DEFAULT_CADENCE } from '../shared/planning/cadence';
import { Workload } from '../shared/schemas/workload';
import { autoUnitCapacity, type DemandTrace, onGrid } from '../shared/sim/trace';
import { geomean } from './backtest';

/**
 * `shadowscale bench cost`: what Shadowscale's own control plane adds to an AWS bill, counted by
 * the adapters' meter while the deployed loop (forecaster service, pre-warm, the shadow-pool
 * state machines' tasks) runs over the simulated fleet on real traces, once with the forecaster
 * every 5 minutes and once with its adaptive cadence; the same runs give the decision quality.
 *
 * What is run and what is computed:
 * - Per workload, run: `sample` workloads (one real trace each, M metrics replaying it) for
 *   `days` days after a warm-up; the meter counts GetMetricData metrics, DynamoDB request units
 *   of every read and write (the in-memory store sizes the very items DynamoDB would get, with the
 *   deployed prediction history of 288), EventBridge events; the loop counts Lambda invocations,
 *   CPU time and Step Functions transitions. Scaled by workloads / sample and to a 730-hour month.
 * - Per forecaster run, computed for N workloads from the deployed structure: the fan-out state
 *   machine's transitions (one invocation up to 500 workloads, else one child per page of 100),
 *   the ListWorkloads invocation and registry pages, each forecaster invocation's EMF output
 *   (the real `recordRun` with Powertools, bytes captured) and Lambda's START/END/REPORT lines.
 * - Lambda duration: measured CPU scaled to the configured memory (arm64) plus waits on AWS,
 *   modelled as round trips of DEFAULT_ROUND_TRIP_MS (shared/cost/lambda.ts).
 */

export interface CostBenchOptions {
  workloads: number;
  metrics: number;
  days: number;
  traces: DemandTrace[];
  /** Simulated workloads actually run (each on its own trace, cycled). */
  sample: number;
  region: string;
  /** Other estate sizes to price from the same runs (a table across sizes). */
  alsoWorkloads?: number[];
  onProgress?: (line: string) => void;
}

export type Cadence = 'every-step' | 'adaptive';

export interface CadenceCost {
  usd_per_month_by_service: Bill;
  usd_per_month: number;
  usd_per_workload_month: number;
  /** Monthly usage for the whole fleet, by meter item. */
  usage_per_month: Usage;
  /** Share of forecaster runs in which a workload was forecast (1 = every step). */
  forecast_share: number;
  /** Geometric means over the sampled traces (evaluated days only). */
  quality: { tau_u: number; overload_minutes: number; unit_hours: number };
}

export interface CostBenchResult {
  workloads: number;
  metrics: number;
  days: number;
  sample: number;
  traces: string[];
  region: string;
  prices_as_of: string;
  cadence: Record<Cadence, CadenceCost>;
  /** The same sampled runs priced for other estate sizes (and `workloads`), smallest first. */
  estates: { workloads: number; every_step_usd_per_workload_month: number; adaptive: CadenceCost }[];
  summary: {
    usd_per_workload_month: number;
    usd_per_month_by_service: Bill;
    /** Largest relative change of τU, overload minutes and unit-hours, adaptive vs every step. */
    quality_change_vs_every_step: number;
    quality_change_by_metric: { tau_u: number; overload_minutes: number; unit_hours: number };
    target_usd_per_workload_month: number;
    target_quality_change: number;
  };
}

export const TARGET_USD_PER_WORKLOAD_MONTH = 0.05;
export const TARGET_QUALITY_CHANGE = 0.02;

const DAY_MS = 86_400_000;
const MONTH_MS = 730 * 3_600_000;
const WARMUP_MS = 7 * DAY_MS;
/** CloudWatch Logs adds 26 bytes to every event ingested. */
const LOG_EVENT_OVERHEAD = 26;
/** Lambda's own START, END and REPORT lines of one invocation (typical lengths, arm64). */
const PLATFORM_LOG_BYTES = 110 + 60 + 230 + 3 * LOG_EVENT_OVERHEAD;
/** Waits on AWS in one forecaster chunk of 100 workloads beyond its GetMetricData calls. */
const GET_METRIC_DATA_MS = 150;

const memoryOf = (specs: readonly { id: string; memoryMb: number }[], id: string): number => {
  const spec = specs.find((s) => s.id === id);
  if (!spec) throw new Error(`no function spec ${id}`);
  return spec.memoryMb;
};
const FORECAST_MB = memoryOf(FORECAST_FUNCTIONS, 'Forecast');
const LIST_MB = memoryOf(FORECAST_FUNCTIONS, 'ListWorkloads');
const PREWARM_MB = memoryOf(PREWARM_FUNCTIONS, 'Prewarm');
const TASK_MB = MIGRATION_FUNCTIONS[0]?.memoryMb ?? 256;

interface SampleRun {
  usage: Usage;
  run: DeployedRun;
  metrics: ElasticityMetrics;
  contendedShare: number;
  evaluatedSteps: number;
  stepMinutes: number;
}

/** The backtest's physics (bench backtest's defaults) with `metrics` metrics replaying the trace. */
function world(trace: DemandTrace, metrics: number) {
  const t = trace.intervalMs > LOOP_TICK_MS ? onGrid(trace, LOOP_TICK_MS) : trace;
  const { workload, sim } = loopWorld({
    trace: t,
    unitCapacity: autoUnitCapacity(t, 0.7, 20),
    targetUtilization: 0.7,
    lagMs: 180_000,
    metricDelayMs: 60_000,
    drainMs: 60_000,
    primaryMin: 1,
    primaryMax: 25,
    shadowMax: 25,
    pricePrimary: 1,
    priceShadow: 1,
  });
  const first = workload.metrics[0] as Workload['metrics'][number];
  const extra = Array.from({ length: metrics - 1 }, (_, i) => ({
    ...first,
    name: `${first.name}-${i + 2}`,
    metricName: `${first.metricName}${i + 2}`,
  }));
  return { workload: Workload.parse({ ...workload, metrics: [first, ...extra] }), sim: { ...sim, trace: t } };
}

async function runSample(trace: DemandTrace, o: CostBenchOptions, cadence: Cadence): Promise<SampleRun> {
  const { workload, sim } = world(trace, o.metrics);
  const span = Math.min(trace.values.length * sim.trace.intervalMs, WARMUP_MS + o.days * DAY_MS);
  const n = Math.floor(span / sim.trace.intervalMs);
  const t: DemandTrace = { ...sim.trace, values: sim.trace.values.slice(0, n) };
  // The last `days` days are evaluated, after at least half the span (ideally WARMUP_MS) of warm-up.
  const warm = Math.max(span - o.days * DAY_MS, Math.min(WARMUP_MS, span / 2));
  const watchFromMs = t.startMs + Math.floor(warm / LOOP_TICK_MS) * LOOP_TICK_MS;
  const meter = new MemoryMeter();
  const run = await runDeployedLoop({
    workload,
    sim: { ...sim, trace: t },
    watchFromMs,
    meter,
    predictionHistoryLimit: 288,
    ...(cadence === 'adaptive' ? { forecaster: { cadence: DEFAULT_CADENCE } } : {}),
  });
  const w = run.fleet.get(workload.workloadId);
  const from = Math.round((watchFromMs - t.startMs) / t.intervalMs);
  const metrics = elasticityMetrics({
    intervalMs: t.intervalMs,
    unitCapacity: sim.unitCapacity,
    targetUtilization: 0.7,
    demand: w.history.demand,
    readyPrimary: w.history.readyPrimary,
    readyShadow: w.history.readyShadow,
    shadowShare: w.history.shadowShare,
    billedPrimary: w.history.billedPrimary,
    billedShadow: w.history.billedShadow,
    pricePrimary: 1,
    priceShadow: 1,
    actions: w.primary.actions + w.shadow.actions,
    from,
  });
  const usage = meter.take();
  const work = run.work;
  // Per-workload Lambda work: pre-warm and task invocations, the forecaster's CPU share.
  meterLambda(usage, PREWARM_MB, work.prewarmInvocations, work.prewarmCpuMs, 3);
  meterLambda(usage, TASK_MB, work.taskInvocations, work.taskCpuMs, 3);
  usage['lambda.gb-seconds'] += gbSeconds(FORECAST_MB, lambdaDurationMs(work.forecastCpuMs, FORECAST_MB));
  usage['sfn.standard-transitions'] += work.stateTransitions;
  const evaluatedMs = (n - from) * t.intervalMs;
  return {
    usage: scaleUsage(usage, MONTH_MS / evaluatedMs),
    run,
    metrics,
    contendedShare: work.forecastRuns > 0 ? work.contendedRuns / work.forecastRuns : 0,
    evaluatedSteps: n - from,
    stepMinutes: t.intervalMs / 60_000,
  };
}

const gbSeconds = (memoryMb: number, durationMs: number) => (memoryMb / 1024) * (durationMs / 1000);

/** `invocations` of a function at `memoryMb`, `cpuMs` in total, each waiting `roundTrips` on AWS. */
function meterLambda(usage: Usage, memoryMb: number, invocations: number, cpuMs: number, roundTrips: number) {
  if (invocations === 0) return;
  const perCall = lambdaDurationMs(cpuMs / invocations, memoryMb, roundTrips * DEFAULT_ROUND_TRIP_MS);
  usage['lambda.requests'] += invocations;
  usage['lambda.gb-seconds'] += invocations * gbSeconds(memoryMb, perCall);
}

/** The fan-out state machine's transitions for one run (the path its states take). */
export function fanoutTransitions(asl: AslFile, distributed: boolean, batches: number): number {
  let count = 0;
  let name: string | undefined = asl.StartAt;
  const seen = new Set<string>();
  while (name && !seen.has(name)) {
    seen.add(name);
    const state: AslState | undefined = asl.States[name];
    if (!state) break;
    count++;
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End) break;
    if (state.Type === 'Choice') {
      const toMap: { Next: string } | undefined = (state.Choices ?? []).find(
        (c) => asl.States[c.Next]?.Type === 'Map',
      );
      name = distributed && toMap ? toMap.Next : state.Default;
      continue;
    }
    if (state.Type === 'Map' && state.ItemProcessor) {
      count += batches * fanoutTransitions(state.ItemProcessor, false, 0);
    }
    name = state.Next;
  }
  return count;
}

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  ItemProcessor?: AslFile;
}
interface AslFile {
  StartAt: string;
  States: Record<string, AslState>;
}

/** One forecaster invocation's EMF and log bytes (the real recordRun), and its custom metrics. */
export function emfOfInvocation(
  chunk: number,
  contended: number,
  metrics: number,
): { bytes: number; lines: number; metricNames: Set<string> } {
  const outcome = (i: number): WorkloadOutcome => ({
    workloadId: `w-${String(i).padStart(6, '0')}`,
    status: 'ok',
    score: i < contended ? 1.5 : 0.1,
    contended: i < contended,
    metrics: Array.from({ length: metrics }, (_, m) => ({
      metric: `m${m}`,
      mode: 'incremental' as const,
      newPoints: 1,
      nextP50: 1234.5,
      observed: 1200.25,
    })),
    published: ['Forecast Computed'],
  });
  const outcomes = Array.from({ length: chunk }, (_, i) => outcome(i));
  const result: ForecastRunResult = {
    startedAt: 0,
    workloads: chunk,
    ok: chunk,
    degraded: 0,
    failed: 0,
    skipped: 0,
    series: chunk * metrics,
    eventsPublished: chunk,
    publishFailures: [],
    outcomes,
  };
  const saved = { dev: process.env.POWERTOOLS_DEV, disabled: process.env.POWERTOOLS_METRICS_DISABLED };
  const log = console.log;
  const lines: string[] = [];
  try {
    // Dev mode writes through console.log, which is captured here; metrics stay enabled.
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    console.log = (line: unknown) => {
      lines.push(String(line));
    };
    const m = new Metrics({ namespace: 'Shadowscale', serviceName: 'forecast' });
    recordRun(result, m, new Logger({ logLevel: 'SILENT' }), { durationMs: 1234 });
    m.publishStoredMetrics();
  } finally {
    console.log = log;
    restore('POWERTOOLS_DEV', saved.dev);
    restore('POWERTOOLS_METRICS_DISABLED', saved.disabled);
  }
  const metricNames = new Set<string>();
  let bytes = 0;
  for (const line of lines) {
    // Dev mode pretty-prints; a Lambda writes one compact line.
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws?: { CloudWatchMetrics?: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    bytes += Buffer.byteLength(JSON.stringify(doc), 'utf8') + LOG_EVENT_OVERHEAD;
    for (const d of doc._aws?.CloudWatchMetrics ?? []) {
      for (const dims of d.Dimensions) {
        const key = dims.map((k) => `${k}=${String(doc[k])}`).join(',');
        for (const metric of d.Metrics) metricNames.add(`${metric.Name}|${key}`);
      }
    }
  }
  return { bytes, lines: lines.length, metricNames };
}

function restore(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

/** Monthly usage of everything that happens once per forecaster run, for N workloads. */
function perRunUsage(
  o: CostBenchOptions,
  contendedShare: number,
  forecastShare: number,
  item: { workload: number; profile: number },
): Usage {
  const u = emptyUsage();
  const runs = MONTH_MS / LOOP_TICK_MS;
  const n = o.workloads;
  const distributed = n > SINGLE_INVOCATION_MAX_WORKLOADS;
  const batches = Math.ceil(n / DEFAULT_BATCH_SIZE);
  const invocations = distributed ? batches : 1;
  const chunks = Math.ceil(n / DEFAULT_BATCH_SIZE);
  const asl = JSON.parse(
    readFileSync(join(__dirname, '..', 'statemachines', 'forecast-fanout.asl.json'), 'utf8'),
  ) as AslFile;
  u['sfn.standard-transitions'] = runs * fanoutTransitions(asl, distributed, batches);
  // ListWorkloads pages the registry once; each forecaster invocation pages (its part of) it again
  // and reads the page's profile items with it (BatchGetItem, each key billed as a GetItem).
  const pageReads = chunks * Math.max(0.5, Math.ceil((DEFAULT_BATCH_SIZE * item.workload) / 4096) / 2);
  const profileReads = n * readUnits(item.profile, false);
  u['dynamodb.read-units'] = runs * (2 * pageReads + profileReads);
  const listMs = lambdaDurationMs(5, LIST_MB, chunks * DEFAULT_ROUND_TRIP_MS);
  // Each chunk of 100: three phases of store calls 16 at a time, the events 10 a request, the
  // metrics read; only the share of workloads forecast in a run does anything beyond the first.
  const perChunkIo =
    Math.ceil(DEFAULT_BATCH_SIZE / 16) * DEFAULT_ROUND_TRIP_MS +
    forecastShare *
      (2 * Math.ceil(DEFAULT_BATCH_SIZE / 16) * DEFAULT_ROUND_TRIP_MS +
        Math.ceil(DEFAULT_BATCH_SIZE / 10) * DEFAULT_ROUND_TRIP_MS +
        GET_METRIC_DATA_MS);
  const ioMs = (chunks * perChunkIo) / invocations;
  const perRun = emptyUsage();
  const meter = {
    add: (k: keyof Usage, q: number) => {
      perRun[k] += q;
    },
  };
  meterInvocation(meter, LIST_MB, listMs);
  for (let i = 0; i < invocations; i++) meterInvocation(meter, FORECAST_MB, ioMs);
  const chunk = Math.min(n, distributed ? DEFAULT_BATCH_SIZE : n);
  const contended = Math.round(contendedShare * chunk);
  const emf = emfOfInvocation(chunk, contended, o.metrics);
  perRun['logs.ingested-bytes'] = invocations * (emf.bytes + PLATFORM_LOG_BYTES) + PLATFORM_LOG_BYTES;
  const monthly = scaleUsage(perRun, runs);
  // Distinct custom metrics in an hour: the run-level ones once, per-workload ones per contended
  // workload of the fleet (each invocation names its own contended workloads).
  const perWorkload = [...emf.metricNames].filter((k) => k.includes('workloadId=')).length;
  const runLevel = emf.metricNames.size - perWorkload;
  monthly['cloudwatch.custom-metric-hours'] =
    730 * (runLevel + (contended > 0 ? (perWorkload / contended) * contendedShare * n : 0));
  return addUsage(u, monthly);
}

interface ModeSample {
  mean: Usage;
  forecastShare: number;
  contendedShare: number;
  item: { workload: number; profile: number };
  quality: CadenceCost['quality'];
}

async function sampleMode(
  o: CostBenchOptions,
  mode: Cadence,
  picked: DemandTrace[],
  started: number,
): Promise<ModeSample> {
  const progress = o.onProgress ?? (() => {});
  let perWorkload = emptyUsage();
  const rows: SampleRun[] = [];
  for (const [i, trace] of picked.entries()) {
    const r = await runSample(trace, o, mode);
    rows.push(r);
    perWorkload = addUsage(perWorkload, r.usage);
    progress(
      `bench cost: ${mode} ${i + 1}/${picked.length} ${trace.name}: forecast ${r.run.work.forecastsComputed}/${r.run.work.forecastRuns} runs (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  const work = rows.reduce(
    (a, r) => ({
      runs: a.runs + r.run.work.forecastRuns,
      computed: a.computed + r.run.work.forecastsComputed,
    }),
    { runs: 0, computed: 0 },
  );
  return {
    mean: scaleUsage(perWorkload, 1 / rows.length),
    forecastShare: work.runs > 0 ? work.computed / work.runs : 1,
    contendedShare: rows.reduce((a, r) => a + r.contendedShare, 0) / rows.length,
    item: rows[0]?.run.stored ?? { workload: 2_000, profile: 0 },
    // Zeros floored at one evaluated step (τU) and one step of overload, as bench backtest does.
    quality: {
      tau_u: geomean(
        rows.map((r) => r.metrics.tau_u),
        rows.map((r) => 100 / Math.max(1, r.evaluatedSteps)),
      ),
      overload_minutes: geomean(
        rows.map((r) => r.metrics.overload_minutes),
        rows.map((r) => r.stepMinutes),
      ),
      unit_hours: geomean(rows.map((r) => r.metrics.unit_hours)),
    },
  };
}

function priceEstate(o: CostBenchOptions, n: number, m: ModeSample): CadenceCost {
  const month = addUsage(
    scaleUsage(m.mean, n),
    perRunUsage({ ...o, workloads: n }, m.contendedShare, m.forecastShare, m.item),
  );
  const bill = monthlyBill(month, pricesFor(o.region));
  const total = billTotal(bill);
  return {
    usd_per_month_by_service: bill,
    usd_per_month: total,
    usd_per_workload_month: total / n,
    usage_per_month: month,
    forecast_share: m.forecastShare,
    quality: m.quality,
  };
}

export async function runCostBench(o: CostBenchOptions): Promise<CostBenchResult> {
  pricesFor(o.region);
  const picked = Array.from({ length: o.sample }, (_, i) => o.traces[i % o.traces.length] as DemandTrace);
  const started = performance.now();
  const samples = {
    'every-step': await sampleMode(o, 'every-step', picked, started),
    adaptive: await sampleMode(o, 'adaptive', picked, started),
  };
  const cadence = {
    'every-step': priceEstate(o, o.workloads, samples['every-step']),
    adaptive: priceEstate(o, o.workloads, samples.adaptive),
  };
  const estates = [...new Set([...(o.alsoWorkloads ?? []), o.workloads])]
    .sort((x, y) => x - y)
    .map((n) => ({
      workloads: n,
      every_step_usd_per_workload_month: priceEstate(o, n, samples['every-step']).usd_per_workload_month,
      adaptive: priceEstate(o, n, samples.adaptive),
    }));
  const a = cadence.adaptive;
  const e = cadence['every-step'];
  const change = (x: number, y: number) => (y > 0 ? x / y - 1 : x > 0 ? Number.POSITIVE_INFINITY : 0);
  const byMetric = {
    tau_u: change(a.quality.tau_u, e.quality.tau_u),
    overload_minutes: change(a.quality.overload_minutes, e.quality.overload_minutes),
    unit_hours: change(a.quality.unit_hours, e.quality.unit_hours),
  };
  return {
    workloads: o.workloads,
    metrics: o.metrics,
    days: o.days,
    sample: o.sample,
    traces: picked.map((t) => t.name),
    region: o.region,
    prices_as_of: PRICES_AS_OF,
    cadence,
    estates,
    summary: {
      usd_per_workload_month: a.usd_per_workload_month,
      usd_per_month_by_service: a.usd_per_month_by_service,
      quality_change_vs_every_step: Math.max(...Object.values(byMetric).map((v) => Math.abs(v))),
      quality_change_by_metric: byMetric,
      target_usd_per_workload_month: TARGET_USD_PER_WORKLOAD_MONTH,
      target_quality_change: TARGET_QUALITY_CHANGE,
    },
  };
}

const usd = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4));

export function formatCostBench(r: CostBenchResult): string {
  const lines: string[] = [];
  lines.push(
    `bench cost: ${r.workloads} workloads x ${r.metrics} metrics, ${r.region} prices of ${r.prices_as_of}; per-workload usage measured on ${r.sample} simulated workloads (${[...new Set(r.traces)].join(', ')}) over ${r.days} day(s), scaled to a 730-hour month`,
  );
  lines.push('');
  lines.push(`${'USD per month'.padEnd(16)}${'every step'.padStart(14)}${'adaptive'.padStart(14)}`);
  for (const s of SERVICES)
    lines.push(
      `${s.padEnd(16)}${usd(r.cadence['every-step'].usd_per_month_by_service[s]).padStart(14)}${usd(r.cadence.adaptive.usd_per_month_by_service[s]).padStart(14)}`,
    );
  lines.push(
    `${'total'.padEnd(16)}${usd(r.cadence['every-step'].usd_per_month).padStart(14)}${usd(r.cadence.adaptive.usd_per_month).padStart(14)}`,
  );
  lines.push(
    `${'per workload'.padEnd(16)}${usd(r.cadence['every-step'].usd_per_workload_month).padStart(14)}${usd(r.cadence.adaptive.usd_per_workload_month).padStart(14)}`,
  );
  lines.push(
    `${'forecast share'.padEnd(16)}${r.cadence['every-step'].forecast_share.toFixed(3).padStart(14)}${r.cadence.adaptive.forecast_share.toFixed(3).padStart(14)}`,
  );
  if (r.estates.length > 1) {
    lines.push('');
    lines.push(
      `${'workloads'.padEnd(16)}${'every step'.padStart(14)}${'adaptive'.padStart(14)}   USD per workload-month (adaptive: USD per month)`,
    );
    for (const x of r.estates)
      lines.push(
        `${String(x.workloads).padEnd(16)}${usd(x.every_step_usd_per_workload_month).padStart(14)}${usd(x.adaptive.usd_per_workload_month).padStart(14)}   (${usd(x.adaptive.usd_per_month)})`,
      );
  }
  lines.push('');
  const q = r.summary.quality_change_by_metric;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
  lines.push(
    `decision quality, adaptive vs every step (geometric means over the sample): τU ${pct(q.tau_u)}, overload minutes ${pct(q.overload_minutes)}, unit-hours ${pct(q.unit_hours)}`,
  );
  lines.push(
    `targets: <= $${r.summary.target_usd_per_workload_month} per workload-month: ${r.summary.usd_per_workload_month <= r.summary.target_usd_per_workload_month ? 'met' : 'NOT met'} ($${r.summary.usd_per_workload_month.toFixed(4)}); quality within ${100 * r.summary.target_quality_change}%: ${r.summary.quality_change_vs_every_step <= r.summary.target_quality_change ? 'met' : 'NOT met'} (${(100 * r.summary.quality_change_vs_every_step).toFixed(2)}%)`,
  );
  lines.push(
    `Lambda time: measured CPU scaled to the configured memory (arm64) plus ${DEFAULT_ROUND_TRIP_MS} ms per modelled round trip to AWS; free tiers, data transfer and taxes excluded.`,
  );
  return `${lines.join('\n')}\n`;
}
