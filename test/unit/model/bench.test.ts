import { downsample, originsFor, summarise } from '../../../bench/forecast';

const MIN = 60_000;

describe('benchmark helpers', () => {
  it('averages 1-minute points into aligned 5-minute buckets that hold only their own minutes', () => {
    // Starts at 00:03: the first bucket [00:00, 00:05) holds minutes 3 and 4 only.
    const start = Date.UTC(2026, 0, 1, 0, 3);
    const values = Array.from({ length: 12 }, (_, i) => i); // 00:03 .. 00:14
    const out = downsample({ startMs: start, intervalMs: MIN, values }, 5 * MIN);
    expect(out.startMs).toBe(Date.UTC(2026, 0, 1, 0, 0));
    expect(out.values).toEqual([0.5, 4, 9]);
  });

  it('keeps empty buckets as gaps', () => {
    const values = [1, 1, 1, 1, 1, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 2];
    const out = downsample({ startMs: 0, intervalMs: MIN, values }, 5 * MIN);
    expect(out.values).toEqual([1, Number.NaN, 2]);
  });

  it.each([
    // points, interval, expected count
    [4032, 5 * MIN, 11], // 14 days: the last 3.5 days minus the 24 h horizon, every 6 h
    [1728, 5 * MIN, 4], // 6 days: at least 4 origins
    [10320, 30 * MIN, 212], // 215 days of 30 min: (2580 - 48) / 12 + 1
  ])('puts origins every 6 h over the last 25%% (n=%i)', (n, interval, count) => {
    const h24 = (24 * 60 * MIN) / interval;
    const origins = originsFor(n, interval, h24);
    expect(origins).toHaveLength(count);
    expect(Math.max(...origins)).toBe(n - h24);
    expect(Math.min(...origins)).toBeGreaterThanOrEqual(Math.floor(n * 0.75));
    if (count > 4) expect((origins[1] as number) - (origins[0] as number)).toBe((6 * 60 * MIN) / interval);
  });

  it('summarises with geometric means of MAE ratios and medians of times', () => {
    const row = { model: 'm', mase: 1, smape: 1, pinball: 1, coverage80: 0.8, coverage95: 0.9, mstl_mae: 2 };
    const s = summarise([
      { ...row, name: 'a', horizon: '1h', mae: 1, snaive_mae: 4, fit_ms: 1, update_ms: 0.1 },
      { ...row, name: 'b', horizon: '1h', mae: 1, snaive_mae: 1, fit_ms: 3, update_ms: 0.3 },
    ]);
    expect(s['1h']?.geomean_rel_mae_vs_snaive).toBeCloseTo(0.5, 12);
    expect(s['1h']?.geomean_rel_mae_vs_mstl).toBeCloseTo(0.5, 12);
    expect(s['1h']?.median_fit_ms).toBe(2);
    expect(s['1h']?.mean_coverage95).toBeCloseTo(0.9, 12);
  });
});
