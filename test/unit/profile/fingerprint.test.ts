import { correlationOf, pairKey, updateCorrelations } from '../../../shared/profile/correlation';
import {
  deviationCorrelation,
  fingerprintDistance,
  type MetricFingerprint,
  nearestFingerprint,
  shapeOf,
  updateFingerprint,
} from '../../../shared/profile/fingerprint';
import type { Signal } from '../../../shared/schemas/signal';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STEP = 5 * 60_000;
const T0 = Date.UTC(2026, 0, 4); // a Sunday, 00:00 UTC
const series = (days: number, f: (t: number, i: number) => number) =>
  Array.from({ length: (days * DAY) / STEP }, (_, i) => ({ t: T0 + i * STEP, v: f(T0 + i * STEP, i) }));
const fingerprintOf = (points: { t: number; v: number }[]) =>
  updateFingerprint(undefined, points) as MetricFingerprint;

describe('behavioural fingerprint on crafted series', () => {
  it('a constant series: its level, a flat shape, no volatility, bursts or trend', () => {
    const fp = fingerprintOf(series(14, () => 50));
    expect(fp.level).toBeCloseTo(50, 9);
    expect(Math.max(...fp.hourOfDay.map((x) => Math.abs(x - 1)))).toBeLessThan(1e-9);
    expect([fp.volatility, fp.burstiness, fp.trendPerDay]).toEqual([0, 0, 0]);
  });

  it('a daily cycle shows in the hour-of-day shape (peak at 12:00, trough at 00:00)', () => {
    const fp = fingerprintOf(series(14, (t) => 100 + 50 * Math.sin(2 * Math.PI * ((t % DAY) / DAY - 0.25))));
    const peak = fp.hourOfDay.indexOf(Math.max(...fp.hourOfDay));
    const trough = fp.hourOfDay.indexOf(Math.min(...fp.hourOfDay));
    expect(Math.abs(peak - 12)).toBeLessThanOrEqual(1);
    expect(Math.min(trough, 24 - trough)).toBeLessThanOrEqual(1);
    expect(fp.hourOfDay[12] as number).toBeGreaterThan(1.3);
  });

  it('growth of 2 % a day shows as the trend', () => {
    const fp = fingerprintOf(series(21, (t) => 100 * 1.02 ** ((t - T0) / DAY)));
    expect(fp.trendPerDay).toBeGreaterThan(0.015);
    expect(fp.trendPerDay).toBeLessThan(0.025);
  });

  it('spikes make a series bursty and volatile; a step change does not, for long', () => {
    const spiky = fingerprintOf(series(7, (_t, i) => (i % 50 === 25 ? 500 : 100)));
    const step = fingerprintOf(series(7, (_t, i) => (i < 1000 ? 100 : 200)));
    expect(spiky.burstiness).toBeGreaterThan(0.05);
    expect(spiky.volatility).toBeGreaterThan(step.volatility * 10);
    expect(step.level).toBeGreaterThan(130);
  });

  it('is resumable: two calls equal one, and points already absorbed are skipped', () => {
    const points = series(3, (t, i) => 100 + (i % 13) + (t % DAY) / HOUR);
    const whole = fingerprintOf(points);
    const first = fingerprintOf(points.slice(0, 400));
    const again = updateFingerprint(first, points.slice(300));
    expect(again).toEqual(whole);
  });

  it('workloads of different sizes but the same behaviour are nearest to each other', () => {
    const shape = (scale: number) => (t: number) =>
      scale * (100 + 50 * Math.sin((2 * Math.PI * (t % DAY)) / DAY));
    const small = fingerprintOf(series(7, shape(1)));
    const big = fingerprintOf(series(7, shape(40)));
    const flat = fingerprintOf(series(7, () => 100));
    expect(fingerprintDistance(small, big)).toBeLessThan(1e-6);
    expect(
      nearestFingerprint(small, [
        { id: 'flat', fingerprint: flat },
        { id: 'big', fingerprint: big },
      ])?.id,
    ).toBe('big');
    expect(nearestFingerprint(small, [])).toBeUndefined();
  });

  it('correlation of deviations: +1 moving together, −1 opposite, null without overlap', () => {
    const a = series(1, (_t, i) => 100 + (i % 10));
    const b = a.map((p) => ({ t: p.t, v: 2 * p.v }));
    const c = a.map((p) => ({ t: p.t, v: 300 - p.v }));
    expect(deviationCorrelation(a, b, 100, 200)).toBeCloseTo(1, 9);
    expect(deviationCorrelation(a, c, 100, 200)).toBeCloseTo(-1, 9);
    expect(deviationCorrelation(a, [], 100, 1)).toBeNull();
  });
});

/** Deterministic noise in [-1, 1) from the index. */
const noise = (i: number) => (((i * 7919) % 1009) / 1009) * 2 - 1;

describe('fingerprint: level shifts, noise, signals, shape bias', () => {
  it('a level shift moves the level towards the new value without making the series bursty', () => {
    const fp = fingerprintOf(series(14, (_t, i) => (i < 7 * 288 ? 100 : 300)));
    expect(fp.level).toBeGreaterThan(200);
    expect(fp.level).toBeLessThan(300);
    expect(fp.volatility).toBeLessThan(0.01);
  });

  it('noise alone: a flat shape, volatility of the noise scale, no trend', () => {
    const fp = fingerprintOf(series(14, (_t, i) => 100 + 10 * noise(i)));
    const { hourOfDay } = shapeOf(fp);
    expect(Math.max(...hourOfDay.map((x) => Math.abs(x - 1)))).toBeLessThan(0.06);
    expect(fp.volatility).toBeGreaterThan(0.05);
    expect(fp.volatility).toBeLessThan(0.15);
    expect(Math.abs(fp.trendPerDay)).toBeLessThan(0.005);
  });

  it('a signal with a known response: +50 % during its windows is learnt per tag, and kept out of the level', () => {
    const signals: Signal[] = [2, 5, 9].map((d) => ({
      signalId: `sale-${d}`,
      tag: 'sale',
      startsAt: T0 + d * DAY + 10 * HOUR,
      endsAt: T0 + d * DAY + 14 * HOUR,
      source: 'manual',
      detail: {},
    }));
    const inWindow = (t: number) => signals.some((s) => t >= s.startsAt && t < s.endsAt);
    const points = series(12, (t, i) => (inWindow(t) ? 150 : 100) + noise(i));
    const fp = updateFingerprint(undefined, points, undefined, signals) as MetricFingerprint;
    expect(fp.signals?.sale?.n).toBe(3 * 4 * 12);
    expect(fp.signals?.sale?.uplift).toBeGreaterThan(0.45);
    expect(fp.signals?.sale?.uplift).toBeLessThan(0.55);
    expect(fp.level).toBeLessThan(101);
    const without = fingerprintOf(points);
    expect(without.burstiness).toBeGreaterThan(fp.burstiness);
  });

  it('the shape read through `shapeOf` does not depend on how long it has been learning', () => {
    const daily = (t: number) => 100 + 50 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    const week = shapeOf(fingerprintOf(series(7, daily)));
    const month = shapeOf(fingerprintOf(series(28, daily)));
    const raw = fingerprintOf(series(7, daily));
    expect(Math.abs((raw.hourOfDay[6] as number) - 1)).toBeLessThan(0.3);
    expect(week.hourOfDay[6] as number).toBeCloseTo(month.hourOfDay[6] as number, 1);
    expect(week.hourOfDay[6] as number).toBeGreaterThan(1.4);
  });
});

describe('running correlation of two metrics', () => {
  const daily = (t: number) => Math.sin((2 * Math.PI * (t % DAY)) / DAY);
  it.each([
    {
      name: 'CPU following requests',
      b: (t: number, i: number) => 50 * (1 + 0.5 * daily(t)) + 0.5 * noise(i),
      min: 0.95,
      max: 1,
    },
    {
      name: 'a mirror image',
      b: (t: number, i: number) => 50 * (1 - 0.5 * daily(t)) + 0.5 * noise(i),
      min: -1,
      max: -0.95,
    },
    {
      name: 'unrelated noise',
      b: (_t: number, i: number) => 50 + 10 * noise(i * 31 + 7),
      min: -0.2,
      max: 0.2,
    },
  ])('$name', ({ b, min, max }) => {
    const a = series(7, (t) => 1000 * (1 + 0.5 * daily(t)));
    const bs = series(7, b);
    // Resumable: fed in two runs, as the forecaster does.
    const half = a.length / 2;
    let m = updateCorrelations(undefined, [
      { metric: 'requests', points: a.slice(0, half), level: 1000 },
      { metric: 'cpu', points: bs.slice(0, half), level: 50 },
    ]);
    m = updateCorrelations(m, [
      { metric: 'cpu', points: bs.slice(half), level: 50 },
      { metric: 'requests', points: a.slice(half), level: 1000 },
    ]);
    const r = correlationOf(m[pairKey('requests', 'cpu')]);
    expect(r).not.toBeNull();
    expect(r as number).toBeGreaterThanOrEqual(min);
    expect(r as number).toBeLessThanOrEqual(max);
    const batch = deviationCorrelation(a, bs, 1000, 50) as number;
    expect(Math.abs((r as number) - batch)).toBeLessThan(0.1);
  });
});
