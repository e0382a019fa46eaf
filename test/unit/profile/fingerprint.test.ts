import {
  deviationCorrelation,
  fingerprintDistance,
  type MetricFingerprint,
  nearestFingerprint,
  updateFingerprint,
} from '../../../shared/profile/fingerprint';

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
