import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { recordRun } from '../../../functions/forecast';
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

  /** Every metric name and dimension set the documents declare: what CloudWatch bills as custom metrics. */
  function customMetrics(emf: Record<string, unknown>[]): Set<string> {
    const out = new Set<string>();
    for (const doc of emf) {
      const aws = doc._aws as {
        CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
      for (const d of aws.CloudWatchMetrics)
        for (const dims of d.Dimensions)
          for (const m of d.Metrics)
            out.add(`${m.Name}|${dims.map((k) => `${k}=${String(doc[k])}`).join(',')}`);
    }
    return out;
  }

  it('counts the run in one document and names failed workloads in the log, not in metric dimensions', () => {
    const result = run(
      ['good', 'bad-1', 'bad-2'].map((id) => ({
        workloadId: id,
        status: id === 'good' ? 'ok' : 'failed',
        metrics: [],
        published: [],
        ...(id === 'good' ? {} : { error: { name: 'NoDataError', message: 'metric cpu: no data' } }),
      })),
    );
    const warned: unknown[] = [];
    const logger = new Logger({ logLevel: 'SILENT' });
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
      warned.push(args[1]);
    });
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const metrics = new Metrics({ namespace: 'Shadowscale', serviceName: 'forecast' });

    recordRun(result, metrics, logger, { durationMs: 1234 });
    metrics.publishStoredMetrics();

    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      WorkloadsForecast: 3,
      WorkloadsOk: 1,
      WorkloadsFailed: 2,
      WorkloadsContended: 0,
      RunDuration: 1234,
    });
    expect(emf[0]).not.toHaveProperty('workloadId');
    expect(warned).toEqual([
      expect.objectContaining({ workloadId: 'bad-1', status: 'failed' }),
      expect.objectContaining({ workloadId: 'bad-2', status: 'failed' }),
    ]);
  });

  it('publishes the fleet maxima of contention and anomaly scores, never a per-workload series', () => {
    const hot = scored('shop', 0.25, true);
    (hot.metrics[0] as WorkloadOutcome['metrics'][number]).anomalyScore = 0.97;
    const emf = emfOf(run([hot, scored('calm', 0.05)]));

    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ ContentionScoreMax: 0.25, AnomalyScoreMax: 0.97, WorkloadsContended: 1 });
    expect(emf.filter((e) => 'workloadId' in e || 'metric' in e)).toEqual([]);
  });

  it('publishes the feedback loop as fleet means per horizon in the run document, no workload dimension', () => {
    const a = scored('a', 0.2);
    const b = scored('b', 0.3);
    const acc = (c80: number, ratio: number) => ({ '15m': { n: 30, mae: 0.1, ratio, c80, c95: 0.9 } });
    a.metrics = [{ ...(a.metrics[0] as MetricOutcome), scored: 2, accuracy: acc(0.7, 1) }];
    b.metrics = [
      { ...(b.metrics[0] as MetricOutcome), scored: 1, accuracy: acc(0.9, 3), reason: 'accuracy-drift' },
    ];
    const emf = emfOf(run([a, b]));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      ForecastsScored: 3,
      FeedbackRefits: 1,
      ForecastCoverage80_15m: 0.8,
      ForecastCoverage95_15m: 0.9,
      ForecastErrorRatio_15m: 2,
    });
    expect(emf[0]).not.toHaveProperty('ForecastCoverage80_1h');
    expect(emf[0]).not.toHaveProperty('workloadId');
  });

  it('declares the same custom metrics for 10 workloads as for 10,000 (a constant number of series)', () => {
    const fleet = (n: number): WorkloadOutcome[] => {
      const outcomes: WorkloadOutcome[] = [];
      for (let i = 0; i < n; i++) outcomes.push(scored(`w-${i}`, (i % 1000) / 1000, i % 1000 === 7));
      for (let i = 0; i < Math.min(30, n / 5); i++)
        outcomes[n - 1 - i] = { workloadId: `w-${n - 1 - i}`, status: 'failed', metrics: [], published: [] };
      return outcomes;
    };

    const small = emfOf(run(fleet(10)));
    const large = emfOf(run(fleet(10_000)));

    expect(customMetrics(large)).toEqual(customMetrics(small));
    expect(large).toHaveLength(1);
    expect(large[0]).toMatchObject({
      WorkloadsForecast: 10_000,
      WorkloadsFailed: 30,
      WorkloadsContended: 10,
      ContentionScoreMax: 0.999,
      // Nearest rank 9,472 of the 9,970 scores (the failed ones have none).
      ContentionScoreP95: 0.947,
    });
  });
});
