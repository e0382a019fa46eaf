import { desiredCapacity, trafficWeights } from '../../../shared/planning/capacity';
import { cappedPath, planningPath, planningQuantiles } from '../../../shared/planning/path';
import { lagSteps, wholeUnits } from '../../../shared/planning/units';

describe('lagSteps', () => {
  it.each([
    [180_000, 300_000, 1],
    [180_000, 60_000, 3],
    [300_000, 300_000, 1],
    [0, 300_000, 0],
    [301_000, 300_000, 2],
  ])('lag %i ms at %i ms steps -> %i', (lag, iv, want) => {
    expect(lagSteps(lag, iv)).toBe(want);
  });
});

describe('desiredCapacity', () => {
  it.each([
    { path: [3, 5, 4], from: 0, through: 1, min: 1, max: undefined, want: 5, why: 'the peak within the lag' },
    { path: [3, 5, 4], from: 2, through: 3, min: 1, max: undefined, want: 4, why: 'past the path end' },
    { path: [3.2, 1], from: 0, through: 0, min: 1, max: undefined, want: 4, why: 'rounded up' },
    {
      path: [20.000000001],
      from: 0,
      through: 0,
      min: 1,
      max: undefined,
      want: 20,
      why: 'float noise is not a unit',
    },
    { path: [0.1], from: 0, through: 0, min: 2, max: undefined, want: 2, why: 'at least min' },
    { path: [40], from: 0, through: 0, min: 1, max: 25, want: 25, why: 'at most max' },
  ])('$why', ({ path, from, through, min, max, want }) => {
    expect(desiredCapacity(path, from, through, { minUnits: min, maxUnits: max })).toBe(want);
  });
});

describe('cappedPath', () => {
  // median 100 everywhere; high (the planning quantile) and floor (a lower quantile) vary.
  it.each([
    ['narrow band: the quantile binds', 110, 105, 0.2, 110],
    ['wide band: capped at 20 % above the median', 200, 105, 0.2, 120],
    ['wide band, floor above the cap: the floor binds', 200, 150, 0.2, 150],
    ['floor above the quantile never raises it', 110, 150, 0.05, 110],
    ['no cap: the quantile', 200, 150, Number.POSITIVE_INFINITY, 200],
  ])('%s', (_name, high, floor, cap, want) => {
    expect(cappedPath([high], [100], cap, [floor])).toEqual([want]);
  });

  it('without a floor the cap alone bounds it, step by step', () => {
    expect(cappedPath([130, 90, 300], [100, 100, 200], 0.2)).toEqual([120, 90, 240]);
  });
});

describe('planningPath: one rule for every caller', () => {
  const forecast = {
    point: [100, 100],
    quantiles: [
      { q: 0.5, values: [100, 100] },
      { q: 0.8, values: [110, 150] },
      { q: 0.95, values: [130, 300] },
      { q: 0.99, values: [140, 400] },
    ],
  };
  it.each<[string, { quantile: number; maxHeadroom?: number; minQuantile: number }, number[]]>([
    ['the metric quantile, exact', { quantile: 0.95, minQuantile: 0.8 }, [130, 300]],
    ['a missing quantile: the nearest above, never below', { quantile: 0.9, minQuantile: 0.8 }, [130, 300]],
    ['above every stored quantile: the highest', { quantile: 0.999, minQuantile: 0.8 }, [140, 400]],
    [
      'capped 20 % above the median, never below the 0.8 quantile',
      { quantile: 0.99, maxHeadroom: 0.2, minQuantile: 0.8 },
      [120, 150],
    ],
  ])('%s', (_name, metric, want) => {
    expect(planningPath(forecast, metric)).toEqual(want);
  });

  it('asks the forecast for the quantiles the path reads', () => {
    expect(planningQuantiles({ quantile: 0.99, maxHeadroom: 0.2, minQuantile: 0.7 })).toEqual([
      0.5, 0.7, 0.8, 0.95, 0.99,
    ]);
    expect(planningQuantiles({ quantile: 0.9, minQuantile: 0.8 })).toEqual([0.5, 0.8, 0.9, 0.95]);
  });
});

describe('wholeUnits', () => {
  it.each([
    [3 * 1.2, 4],
    [20.000000001, 20],
    [0, 0],
    [-1, 0],
    [4.2, 5],
  ])('%f -> %i', (units, want) => {
    expect(wholeUnits(units)).toBe(want);
  });
});

describe('trafficWeights', () => {
  it.each([
    { p: 10, s: 0, d: undefined, want: { primary: 100, shadow: 0 }, why: 'no ready shadow unit: all home' },
    { p: 0, s: 4, d: undefined, want: { primary: 0, shadow: 100 }, why: 'no ready primary unit' },
    { p: 30, s: 10, d: undefined, want: { primary: 75, shadow: 25 }, why: 'by ready capacity' },
    { p: 25, s: 5, d: 27, want: { primary: 83, shadow: 17 }, why: 'proportional fits both pools' },
    { p: 25, s: 10, d: 26, want: { primary: 71, shadow: 29 }, why: 'proportional' },
    {
      p: 25,
      s: 1,
      d: 25.5,
      want: { primary: 97, shadow: 3 },
      why: 'moved down so that the one shadow unit is not overloaded',
    },
  ])('$why', ({ p, s, d, want }) => {
    const w = trafficWeights(p, s, d);
    expect(w).toEqual(want);
    expect(w.primary + w.shadow).toBe(100);
  });
});
