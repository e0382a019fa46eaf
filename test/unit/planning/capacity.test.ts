import {
  contentionScore,
  desiredCapacity,
  lagSteps,
  nextContention,
  planCapacity,
  planningPath,
  recommendShadowUnits,
  trafficWeights,
} from '../../../shared/planning/capacity';

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

describe('planningPath', () => {
  // median 100 everywhere; high (the planning quantile) and floor (a lower quantile) vary.
  it.each([
    ['narrow band: the quantile binds', 110, 105, 0.2, 110],
    ['wide band: capped at 20 % above the median', 200, 105, 0.2, 120],
    ['wide band, floor above the cap: the floor binds', 200, 150, 0.2, 150],
    ['floor above the quantile never raises it', 110, 150, 0.05, 110],
    ['no cap: the quantile', 200, 150, Number.POSITIVE_INFINITY, 200],
  ])('%s', (_name, high, floor, cap, want) => {
    expect(planningPath([high], [100], cap, [floor])).toEqual([want]);
  });

  it('without a floor the cap alone bounds it, step by step', () => {
    expect(planningPath([130, 90, 300], [100, 100, 200], 0.2)).toEqual([120, 90, 240]);
  });
});

describe('recommendShadowUnits', () => {
  it.each([
    { needed: 20, pmax: 25, smax: 10, share: 1, buffer: 0.2, want: 0 },
    { needed: 30, pmax: 25, smax: 10, share: 1, buffer: 0.2, want: 6 },
    { needed: 30, pmax: 25, smax: 10, share: 0.5, buffer: 0, want: 3 },
    { needed: 28, pmax: 25, smax: 10, share: 1, buffer: 0.2, want: 4 },
    { needed: 60, pmax: 25, smax: 10, share: 1, buffer: 0.2, want: 10 },
  ])(
    'needed $needed over max $pmax (share $share, buffer $buffer) -> $want',
    ({ needed, pmax, smax, share, buffer, want }) => {
      expect(
        recommendShadowUnits({
          neededUnits: needed,
          primaryMax: pmax,
          shadowMax: smax,
          shadowShare: share,
          bufferFraction: buffer,
        }),
      ).toBe(want);
    },
  );
});

describe('contentionScore', () => {
  it.each([
    [20, 25, 0],
    [50, 25, 1],
    [30, 25, 0.2],
  ])('needed %f over max %f -> %f', (needed, max, want) => {
    expect(contentionScore(needed, max)).toBeCloseTo(want, 9);
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

describe('nextContention (hysteresis)', () => {
  const base = { enter: 0.05, clear: 0.01, returnAfterMs: 900_000 };
  it.each([
    { state: { contended: false }, score: 0.03, now: 0, want: { contended: false }, why: 'below enter' },
    { state: { contended: false }, score: 0.06, now: 0, want: { contended: true }, why: 'enters above' },
    { state: { contended: true }, score: 0.03, now: 0, want: { contended: true }, why: 'between: stays' },
    {
      state: { contended: true },
      score: 0.005,
      now: 100,
      want: { contended: true, clearSinceMs: 100 },
      why: 'clearing starts',
    },
    {
      state: { contended: true, clearSinceMs: 100 },
      score: 0,
      now: 800_000,
      want: { contended: true, clearSinceMs: 100 },
      why: 'not clear for long enough',
    },
    {
      state: { contended: true, clearSinceMs: 100 },
      score: 0,
      now: 900_100,
      want: { contended: false },
      why: 'cleared',
    },
    {
      state: { contended: true, clearSinceMs: 100 },
      score: 0.02,
      now: 900_100,
      want: { contended: true },
      why: 'relapse resets',
    },
  ])('$why', ({ state, score, now, want }) => {
    expect(nextContention(state, { ...base, score, nowMs: now })).toEqual(want);
  });
});

describe('planCapacity', () => {
  const base = {
    primaryMin: 1,
    primaryMax: 25,
    shadowMax: 10,
    primaryReady: 25,
    shadowReady: 0,
    shadowDesired: 0,
    currentWeights: { primary: 100, shadow: 0 },
    state: { contended: false },
    nowMs: 0,
    returnAfterMs: 900_000,
  };

  it('holds the primary to the need when it fits', () => {
    const plan = planCapacity({ ...base, neededUnits: 17.2, primaryReady: 15 });
    expect(plan).toEqual({
      primaryDesired: 18,
      shadowDesired: 0,
      weights: { primary: 100, shadow: 0 },
      state: { contended: false },
    });
  });

  it('pre-warms a shadow pool when the need exceeds the primary max, weights only on ready units', () => {
    const plan = planCapacity({ ...base, neededUnits: 30 });
    expect(plan.primaryDesired).toBe(25);
    expect(plan.shadowDesired).toBe(6);
    expect(plan.weights).toEqual({ primary: 100, shadow: 0 });
    expect(plan.state.contended).toBe(true);
  });

  it('shares traffic once the shadow units are ready', () => {
    const plan = planCapacity({
      ...base,
      neededUnits: 30,
      demandNowUnits: 29,
      shadowReady: 6,
      shadowDesired: 6,
      state: { contended: true },
    });
    expect(plan.weights.shadow).toBeGreaterThan(0);
    expect(plan.weights.primary + plan.weights.shadow).toBe(100);
  });

  it('brings traffic home only after the contention has cleared for the return delay, then scales the shadow to zero', () => {
    const during = {
      ...base,
      neededUnits: 20,
      shadowReady: 6,
      shadowDesired: 6,
      currentWeights: { primary: 80, shadow: 20 },
    };
    const clearing = planCapacity({ ...during, state: { contended: true }, nowMs: 0 });
    expect(clearing.state).toEqual({ contended: true, clearSinceMs: 0 });
    expect(clearing.shadowDesired).toBe(1);
    const home = planCapacity({ ...during, state: clearing.state, nowMs: 900_000 });
    expect(home.state.contended).toBe(false);
    expect(home.weights).toEqual({ primary: 100, shadow: 0 });
    expect(home.shadowDesired).toBe(6);
    const after = planCapacity({
      ...during,
      currentWeights: home.weights,
      state: home.state,
      nowMs: 1_200_000,
    });
    expect(after.shadowDesired).toBe(0);
  });
});
