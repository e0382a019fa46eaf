import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { ManualClock } from '../shared/clock';
import { type ForecasterPorts, type ForecastRunResult, runForecaster } from '../shared/forecaster';
import { validateDetail } from '../shared/forecaster/event-validation';
import { planFanout } from '../shared/forecaster/fanout';
import { engine, type ModelState } from '../shared/model';
import type { EventPublisher, PublishResult } from '../shared/ports/events';
import type { MetricQuery, MetricQueryResult, MetricsSource } from '../shared/ports/metrics';
import type { ContentionDecisionRecord, ModelStateRecord, Page } from '../shared/ports/repositories';
import type { ShadowscaleEvent } from '../shared/schemas/events';
import type { Prediction } from '../shared/schemas/series';
import type { WorkloadRecord } from '../shared/schemas/workload';
import { CHILD_FLAG, hash, type StoreReply, type StoreRequest, type StoreStats } from './forecaster-store';

/**
 * `shadowscale bench forecaster`: one scheduled tick of the forecaster over a large
 * estate. N workloads x M metrics at 5-minute periods; every series already has a fitted model
 * state (35 days of history) and the tick brings one new point per series: the incremental pass a
 * Lambda runs every 5 minutes, through the real forecaster service (read, update, forecast,
 * score, decide, store, publish).
 *
 * The forecaster runs in a process of its own that loads what the forecast Lambda loads (the
 * forecaster service, the model, the planning core), not the CLI's other commands, and drives the
 * pass the way the deployed fan-out does (shared/forecaster/fanout.ts): one invocation for a small
 * registry, else one per registry page, run one after the other as a single warm Lambda container
 * would run them. Measured in that process: CPU time of the pass (user + system) as series per
 * second per core, and its peak RSS (the OS's figure, getrusage's ru_maxrss, template fits
 * included). The store plays DynamoDB in a child of it (bench/forecaster-store.ts): items cross a
 * process boundary serialised, so the forecaster pays for (de)serialising every state, as it
 * would against a table, but does not hold the estate.
 * The metrics source is simulated in process (a daily wave per series with its own level,
 * amplitude, phase and noise). Fitting 30,000 models takes over an hour, so the stored states are
 * clones of a few templates fitted here on synthetic histories (their fit time is printed).
 * Wall time is printed too, but on a shared machine CPU time is the number to compare.
 */

const PERIOD_MS = 300_000;
const DAY_MS = 86_400_000;
const HISTORY_MS = 35 * DAY_MS;
/** 2026-01-05T00:00:00Z: the end of every template's history. */
const T_END = 1_767_571_200_000;
export const TARGET_SECONDS = 60;
export const TARGET_RSS_MB = 512;

export interface ForecasterBenchOptions {
  workloads: number;
  metrics: number;
  /** Distinct fitted states the series are cloned from. */
  templates: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface ForecasterBenchResult {
  workloads: number;
  series: number;
  templates: number;
  templateFitMsPerSeries: number;
  passWallSeconds: number;
  passCpuSeconds: number;
  seriesPerSecondPerCore: number;
  seriesPerSecondWall: number;
  ok: number;
  failed: number;
  eventsPublished: number;
  contended: number;
  stateKiB: number;
  peakRssMb: number;
  meetsTarget: boolean;
}

/** Per series: a level, a daily amplitude and phase, and noise, all derived from its name. */
export function seriesShape(key: string): (t: number) => number {
  const h = hash(key);
  const level = 1_000 + (h % 9_000);
  const amplitude = 0.2 + ((h >>> 8) % 50) / 100;
  const phase = ((h >>> 16) % 1_000) / 1_000;
  return (t: number) => {
    const noise = ((hash(`${key}:${t}`) % 1_000) / 1_000 - 0.5) * 0.06;
    return level * (1 + amplitude * Math.sin(2 * Math.PI * (t / DAY_MS + phase)) + noise);
  };
}

class SimulatedMetrics implements MetricsSource {
  constructor(private readonly visibleUntil: () => number) {}

  async fetch(queries: readonly MetricQuery[]): Promise<MetricQueryResult[]> {
    return queries.map((q) => {
      const shape = seriesShape(q.id);
      const step = q.metric.periodSeconds * 1000;
      const end = Math.min(q.endMs, this.visibleUntil());
      const points: { t: number; v: number }[] = [];
      for (let t = Math.ceil(q.startMs / step) * step; t < end; t += step) points.push({ t, v: shape(t) });
      return points.length === 0
        ? { id: q.id, kind: 'no-data' }
        : { id: q.id, kind: 'data', points, complete: true };
    });
  }
}

/** Validates every detail as the real publishers do, and counts. */
class CountingPublisher implements EventPublisher {
  published = 0;
  async publish(events: readonly ShadowscaleEvent[]): Promise<PublishResult> {
    const result: PublishResult = { published: 0, failed: [] };
    for (const event of events) {
      const error = validateDetail(event);
      if (error === undefined) result.published++;
      else result.failed.push({ event, error });
    }
    this.published += result.published;
    return result;
  }
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The repositories the forecaster uses, answered by the store child over IPC. */
class StoreClient {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: StoreReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter.reject(new Error(`bench store: ${reply.error}`));
      else waiter.resolve(reply.result);
    });
  }

  call<T>(request: WithoutId<StoreRequest>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...request, id } as StoreRequest);
    });
  }

  ports(): ForecasterPorts['repositories'] {
    const parse = <T>(json: string | undefined): T | undefined =>
      json === undefined ? undefined : (JSON.parse(json) as T);
    return {
      workloads: {
        get: (workloadId) => this.call<WorkloadRecord | undefined>({ op: 'get', workloadId }),
        list: (options = {}) =>
          this.call<Page<WorkloadRecord>>({
            op: 'list',
            limit: options.limit ?? 100,
            ...(options.cursor ? { cursor: options.cursor } : {}),
          }),
        putProfile: async (workloadId, profile) => {
          await this.call({ op: 'putProfile', workloadId, json: JSON.stringify(profile) });
        },
      },
      predictions: {
        putPrediction: async (p) => {
          await this.call({
            op: 'putPrediction',
            key: `${p.workloadId}/${p.metric}`,
            json: JSON.stringify(p),
          });
        },
        getModelState: async (w, m) =>
          parse<ModelStateRecord>(await this.call<string | undefined>({ op: 'getState', key: `${w}/${m}` })),
        putModelState: async (s) => {
          await this.call({ op: 'putState', key: `${s.workloadId}/${s.metric}`, json: JSON.stringify(s) });
        },
        getDecision: async (w) =>
          parse<ContentionDecisionRecord>(await this.call<string | undefined>({ op: 'getDecision', key: w })),
        putDecision: async (d) => {
          await this.call({ op: 'putDecision', key: d.workloadId, json: JSON.stringify(d) });
        },
        history: async (w, m, options = {}) =>
          (
            await this.call<string[]>({
              op: 'history',
              key: `${w}/${m}`,
              sinceMs: options.sinceMs ?? 0,
              limit: options.limit ?? 288,
            })
          ).map((json) => JSON.parse(json) as Prediction),
      },
      signals: { forWorkload: async () => [] },
    };
  }
}

function startStore(): ChildProcess {
  // The store holds the whole estate (over a GB at 10,000 x 3): it gets its own heap limit, and
  // not the NODE_OPTIONS this process may have been given to play a Lambda of some size.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  return fork(join(__dirname, 'forecaster-store.ts'), [CHILD_FLAG], {
    execArgv: ['--max-old-space-size=8192', '--require', require.resolve('tsx/cjs')],
    env,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Flag of the forecaster process (see runForecasterBench). */
const LAMBDA_FLAG = '--bench-forecaster-lambda';

type LambdaMessage =
  | { kind: 'progress'; phase: string; done: number; total: number }
  | { kind: 'result'; result: ForecasterBenchResult }
  | { kind: 'error'; message: string };

/**
 * Runs the bench in a forecaster process of its own (see the file header) and relays its
 * progress; resolves with what that process measured.
 */
export function runForecasterBench(options: ForecasterBenchOptions): Promise<ForecasterBenchResult> {
  const { onProgress, ...plain } = options;
  const child = fork(__filename, [LAMBDA_FLAG], {
    execArgv: ['--require', require.resolve('tsx/cjs')],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (message: LambdaMessage) => {
      if (message.kind === 'progress') onProgress?.(message.phase, message.done, message.total);
      else {
        settled = true;
        if (message.kind === 'result') resolve(message.result);
        else reject(new Error(`bench forecaster: ${message.message}`));
        child.disconnect();
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!settled)
        reject(new Error(`bench forecaster: the forecaster process exited (${signal ?? `code ${code}`})`));
    });
    child.send(plain);
  });
}

/** One forecaster tick over the whole registry, batched as the deployed fan-out batches it. */
async function tick(ports: ForecasterPorts, progress: (done: number) => void): Promise<ForecastRunResult[]> {
  const plan = await planFanout(ports.repositories.workloads);
  if (plan.mode === 'single') return [await runForecaster({}, ports, { onProgress: progress })];
  const runs: ForecastRunResult[] = [];
  let before = 0;
  for (const batch of plan.batches) {
    const run = await runForecaster({ page: batch.page }, ports, {
      onProgress: (done) => progress(before + done),
    });
    before += run.workloads;
    // The Map keeps a child's output; the container keeps nothing between invocations.
    runs.push({ ...run, outcomes: [] });
  }
  return runs;
}

async function measure(
  options: Omit<ForecasterBenchOptions, 'onProgress'>,
  progress: NonNullable<ForecasterBenchOptions['onProgress']>,
): Promise<ForecasterBenchResult> {
  const { workloads, metrics, templates } = options;

  // Templates: full fits on 35 days of synthetic history (the forecaster's daily refit path).
  const fitted: ModelState[] = [];
  const fitStart = performance.now();
  for (let k = 0; k < templates; k++) {
    const shape = seriesShape(`template-${k}`);
    const startMs = T_END - HISTORY_MS;
    const values = Array.from({ length: HISTORY_MS / PERIOD_MS }, (_, i) => shape(startMs + i * PERIOD_MS));
    fitted.push(
      engine.fit(
        { startMs, intervalMs: PERIOD_MS, values },
        { quantiles: [0.5, 0.8, 0.95], horizonSteps: 12 },
      ),
    );
    progress('fit templates', k + 1, templates);
  }
  const templateFitMsPerSeries = (performance.now() - fitStart) / Math.max(1, templates);

  const child = startStore();
  try {
    const store = new StoreClient(child);
    await store.call({ op: 'seed', templates: fitted, workloads, metrics });
    fitted.length = 0;

    // The tick: 6.5 minutes after the last point, so one new settled point per series.
    const clock = new ManualClock(T_END + PERIOD_MS + 90_000);
    const events = new CountingPublisher();
    const ports: ForecasterPorts = {
      clock,
      metrics: new SimulatedMetrics(() => clock.now()),
      events,
      repositories: store.ports(),
    };
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const runs = await tick(ports, (done) => progress('forecast', done, workloads));
    const result = {
      series: runs.reduce((n, r) => n + r.series, 0),
      ok: runs.reduce((n, r) => n + r.ok, 0),
      failed: runs.reduce((n, r) => n + r.failed, 0),
    };
    const passWallSeconds = (performance.now() - wall0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const passCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const stats = await store.call<StoreStats>({ op: 'stats' });
    const seriesPerSecondPerCore = result.series / passCpuSeconds;
    return {
      workloads,
      series: result.series,
      templates,
      templateFitMsPerSeries,
      passWallSeconds,
      passCpuSeconds,
      seriesPerSecondPerCore,
      seriesPerSecondWall: result.series / passWallSeconds,
      ok: result.ok,
      failed: result.failed,
      eventsPublished: events.published,
      contended: stats.contended,
      stateKiB: stats.stateBytes / Math.max(1, stats.states) / 1024,
      peakRssMb,
      meetsTarget:
        result.failed === 0 &&
        (workloads * metrics) / seriesPerSecondPerCore <= TARGET_SECONDS &&
        peakRssMb <= TARGET_RSS_MB,
    };
  } finally {
    child.disconnect();
  }
}

/** Entry of the forecaster process: measure once, report, and wait to be let go. */
function lambdaMain(): void {
  const send = (message: LambdaMessage) => process.send?.(message);
  process.once('message', (options: Omit<ForecasterBenchOptions, 'onProgress'>) => {
    measure(options, (phase, done, total) => send({ kind: 'progress', phase, done, total })).then(
      (result) => send({ kind: 'result', result }),
      (error: unknown) =>
        send({ kind: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes(LAMBDA_FLAG) && process.send) lambdaMain();

export function formatForecasterBench(r: ForecasterBenchResult): string {
  const perMetric = r.series / Math.max(1, r.workloads);
  return [
    `forecaster bench: ${r.workloads} workloads x ${perMetric} metrics = ${r.series} series; incremental pass, one new 5-minute point per series`,
    `  model states: ${r.stateKiB.toFixed(1)} KiB each serialised, cloned from ${r.templates} templates; template full fit (35 days): ${r.templateFitMsPerSeries.toFixed(0)} ms per series`,
    `  pass: ${r.passCpuSeconds.toFixed(1)} s CPU (user+system), ${r.passWallSeconds.toFixed(1)} s wall`,
    `  series/s per core: ${r.seriesPerSecondPerCore.toFixed(0)} (wall: ${r.seriesPerSecondWall.toFixed(0)} series/s)`,
    `  peak RSS of the forecaster process (the CLI and the store run in other processes): ${r.peakRssMb.toFixed(0)} MB`,
    `  workloads ok ${r.ok}, failed ${r.failed}; events published ${r.eventsPublished}; contended ${r.contended}`,
    `  target (${r.workloads * perMetric} series within ${TARGET_SECONDS} s of one core, <= ${TARGET_RSS_MB} MB): ${r.meetsTarget ? 'met' : 'NOT met'}`,
    '',
  ].join('\n');
}
