import { engine, MODEL_NAMES } from '../../../shared/model';
import { continuation, cumsum, DAY, MIN5, mae, type SynthOptions, synth, T0, truth } from './synthetic';

/** Forecast `steps` ahead with one named model and compare with the noise-free truth. */
function forecastError(model: string, o: SynthOptions, steps: number): { err: number; scale: number } {
  const series = synth(o);
  const state = engine.fit(series, { model, horizonSteps: steps });
  const fc = engine.forecast(state, { horizonSteps: steps, quantiles: [0.5] });
  const t0 = series.startMs + series.values.length * series.intervalMs;
  const want = fc.point.map((_, h) => truth(o, t0 + h * series.intervalMs));
  return { err: mae(fc.point, want), scale: o.daily ?? 1 };
}

const pureDaily: SynthOptions = { days: 21, base: 100, daily: 20 };
const dailyWeekly: SynthOptions = { days: 28, base: 100, daily: 20, weekday: 30 };
const trend: SynthOptions = { days: 21, base: 100, daily: 10, trendPerDay: 5 };
const step: SynthOptions = { days: 21, base: 100, daily: 10, stepAtDay: 20.5, stepBy: 40 };

describe('models on synthetic series with known answers', () => {
  it.each([
    // model, series, horizon (steps), largest MAE as a fraction of the daily amplitude
    ['snaive-daily', pureDaily, 288, 1e-9],
    ['snaive-weekly', pureDaily, 288, 1e-9],
    ['snaive-weekly', dailyWeekly, 288, 1e-9],
    ['mseas-ets', pureDaily, 288, 0.02],
    ['mseas-ets-weekly', dailyWeekly, 288, 0.05],
    ['ets-damped', { days: 7, base: 50, noise: 0 }, 288, 1e-9],
    ['naive', { days: 7, base: 50, noise: 0 }, 12, 1e-9],
    ['mseas-ets', trend, 12, 0.05],
    ['mseas-ets', step, 12, 0.1],
  ] as const)('%s forecasts %o within tolerance', (model, o, steps, tol) => {
    const { err, scale } = forecastError(model, o, steps);
    expect(err).toBeLessThanOrEqual(tol * Math.max(1, scale));
  });

  it('tracks a wandering level under a daily shape (chosen on the series own past)', () => {
    // A level that wanders (random walk) on top of a strong daily shape: the next hour is best
    // read from the last value, the next day from the shape.
    const o: SynthOptions = { days: 21, base: 100, daily: 30, noise: 0.5, seed: 21 };
    const series = synth(o);
    const walk = cumsum(synth({ days: 21, base: 0, noise: 0.8, seed: 22 }).values);
    series.values = series.values.map((v, i) => v + (walk[i] as number));
    const state = engine.fit(series, { horizonSteps: 288 });
    const fc = engine.forecast(state, { horizonSteps: 288, quantiles: [0.5] });
    const n = series.values.length;
    const tNext = series.startMs + n * MIN5;
    const shape = (t: number) => truth({ ...o, base: 0 }, t);
    const expected = (series.values[n - 1] as number) + shape(tNext) - shape(tNext - MIN5);
    // Seasonal naive would be off by the level's wander over a day (about 0.8 * sqrt(288) = 14).
    expect(Math.abs((fc.point[0] as number) - expected)).toBeLessThan(3);
    expect(state.model).toMatch(/mseas|ets|naive/);
  });

  it('daily seasonal naive misses the weekly pattern that the weekly models capture', () => {
    const daily = forecastError('snaive-daily', dailyWeekly, 288 * 7).err;
    const weekly = forecastError('snaive-weekly', dailyWeekly, 288 * 7).err;
    expect(weekly).toBeLessThan(daily / 10);
  });

  it('auto beats daily seasonal naive on a noisy series by choosing from the series own past', () => {
    const o: SynthOptions = { days: 28, base: 100, daily: 20, weekday: 15, noise: 5, seed: 7 };
    const series = synth(o);
    const state = engine.fit(series, { horizonSteps: 288 });
    const fc = engine.forecast(state, { horizonSteps: 288, quantiles: [0.5] });
    const next = continuation(o, 288);
    const sn = series.values.slice(-288);
    expect(mae(fc.point, next.values)).toBeLessThan(0.8 * mae(sn, next.values));
    expect(state.confidence).toBe('high');
  });

  it('ensemble averages several models and names them', () => {
    const series = synth({ days: 21, base: 100, daily: 20, noise: 3, seed: 3 });
    const state = engine.fit(series, { model: 'ensemble', horizonSteps: 48 });
    // One group for the whole horizon, or one per horizon segment: every name is a known model.
    expect(state.model).toMatch(/^(ensemble\(|horizon\(|[a-z-]+$)/);
    const names = state.model.match(/[a-z]+(-[a-z]+)*/g) ?? [];
    for (const name of names.filter((x) => x !== 'ensemble' && x !== 'horizon'))
      expect(MODEL_NAMES).toContain(name);
    const fc = engine.forecast(state, { horizonSteps: 48, quantiles: [0.5] });
    expect(fc.point.every(Number.isFinite)).toBe(true);
  });

  it.each(MODEL_NAMES.map((m) => [m]))('model %s can be asked for by name', (model) => {
    const series = synth({ days: 22, base: 100, daily: 20, noise: 1, seed: 11 });
    const state = engine.fit(series, { model, horizonSteps: 24 });
    expect(state.model).toBe(model);
    const fc = engine.forecast(state, { horizonSteps: 24, quantiles: [0.5] });
    expect(fc.point).toHaveLength(24);
    expect(fc.startMs).toBe(T0 + series.values.length * MIN5);
  });

  it('works on a 30-minute series (daily period of 48 steps)', () => {
    const o: SynthOptions = { days: 21, base: 100, daily: 20, intervalMs: 1_800_000 };
    const { err } = forecastError('snaive-daily', o, 48);
    expect(err).toBeLessThan(1e-9);
    expect(DAY / 1_800_000).toBe(48);
  });
});
