import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { recordRun } from '../../../functions/forecast';
import {
  DEFAULT_SERIES_WORKLOADS,
  mostContended,
  SERIES_WORKLOADS_ENV,
  seriesWorkloadsFromEnv,
} from '../../../functions/forecast/emf';
import type { ForecastRunResult, MetricOutcome, WorkloadOutcome } from '../../../shared/forecaster';

describe('recordRun (forecast handler metrics)', () => {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    jest.restoreAllMocks();
  });

  /** The EMF documents (one per log line) recordRun writes for `result`. */
  function emfOf(result: ForecastRunResult, options: Parameters<typeof recordRun>[3] = {}) {
    // Powertools disables metrics in dev mode (the tests' setting) unless told otherwise.
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const metrics = new Metrics({ namespace: 'Shadowscale', serviceName: 'forecast' });
    recordRun(result, metrics, new Logger({ logLevel: 'SILENT' }), options);
    metrics.publishStoredMetrics();
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  function run(outcomes: WorkloadOutcome[]): ForecastRunResult {
    const count = (s: WorkloadOutcome['status']) => outcomes.filter((o) => o.status === s).length;
    return {
      startedAt: 0,
      workloads: outcomes.length,
      skipped: 0,
      ok: count('ok'),
      degraded: count('degraded'),
      failed: count('failed'),
      series: outcomes.reduce((n, o) => n + o.metrics.length, 0),
      eventsPublished: outcomes.filter((o) => o.transition).length,
      publishFailures: [],
      outcomes,
    };
  }

  /** A forecast workload with three metrics (forecast and observed each), the fleet's usual shape. */
  function scored(id: string, score: number, contended = false): WorkloadOutcome {
    return {
      workloadId: id,
      status: 'ok',
      score,
      contended,
      metrics: ['requests', 'cpu', 'memory'].map((metric) => ({
        metric,
        mode: 'incremental' as const,
        newPoints: 1,
        nextP50: 100,
        observed: 90,
      })),
      published: [],
    };
  }

  it('counts the run and emits one WorkloadFailed metric per failed workload, named by a dimension', () => {
    const result = run(
      ['good', 'bad-1', 'bad-2'].map((id) => ({
        workloadId: id,
        status: id === 'good' ? 'ok' : 'failed',
        metrics: [],
        published: [],
        ...(id === 'good' ? {} : { error: { name: 'NoDataError', message: 'metric cpu: no data' } }),
      })),
    );

    const emf = emfOf(result, { durationMs: 1234 });

    const failed = emf.filter((e) => e.WorkloadFailed === 1).map((e) => e.workloadId);
    expect(failed.sort()).toEqual(['bad-1', 'bad-2']);
    expect(emf.find((e) => 'WorkloadsForecast' in e)).toMatchObject({
      WorkloadsForecast: 3,
      WorkloadsOk: 1,
      WorkloadsFailed: 2,
      WorkloadsContended: 0,
      RunDuration: 1234,
    });
  });

  it('emits the contention score and forecast vs observed per contended workload and metric, for the dashboard', () => {
    const result = run([
      {
        workloadId: 'shop',
        status: 'ok',
        score: 0.25,
        contended: true,
        metrics: [{ metric: 'requests', mode: 'incremental', newPoints: 1, nextP50: 4200, observed: 4000 }],
        published: [],
      },
    ]);

    const emf = emfOf(result);

    expect(emf).toContainEqual(expect.objectContaining({ workloadId: 'shop', ContentionScore: 0.25 }));
    expect(emf).toContainEqual(
      expect.objectContaining({ workloadId: 'shop', metric: 'requests', ForecastP50: 4200 }),
    );
    expect(emf).toContainEqual(
      expect.objectContaining({ workloadId: 'shop', metric: 'requests', Observed: 4000 }),
    );
  });

  it('publishes no per-workload series for calm workloads (each would be a custom metric billed by the hour)', () => {
    const calm = run([
      {
        workloadId: 'shop',
        status: 'ok',
        score: 0.25,
        contended: false,
        metrics: [{ metric: 'requests', mode: 'incremental', newPoints: 1, nextP50: 4200, observed: 4000 }],
        published: [],
      },
    ]);
    expect(emfOf(calm).filter((e) => 'workloadId' in e)).toEqual([]);
  });

  it('keeps the EMF lines of a 10,000-workload run bounded: fleet aggregates, series for contended ones only', () => {
    // 10 contended workloads among 10,000, and 30 failed ones.
    const outcomes: WorkloadOutcome[] = [];
    for (let i = 0; i < 10_000; i++) outcomes.push(scored(`w-${i}`, (i % 1000) / 1000, i % 1000 === 7));
    for (let i = 0; i < 30; i++)
      outcomes[9_999 - i] = { workloadId: `w-${9_999 - i}`, status: 'failed', metrics: [], published: [] };

    const emf = emfOf(run(outcomes), { seriesWorkloads: 25 });

    // 1 run document + the 10 contended workloads × (1 score + 3 metrics × 2 values) + 25 capped
    // WorkloadFailed.
    expect(emf).toHaveLength(1 + 10 * 7 + 25);
    const series = new Set(emf.filter((e) => 'ContentionScore' in e).map((e) => e.workloadId));
    expect(series.size).toBe(10);
    for (let i = 7; i < 10_000; i += 1000) expect(series.has(`w-${i}`)).toBe(true);
    expect(emf.find((e) => 'WorkloadsForecast' in e)).toMatchObject({
      WorkloadsForecast: 10_000,
      WorkloadsFailed: 30,
      WorkloadsContended: 10,
      ContentionScoreMax: 0.999,
      // Nearest rank 9,472 of the 9,970 scores (the failed ones have none).
      ContentionScoreP95: 0.947,
    });
  });

  it('publishes the feedback loop as fleet means per horizon in the run document, no workload dimension', () => {
    const a = scored('a', 0.2);
    const b = scored('b', 0.3);
    const acc = (c80: number, ratio: number) => ({ '15m': { n: 30, mae: 0.1, ratio, c80, c95: 0.9 } });
    a.metrics = [{ ...(a.metrics[0] as MetricOutcome), scored: 2, accuracy: acc(0.7, 1) }];
    b.metrics = [
      { ...(b.metrics[0] as MetricOutcome), scored: 1, accuracy: acc(0.9, 3), reason: 'accuracy-drift' },
    ];
    const emf = emfOf(run([a, b]), { seriesWorkloads: 0 });
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      ForecastsScored: 3,
      FeedbackRefits: 1,
      ForecastCoverage80_15m: 0.8,
      ForecastCoverage95_15m: 0.9,
      ForecastErrorRatio_15m: 2,
    });
    expect(emf[0]).not.toHaveProperty('ForecastCoverage80_1h');
  });

  it('publishes no per-workload series at a cap of 0, and the default cap from the environment', () => {
    const emf = emfOf(run([scored('a', 0.9, true), scored('b', 0.1)]), { seriesWorkloads: 0 });
    expect(emf).toHaveLength(1);

    expect(seriesWorkloadsFromEnv({})).toBe(DEFAULT_SERIES_WORKLOADS);
    expect(seriesWorkloadsFromEnv({ [SERIES_WORKLOADS_ENV]: '5' })).toBe(5);
    expect(() => seriesWorkloadsFromEnv({ [SERIES_WORKLOADS_ENV]: 'many' })).toThrow(
      expect.objectContaining({ name: 'ValidationError', message: expect.stringContaining('"many"') }),
    );
  });

  it('ranks contended workloads first, then by descending score', () => {
    const order = mostContended([scored('low', 0.1), scored('high', 0.9), scored('hot', 0.5, true)], 2);
    expect(order.map((o) => o.workloadId)).toEqual(['hot', 'high']);
  });
});
