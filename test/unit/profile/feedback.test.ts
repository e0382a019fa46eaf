import {
  accuracyDrift,
  DEFAULT_FEEDBACK,
  FeedbackSettings,
  joinForecasts,
  longestBucket,
  type MetricAccuracy,
  resetAccuracy,
  scoreForecasts,
} from '../../../shared/profile/feedback';
import type { Prediction } from '../../../shared/schemas/series';

const MIN = 60_000;
const STEP = 5 * MIN;
const T0 = Date.UTC(2026, 0, 5);

/** A flat forecast made at `generatedAt`: p50, q0.8 = p50 + w80, q0.95 = p50 + w95 for `steps` steps. */
function forecast(generatedAt: number, p50: number, w80: number, w95: number, steps = 24): Prediction {
  const startMs = generatedAt;
  const fill = (v: number) => Array(steps).fill(v);
  return {
    workloadId: 'w',
    metric: 'requests',
    generatedAt,
    startMs,
    intervalMs: STEP,
    point: fill(p50),
    quantiles: [
      { q: 0.5, values: fill(p50) },
      { q: 0.8, values: fill(p50 + w80) },
      { q: 0.95, values: fill(p50 + w95) },
    ],
    model: 'test',
    confidence: 'high',
    signals: [],
  };
}

/** Forecasts every 5 minutes over [from, to). */
const forecastsEvery5m = (from: number, to: number, make: (t: number) => Prediction) =>
  Array.from({ length: (to - from) / STEP }, (_, i) => make(from + i * STEP));

describe('feedback loop: joining stored forecasts with what happened', () => {
  it('joins each actual, per horizon, with the newest forecast made at least that long before', () => {
    const forecasts = forecastsEvery5m(T0, T0 + 2 * 60 * MIN, (t) => forecast(t, t, 0, 0));
    // p50 = the time it was made, so the join says which forecast was used.
    const actual = { t: T0 + 90 * MIN, v: 1 };
    const joined = joinForecasts(forecasts, [actual]);
    expect(joined.map((j) => [j.bucket, (actual.t - j.p50) / MIN])).toEqual([
      ['15m', 15],
      ['1h', 60],
    ]);
  });

  it('skips forecasts older than `since`, and steps that do not land on the actual', () => {
    const forecasts = forecastsEvery5m(T0, T0 + 60 * MIN, (t) => forecast(t, 100, 10, 20));
    expect(joinForecasts(forecasts, [{ t: T0 + 30 * MIN, v: 1 }], T0 + 20 * MIN)).toEqual([]);
    expect(joinForecasts(forecasts, [{ t: T0 + 30 * MIN + 1, v: 1 }])).toEqual([]);
  });

  it.each([
    // actual, expected 80 % / 95 % coverage of one scored point, |error| / level, error / promised
    { actual: 100, c80: 1, c95: 1, mae: 0, ratio: 0 },
    { actual: 105, c80: 1, c95: 1, mae: 0.05, ratio: 5 / ((16.449 * Math.sqrt(2 / Math.PI)) / 1.6449) },
    { actual: 115, c80: 0, c95: 1, mae: 0.15, ratio: 15 / ((16.449 * Math.sqrt(2 / Math.PI)) / 1.6449) },
    { actual: 130, c80: 0, c95: 0, mae: 0.3, ratio: 30 / ((16.449 * Math.sqrt(2 / Math.PI)) / 1.6449) },
    { actual: 70, c80: 1, c95: 1, mae: 0.3, ratio: 30 / ((16.449 * Math.sqrt(2 / Math.PI)) / 1.6449) },
  ])(
    'one forecast (p50 100, q80 110, q95 116.449) and actual $actual',
    ({ actual, c80, c95, mae, ratio }) => {
      const f = forecast(T0, 100, 10, 16.449);
      const { accuracy, scored } = scoreForecasts(undefined, [f], [{ t: T0 + 15 * MIN, v: actual }], 100);
      expect(scored).toBe(1);
      const h = accuracy.h['15m'];
      expect(h?.n).toBe(1);
      expect(h?.c80).toBe(c80);
      expect(h?.c95).toBe(c95);
      expect(h?.mae).toBeCloseTo(mae, 3);
      expect(h?.ratio).toBeCloseTo(ratio, 2);
      expect(accuracy.through).toBe(T0 + 15 * MIN);
    },
  );

  it('coverage of a known forecast over known actuals: 8 of 10 under q80, 9 of 10 under q95', () => {
    // One forecast per 5 minutes, each scored 15 minutes later against the actual below.
    const forecasts = forecastsEvery5m(T0, T0 + 50 * MIN, (t) => forecast(t, 100, 10, 20));
    const values = [100, 95, 105, 109, 90, 100, 101, 99, 112, 125];
    const actuals = values.map((v, i) => ({ t: T0 + 15 * MIN + i * STEP, v }));
    // Learning rate 1/n for all ten (plain means).
    const settings = FeedbackSettings.parse({ learningRate: 0.01 });
    const { accuracy } = scoreForecasts(undefined, forecasts, actuals, 100, settings);
    const h = accuracy.h['15m'];
    expect(h?.n).toBe(10);
    expect(h?.c80).toBeCloseTo(0.8, 9);
    expect(h?.c95).toBeCloseTo(0.9, 9);
    expect(h?.mae).toBeCloseTo((0 + 5 + 5 + 9 + 10 + 0 + 1 + 1 + 12 + 25) / 10 / 100, 4);
  });

  it('weights new evidence by the learning rate once 1/n is below it, and scores a point once', () => {
    const forecasts = forecastsEvery5m(T0, T0 + 3 * 60 * MIN, (t) => forecast(t, 100, 10, 20, 48));
    const hit = (i: number) => ({ t: T0 + 15 * MIN + i * STEP, v: 100 });
    const miss = (i: number) => ({ t: T0 + 15 * MIN + i * STEP, v: 200 });
    const settings = FeedbackSettings.parse({ learningRate: 0.25 });
    let acc: MetricAccuracy | undefined;
    for (let i = 0; i < 8; i++) acc = scoreForecasts(acc, forecasts, [hit(i)], 100, settings).accuracy;
    expect(acc?.h['15m']?.c95).toBe(1);
    const once = scoreForecasts(acc, forecasts, [miss(8)], 100, settings);
    expect(once.accuracy.h['15m']?.c95).toBeCloseTo(0.75, 9);
    // The same point again (a history read twice) is not scored twice.
    const again = scoreForecasts(once.accuracy, forecasts, [miss(8)], 100, settings);
    expect(again.scored).toBe(0);
    expect(again.accuracy).toEqual(once.accuracy);
  });

  it('a bucket longer than the forecast horizon is never reached', () => {
    expect(longestBucket(3_600_000)).toBe(3_600_000);
    expect(longestBucket(30 * MIN)).toBe(15 * MIN);
    expect(longestBucket(2 * 86_400_000)).toBe(86_400_000);
  });
});

describe('feedback loop: when accuracy forces a refit', () => {
  const at = (h: Partial<{ n: number; ratio: number; c80: number; c95: number }>): MetricAccuracy => ({
    h: { '1h': { n: 30, mae: 0.1, ratio: 1, c80: 0.8, c95: 0.95, ...h } },
    through: T0,
  });
  it.each([
    { name: 'on target', acc: at({}), want: undefined },
    { name: 'error 2.5x the promise', acc: at({ ratio: 2.5 }), want: 'error' },
    { name: 'error 1.9x: within', acc: at({ ratio: 1.9 }), want: undefined },
    { name: '80 % coverage at 0.6', acc: at({ c80: 0.6 }), want: 'coverage' },
    { name: '95 % coverage at 0.78', acc: at({ c95: 0.78 }), want: 'coverage' },
    { name: '95 % coverage at 0.85: within', acc: at({ c95: 0.85 }), want: undefined },
    { name: 'too few scored yet', acc: at({ n: 10, ratio: 5 }), want: undefined },
  ])('$name', ({ acc, want }) => {
    expect(accuracyDrift(acc, DEFAULT_FEEDBACK)?.reason).toBe(want);
  });

  it('after a refit the counts restart, so the new model is not judged on the old one', () => {
    const reset = resetAccuracy(at({ ratio: 5 }), T0 + 1);
    expect(reset.since).toBe(T0 + 1);
    expect(reset.h['1h']?.n).toBe(0);
    expect(accuracyDrift(reset)).toBeUndefined();
  });

  it('refuses bad settings naming the field', () => {
    expect(FeedbackSettings.safeParse({ learningRate: 0 }).success).toBe(false);
    expect(FeedbackSettings.safeParse({ maxErrorRatio: 1 }).success).toBe(false);
    expect(FeedbackSettings.parse({})).toEqual(DEFAULT_FEEDBACK);
  });
});
