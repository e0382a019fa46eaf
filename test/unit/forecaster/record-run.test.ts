import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { recordRun } from '../../../functions/forecast';
import type { ForecastRunResult } from '../../../shared/forecaster';

describe('recordRun (forecast handler metrics)', () => {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    jest.restoreAllMocks();
  });

  /** The EMF blobs recordRun writes for `result`. */
  function emfOf(result: ForecastRunResult): Record<string, unknown>[] {
    // Powertools disables metrics in dev mode (the tests' setting) unless told otherwise.
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const metrics = new Metrics({ namespace: 'Shadowscale', serviceName: 'forecast' });
    recordRun(result, metrics, new Logger({ logLevel: 'SILENT' }));
    metrics.publishStoredMetrics();
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('counts the run and emits one WorkloadFailed metric per failed workload, named by a dimension', () => {
    const result: ForecastRunResult = {
      startedAt: 0,
      workloads: 3,
      ok: 1,
      degraded: 0,
      failed: 2,
      series: 2,
      eventsPublished: 1,
      publishFailures: [],
      outcomes: ['good', 'bad-1', 'bad-2'].map((id) => ({
        workloadId: id,
        status: id === 'good' ? 'ok' : 'failed',
        metrics: [],
        published: [],
        ...(id === 'good' ? {} : { error: { name: 'NoDataError', message: 'metric cpu: no data' } }),
      })),
    };

    const emf = emfOf(result);
    const failed = emf.filter((e) => e.WorkloadFailed === 1).map((e) => e.workloadId);
    expect(failed.sort()).toEqual(['bad-1', 'bad-2']);
    const counts = emf.find((e) => 'WorkloadsForecast' in e);
    expect(counts).toMatchObject({
      WorkloadsForecast: 3,
      WorkloadsFailed: 2,
      SeriesForecast: 2,
      EventsPublished: 1,
    });
  });

  it('emits the contention score and forecast vs observed per workload and metric, for the dashboard', () => {
    const result: ForecastRunResult = {
      startedAt: 0,
      workloads: 1,
      ok: 1,
      degraded: 0,
      failed: 0,
      series: 1,
      eventsPublished: 1,
      publishFailures: [],
      outcomes: [
        {
          workloadId: 'shop',
          status: 'ok',
          score: 0.25,
          metrics: [{ metric: 'requests', mode: 'incremental', newPoints: 1, nextP50: 4200, observed: 4000 }],
          published: [],
        },
      ],
    };

    const emf = emfOf(result);
    expect(emf).toContainEqual(expect.objectContaining({ workloadId: 'shop', ContentionScore: 0.25 }));
    expect(emf).toContainEqual(
      expect.objectContaining({ workloadId: 'shop', metric: 'requests', ForecastP50: 4200 }),
    );
    expect(emf).toContainEqual(
      expect.objectContaining({ workloadId: 'shop', metric: 'requests', Observed: 4000 }),
    );
  });
});
