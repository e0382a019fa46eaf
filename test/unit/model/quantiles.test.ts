import { ForecastInputError } from '../../../shared/errors';
import { engine, type RegularSeries } from '../../../shared/model';
import { calibrate, offsetAt, offsetPath } from '../../../shared/model/calibrate';
import { continuation, cumsum, nth, type SynthOptions, synth } from './synthetic';

/** Out-of-sample coverage of the central interval [lo, hi] over several independent noisy series. */
function coverage(lo: number, hi: number, noiseKind: 'gauss' | 'heavy'): number {
  let inside = 0;
  let total = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const o: SynthOptions = { days: 21, base: 200, daily: 40, weekday: 20, noise: 8, seed };
    const series = synth(o);
    if (noiseKind === 'heavy')
      series.values = series.values.map((v, i) => (i % 97 === 0 ? v + 60 * ((i % 3) - 1) : v));
    const state = engine.fit(series, { horizonSteps: 288, quantiles: [lo, hi] });
    const fc = engine.forecast(state, { horizonSteps: 288, quantiles: [lo, hi] });
    const next = continuation(o, 288).values;
    next.forEach((a, h) => {
      total++;
      if (a >= nth(nth(fc.quantiles, 0).values, h) && a <= nth(nth(fc.quantiles, 1).values, h)) inside++;
    });
  }
  return inside / total;
}

describe('quantiles calibrated from out-of-sample errors', () => {
  it.each([
    [0.1, 0.9, 'gauss', 0.7, 0.9],
    [0.025, 0.975, 'gauss', 0.88, 0.995],
    [0.1, 0.9, 'heavy', 0.7, 0.92],
  ] as const)('[%s, %s] on %s noise covers between %s and %s', (lo, hi, kind, min, max) => {
    const c = coverage(lo, hi, kind);
    expect(c).toBeGreaterThanOrEqual(min);
    expect(c).toBeLessThanOrEqual(max);
  });

  it('returns any quantile list, ordered and never crossing', () => {
    const series = synth({ days: 21, base: 100, daily: 20, noise: 4, seed: 2 });
    const state = engine.fit(series, { horizonSteps: 96 });
    const qs = [0.99, 0.05, 0.5, 0.7, 0.3];
    const fc = engine.forecast(state, { horizonSteps: 96, quantiles: qs });
    expect(fc.quantiles.map((q) => q.q)).toEqual([0.05, 0.3, 0.5, 0.7, 0.99]);
    for (let h = 0; h < 96; h++) {
      const col = fc.quantiles.map((q) => nth(q.values, h));
      expect([...col].sort((a, b) => a - b)).toEqual(col);
    }
    expect(fc.point).toEqual(nth(fc.quantiles, 2).values);
  });

  it('intervals widen with the horizon on a random walk', () => {
    const g = synth({ days: 21, base: 0, noise: 1, seed: 9 });
    g.values = cumsum(g.values, 1000);
    const state = engine.fit(g, { horizonSteps: 288 });
    const fc = engine.forecast(state, { horizonSteps: 288, quantiles: [0.1, 0.9] });
    const w = (h: number) => nth(nth(fc.quantiles, 1).values, h) - nth(nth(fc.quantiles, 0).values, h);
    expect(w(287)).toBeGreaterThan(3 * w(0));
  });

  it('never forecasts below zero for a series that never was', () => {
    const series = synth({ days: 21, base: 3, daily: 3, noise: 2, seed: 4 });
    series.values = series.values.map((v) => Math.max(0, v));
    const fc = engine.forecast(engine.fit(series, { horizonSteps: 288 }), {
      horizonSteps: 288,
      quantiles: [0.01, 0.5],
    });
    expect(Math.min(...nth(fc.quantiles, 0).values)).toBeGreaterThanOrEqual(0);
  });
});

describe('short history', () => {
  it('gets a forecast marked low confidence with wider intervals than a long history', () => {
    const o: SynthOptions = { days: 21, base: 100, daily: 20, noise: 4, seed: 8 };
    const long = synth(o);
    const short = { ...long, values: long.values.slice(-288) }; // one day: fewer than two seasons
    const q = { horizonSteps: 288, quantiles: [0.1, 0.9] };
    const sFit = engine.fit(short, { horizonSteps: 288 });
    const lFit = engine.fit(long, { horizonSteps: 288 });
    expect(sFit.confidence).toBe('low');
    expect(lFit.confidence).toBe('high');
    const width = (f: typeof sFit) => {
      const r = engine.forecast(f, q);
      return nth(r.quantiles, 1).values.reduce((a, v, i) => a + v - nth(nth(r.quantiles, 0).values, i), 0);
    };
    expect(width(sFit)).toBeGreaterThan(1.3 * width(lFit));
    const fc = engine.forecast(sFit, q);
    expect(fc.confidence).toBe('low');
    expect(fc.point.every(Number.isFinite)).toBe(true);
  });

  it('forecasts from as few as three points', () => {
    const state = engine.fit({ startMs: 0, intervalMs: 60_000, values: [5, 6, 7] }, { horizonSteps: 10 });
    const fc = engine.forecast(state, { horizonSteps: 10, quantiles: [0.1, 0.5, 0.9] });
    expect(fc.confidence).toBe('low');
    expect(nth(nth(fc.quantiles, 2).values, 9)).toBeGreaterThan(nth(nth(fc.quantiles, 0).values, 9));
  });
});

describe('fit and forecast rejections', () => {
  const ok = synth({ days: 3, base: 10, daily: 2 });
  it.each([
    ['too few numeric values', { ...ok, values: [1, Number.NaN, 2] }, {}, /at least 3/],
    ['a bad interval', { ...ok, intervalMs: 0 }, {}, /intervalMs must be a positive integer/],
    ['a bad start', { ...ok, startMs: Number.NaN }, {}, /startMs must be a finite/],
    ['a quantile out of (0, 1)', ok, { quantiles: [0.5, 1] }, /quantile 1 must be strictly between/],
    ['an unknown model', ok, { model: 'prophet' }, /unknown model "prophet"/],
    ['a bad horizon', ok, { horizonSteps: 0 }, /horizonSteps must be a positive integer/],
    ['a weekly model on three days', ok, { model: 'snaive-weekly' }, /needs more history/],
  ] as const)('fit rejects %s', (_name, bad, options, message) => {
    const series: RegularSeries = { ...bad, values: [...bad.values] };
    expect(() => engine.fit(series, options)).toThrow(ForecastInputError);
    expect(() => engine.fit(series, options)).toThrow(message);
  });

  it.each([
    ['a bad horizon', { horizonSteps: 1.5, quantiles: [0.5] }, /horizonSteps/],
    ['a bad quantile', { horizonSteps: 2, quantiles: [0] }, /quantile 0/],
  ])('forecast rejects %s', (_name, options, message) => {
    const state = engine.fit(ok, { horizonSteps: 12 });
    expect(() => engine.forecast(state, options)).toThrow(message);
  });
});

describe('calibration tables', () => {
  it('offsetPath agrees with offsetAt at every step, inside and beyond the calibrated horizon', () => {
    const errors = Float64Array.from({ length: 30 * 20 }, (_, i) => Math.sin(i * 12.9898) * (1 + (i % 20)));
    const c = calibrate(errors, 30, 20, [0.8], 1.1);
    for (const q of [0.025, 0.1, 0.5, 0.8, 0.97]) {
      const path = offsetPath(c, q, 50);
      for (let h = 1; h <= 50; h++) expect(path[h - 1]).toBeCloseTo(offsetAt(c, q, h), 12);
    }
  });
});
