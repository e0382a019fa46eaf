import { persistenceAt, snaiveAt, summariseShort } from '../../../bench/forecast';
import { type EngineState, engine } from '../../../shared/model';
import {
  isNowcast,
  modelHorizons,
  NOWCAST_FEATURES,
  NOWCAST_LEVELS,
  newNowcast,
  nowcastPaths,
  nowcastSizeBound,
  nowcastStep,
  nowcastSteps,
  rlsUpdate,
  trackQuantile,
} from '../../../shared/model/nowcast';

const MIN = 60_000;

/** Deterministic uniform numbers in [0, 1) (a small LCG: tests must not depend on Math.random). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function gauss(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function identityP(scale: number): number[] {
  const d = NOWCAST_FEATURES;
  const P: number[] = [];
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) P.push(i === j ? scale : 0);
  return P;
}

describe('recursive least squares', () => {
  it.each([
    [[0.5, -1, 2, 0, 0.25, 3], 1],
    [[2, 0.3, -0.7, 1.5, 0, -2], 0.999],
  ])('recovers the coefficients %j of a noiseless linear series (lambda %d)', (truth, lambda) => {
    const u = rng(7);
    const w = new Array<number>(NOWCAST_FEATURES).fill(0);
    const P = identityP(1e4);
    const x = new Array<number>(NOWCAST_FEATURES);
    for (let t = 0; t < 400; t++) {
      x[0] = 1;
      for (let i = 1; i < NOWCAST_FEATURES; i++) x[i] = 4 * u() - 2;
      let y = 0;
      for (let i = 0; i < NOWCAST_FEATURES; i++) y += (truth[i] as number) * (x[i] as number);
      rlsUpdate(w, P, x, 0, y, lambda);
    }
    w.forEach((wi, i) => {
      expect(wi).toBeCloseTo(truth[i] as number, 3);
    });
  });

  it('does not wind up in a direction the data never excite', () => {
    const w = new Array<number>(NOWCAST_FEATURES).fill(0);
    const P = identityP(1);
    const x = [1, 0.5, -0.5, 0, 0, 0];
    for (let t = 0; t < 5000; t++) rlsUpdate(w, P, x, 0, 1, 0.99);
    // The never-excited last feature's variance stays within the prior's trace (6 x 1) instead of
    // growing as 0.99^-t (about 1e21 here).
    expect(P[P.length - 1]).toBeGreaterThan(1);
    expect(P[P.length - 1]).toBeLessThanOrEqual(NOWCAST_FEATURES / 0.99);
    expect(Number.isFinite(w[0] as number)).toBe(true);
  });
});

describe('conformal quantile tracking', () => {
  it.each([0.1, 0.5, 0.9, 0.975])('covers level %d of iid noise at the nominal rate', (level) => {
    const u = rng(11);
    let q = 0;
    let below = 0;
    const T = 20_000;
    for (let t = 0; t < T; t++) {
      const r = gauss(u) * 3 + 1;
      if (r <= q) below++;
      q = trackQuantile(q, level, r, 0.05);
    }
    expect(Math.abs(below / T - level)).toBeLessThan(0.01);
  });

  it('holds coverage when the noise doubles halfway (drift)', () => {
    const u = rng(3);
    let lo = 0;
    let hi = 0;
    let inside = 0;
    const T = 20_000;
    for (let t = 0; t < T; t++) {
      const r = gauss(u) * (t < T / 2 ? 1 : 2);
      if (r >= lo && r <= hi) inside++;
      lo = trackQuantile(lo, 0.1, r, 0.05);
      hi = trackQuantile(hi, 0.9, r, 0.05);
    }
    expect(Math.abs(inside / T - 0.8)).toBeLessThan(0.02);
  });
});

describe('nowcaster', () => {
  it.each([
    // interval, steps, model horizons
    [5 * MIN, 6, [1, 2, 3, 4, 5, 6]],
    [MIN, 30, [5, 10, 15, 20, 25, 30]],
    [10 * MIN, 3, [1, 2, 3]],
    [60 * MIN, 1, [1]],
  ])('covers 30 minutes at %i ms with %i steps', (interval, steps, hs) => {
    expect(nowcastSteps(interval)).toBe(steps);
    expect(modelHorizons(steps)).toEqual(hs);
  });

  /** A noisy level around a slow wave: persistence carries the noise, a smoother does not. */
  function run(intervalMs: number, T: number): { mae: number; pers: number; cover80: number; json: string } {
    const u = rng(5);
    const s = newNowcast(intervalMs, 1);
    const steps = s.steps;
    const ys: number[] = [];
    const fcs: (number[][] | null)[] = [];
    const engine = new Float64Array(steps);
    for (let t = 0; t < T; t++) {
      const y = 100 + 20 * Math.sin((2 * Math.PI * t) / 288) + 5 * gauss(u);
      ys.push(y);
      // The "engine" knows the wave but not the noise: what a seasonal forecast offers.
      for (let h = 1; h <= steps; h++) engine[h - 1] = 100 + 20 * Math.sin((2 * Math.PI * (t + h)) / 288);
      nowcastStep(s, y, { engine, season: null }, intervalMs);
      fcs.push(nowcastPaths(s, [0.1, 0.5, 0.9]));
    }
    let ae = 0;
    let pe = 0;
    let inside = 0;
    let n = 0;
    for (let t = T / 2; t < T - steps; t++) {
      const f = fcs[t] as number[][];
      const a = ys[t + steps] as number;
      ae += Math.abs(a - ((f[1] as number[])[steps - 1] as number));
      pe += Math.abs(a - (ys[t] as number));
      if (a >= ((f[0] as number[])[steps - 1] as number) && a <= ((f[2] as number[])[steps - 1] as number))
        inside++;
      n++;
    }
    return { mae: ae / n, pers: pe / n, cover80: inside / n, json: JSON.stringify(s) };
  }

  it('beats persistence on a noisy seasonal series and covers its 80% interval', () => {
    const r = run(5 * MIN, 4000);
    expect(r.mae / r.pers).toBeLessThan(0.8);
    expect(Math.abs(r.cover80 - 0.8)).toBeLessThan(0.05);
  });

  it.each([5 * MIN, MIN])('keeps its JSON state within the documented bound (%i ms)', (interval) => {
    const r = run(interval, 1500);
    expect(r.json.length).toBeLessThanOrEqual(nowcastSizeBound(interval));
    expect(isNowcast(JSON.parse(r.json), interval)).toBe(true);
  });

  it('is unused until it has learned (the engine forecasts alone)', () => {
    const s = newNowcast(5 * MIN, 1);
    expect(nowcastPaths(s, NOWCAST_LEVELS)).toBeNull();
  });
});

describe('the engine with its nowcaster', () => {
  const P = 288;
  const u = rng(9);
  const values = Array.from(
    { length: 10 * P },
    (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / P) + 6 * gauss(u),
  );
  const series = { startMs: Date.UTC(2026, 0, 1), intervalMs: 5 * MIN, values };

  it('stores a warmed-up nowcaster, updates it, and forecasts the first 30 minutes from it', () => {
    const state = engine.fit(series, { horizonSteps: P }) as EngineState;
    expect(state.nowcast?.models[0]?.n).toBeGreaterThan(100);
    const next = engine.update(state, {
      startMs: state.lastPointMs + 5 * MIN,
      intervalMs: 5 * MIN,
      values: [120],
    }) as EngineState;
    expect(next.nowcast?.pending.at(-1)?.y).toBe(120);
    // The state given to update is untouched.
    expect(state.nowcast?.pending.at(-1)?.y).not.toBe(120);
    const plain = engine.fit(series, { horizonSteps: P, nowcast: false }) as EngineState;
    expect(plain.nowcast).toBeUndefined();
    const a = engine.forecast(next, { horizonSteps: 24, quantiles: [0.1, 0.9] });
    const b = engine.forecast(
      engine.update(plain, { startMs: plain.lastPointMs + 5 * MIN, intervalMs: 5 * MIN, values: [120] }),
      { horizonSteps: 24, quantiles: [0.1, 0.9] },
    );
    // Nowcast over steps 1..6, a fade over 7..12, the same seasonal forecast afterwards.
    expect(a.point[0]).not.toBeCloseTo(b.point[0] as number, 6);
    expect(a.point.slice(12)).toEqual(b.point.slice(12));
    for (let h = 0; h < 24; h++) {
      expect((a.quantiles[0]?.values[h] as number) <= (a.point[h] as number)).toBe(true);
      expect((a.quantiles[1]?.values[h] as number) >= (a.point[h] as number)).toBe(true);
    }
  });

  it('forecasts from a state stored before the nowcaster existed', () => {
    const state = engine.fit(series, { horizonSteps: P }) as EngineState;
    const { nowcast: _dropped, ...old } = state;
    const next = engine.update(old, {
      startMs: state.lastPointMs + 5 * MIN,
      intervalMs: 5 * MIN,
      values: [1],
    });
    expect((next as EngineState).nowcast).toBeUndefined();
    expect(engine.forecast(next, { horizonSteps: 12, quantiles: [0.5] }).point).toHaveLength(12);
  });
});

describe('short-horizon baselines', () => {
  const values = [1, 2, Number.NaN, 4, 5, 6, 7, Number.NaN];
  it.each([
    // origin, expected persistence (last finite value before the origin)
    [1, 1],
    [3, 2],
    [4, 4],
    [8, 7],
    [0, Number.NaN],
  ])('persistence from origin %i is %d', (o, expected) => {
    expect(persistenceAt(values, o)).toBe(expected);
  });

  it.each([
    // origin, period, step, expected: one period back; at a gap the period before, else the last value
    [4, 3, 1, 2],
    [4, 3, 2, 4],
    [6, 3, 2, 5],
    [7, 3, 2, 6],
    [5, 2, 1, 4],
    [3, 2, 2, 1],
  ])('seasonal naive from origin %i (period %i) at step %i is %d', (o, p, h, expected) => {
    expect(snaiveAt(values, o, p, h)).toBe(expected);
  });
});

describe('short-horizon summary', () => {
  it('takes geometric means of the MAE ratios and plain means of coverage', () => {
    const row = { step: 3, n: 10, snaive_mae: 2, coverage80: 0.7, coverage95: 0.9 };
    const s = summariseShort([
      { ...row, name: 'a', horizon: '15m', mae: 1, persistence_mae: 4, seasonal_mae: 2 },
      { ...row, name: 'b', horizon: '15m', mae: 1, persistence_mae: 1, seasonal_mae: 2, coverage80: 0.9 },
      { ...row, name: 'a', horizon: '30m', mae: 3, persistence_mae: 3 },
    ]);
    expect(s['15m'].geomean_rel_mae_vs_persistence).toBeCloseTo(0.5, 12);
    expect(s['15m'].geomean_rel_mae_vs_snaive).toBeCloseTo(0.5, 12);
    expect(s['15m'].geomean_rel_mae_seasonal_vs_persistence).toBeCloseTo(1, 12);
    expect(s['15m'].mean_coverage80).toBeCloseTo(0.8, 12);
    expect(s['30m'].geomean_rel_mae_vs_persistence).toBe(1);
    // Without the seasonal baseline its ratio is unknown, not zero.
    expect(s['30m'].geomean_rel_mae_seasonal_vs_persistence).toBeNaN();
  });
});
