import { runForecaster } from '../../../shared/forecaster';
import type { FitOptions, ForecastEngine } from '../../../shared/model/api';
import { type MetricFingerprint, updateFingerprint } from '../../../shared/profile/fingerprint';
import { harness, lastValueEngine, PERIOD, T0, workload } from './helpers';

const MIN = 60_000;
const DAY = 86_400_000;

/** The last value, with intervals `width` and `2 * width` above it; records every fit's options. */
function intervalEngine(width: number) {
  const fits: FitOptions[] = [];
  const engine: ForecastEngine = {
    ...lastValueEngine,
    fit(series, options = {}) {
      fits.push(options);
      return lastValueEngine.fit(series, options);
    },
    forecast(state, options) {
      const f = lastValueEngine.forecast(state, options);
      return {
        ...f,
        quantiles: f.quantiles.map((q) => ({
          q: q.q,
          values: f.point.map((v) => (q.q >= 0.95 ? v + 2 * width : q.q >= 0.8 ? v + width : v)),
        })),
      };
    },
  };
  return { engine, fits };
}

describe('forecaster run: the prediction feedback loop', () => {
  it('scores stored forecasts as their targets are observed, keeps it in the profile, and refits early on drift', async () => {
    const h = harness();
    // Requests swing between 30k and 50k every period: a last-value forecast misses by 20k,
    // far outside its 1k-wide intervals.
    h.demand.set('shop/requests', (t) => ((t / PERIOD) % 2 === 0 ? 30_000 : 50_000));
    h.demand.set('shop/cpu', () => 500);
    await h.repositories.workloads.create(
      workload('shop', (w) => {
        (w.metrics as { feedback?: unknown }[])[0] = {
          ...(w.metrics as object[])[0],
          feedback: { minScored: 6, learningRate: 0.2 },
        };
      }),
    );
    const { engine, fits } = intervalEngine(1_000);
    const opts = { engine, historyMs: 2 * DAY };
    await runForecaster({}, h.ports, opts);
    expect(fits).toHaveLength(2);
    const first = (await h.repositories.workloads.get('shop'))?.profile.metrics?.requests;
    expect(first?.model).toBe('last-value');
    expect(first?.accuracy?.h).toEqual({});

    const outcomes = [];
    for (let k = 1; k <= 14; k++) {
      h.at(T0 + k * 5 * MIN);
      const run = await runForecaster({}, h.ports, opts);
      outcomes.push(run.outcomes[0]?.metrics.find((m) => m.metric === 'requests'));
    }
    // A run reads points up to a period before the last settled one, so the first forecast's
    // step 15 minutes after it was made is observed at the fifth run; one per run after that.
    expect(outcomes.map((o) => o?.scored ?? 0).slice(0, 6)).toEqual([0, 0, 0, 0, 1, 1]);
    const refit = outcomes.findIndex((o) => o?.reason === 'accuracy-drift');
    expect(refit).toBeGreaterThan(0);
    expect(outcomes[refit]?.feedbackDrift).toMatch(/^15m: (error|coverage)/);
    expect(fits.length).toBeGreaterThanOrEqual(3);
    // cpu is forecast perfectly: never refitted early.
    expect(fits.length).toBeLessThan(2 + 14);

    const profile = (await h.repositories.workloads.get('shop'))?.profile;
    const requests = profile?.metrics?.requests;
    expect(requests?.feedbackRefit?.detail).toMatch(/^15m/);
    expect(requests?.accuracy?.since).toBeDefined();
    const cpu = profile?.metrics?.cpu?.accuracy?.h['15m'];
    expect(cpu?.c95).toBe(1);
    expect(cpu?.mae).toBe(0);
    // The profile stays small: fingerprints, accuracy, model and correlation of two metrics.
    expect(JSON.stringify(profile).length).toBeLessThan(4_000);
    expect(JSON.stringify(requests?.accuracy).length).toBeLessThan(400);
    expect(profile?.correlation?.['cpu|requests']?.n).toBeGreaterThan(0);
    // The definition's version is untouched by the forecaster's profile writes.
    expect((await h.repositories.workloads.get('shop'))?.version).toBe(1);
  });

  it('cold start: a series with one day of history fits with the nearest known series model', async () => {
    const h = harness();
    const daily = (t: number) => 40_000 + 20_000 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    h.demand.set('new/requests', (t) => (t >= T0 - DAY ? daily(t) * 0.5 : undefined));
    h.demand.set('new/cpu', (t) => (t >= T0 - DAY ? 400 : undefined));
    await h.repositories.workloads.create(workload('old'));
    await h.repositories.workloads.create(workload('flat'));
    const learnt = (f: (t: number) => number) => {
      const points = Array.from({ length: (14 * DAY) / PERIOD }, (_, i) => {
        const t = T0 - 30 * DAY + i * PERIOD;
        return { t, v: f(t) };
      });
      return updateFingerprint(undefined, points) as MetricFingerprint;
    };
    await h.repositories.workloads.putProfile('old', {
      demand: {},
      metrics: { requests: { fingerprint: learnt(daily), model: 'snaive-daily' } },
    });
    await h.repositories.workloads.putProfile('flat', {
      demand: {},
      metrics: { requests: { fingerprint: learnt(() => 40_000), model: 'ets-damped' } },
    });
    await h.repositories.workloads.create(workload('new'));
    const { engine, fits } = intervalEngine(1_000);
    const run = await runForecaster({ workloadIds: ['new'] }, h.ports, { engine, historyMs: 2 * DAY });
    const requests = run.outcomes[0]?.metrics.find((m) => m.metric === 'requests');
    expect(requests?.coldStart?.from).toEqual({ workloadId: 'old', metric: 'requests' });
    expect(fits.map((f) => f.model)).toContain('snaive-daily');
    const stored = (await h.repositories.workloads.get('new'))?.profile.metrics?.requests?.coldStart;
    expect(stored).toMatchObject({ workloadId: 'old', metric: 'requests', model: 'last-value' });
  });
});
