import {
  absorbRun,
  DEFAULT_PARAMS,
  expertPoints,
  newProfileState,
  predictStage,
  updateStage,
} from '../../../shared/builds/predictor';

/** Deterministic pseudo-random numbers (mulberry32), so the tests cannot flake. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

const HOUR = 3_600_000;

describe('stage profile predictor', () => {
  it('has no prediction before the first run and a history-based one after', () => {
    const s0 = newProfileState();
    expect(predictStage(s0, { startMs: 0 })).toBeUndefined();
    const s1 = updateStage(s0, { startMs: 0 }, 100);
    expect(s0.runs).toBe(0); // updateStage does not mutate
    expect(predictStage(s1, { startMs: HOUR })?.basis).toBe('history');
  });

  it('ignores a non-positive or non-finite measurement', () => {
    const s = newProfileState();
    expect(updateStage(s, { startMs: 0 }, 0)).toBe(s);
    expect(updateStage(s, { startMs: 0 }, Number.NaN)).toBe(s);
  });

  it('keeps its 80 % interval calibrated on a stationary stage', () => {
    const r = rng(7);
    const s = newProfileState();
    let inside = 0;
    let scored = 0;
    for (let i = 0; i < 1500; i++) {
      const work = 600 * Math.exp(0.4 * gaussian(r));
      const run = { startMs: i * HOUR };
      if (i >= 200) {
        const p = predictStage(s, run);
        if (p && work >= p.agentSeconds.q10 && work <= p.agentSeconds.q90) inside++;
        scored++;
      }
      absorbRun(s, run, work);
    }
    expect(inside / scored).toBeGreaterThan(0.74);
    expect(inside / scored).toBeLessThan(0.86);
  });

  it('learns a change-score effect and beats the median of the last 20 runs', () => {
    const r = rng(11);
    const s = newProfileState();
    const hist: number[] = [];
    let errModel = 0;
    let errMedian = 0;
    for (let i = 0; i < 1200; i++) {
      const changeScore = 10 * r();
      const work = 100 * Math.exp(0.3 * changeScore + 0.1 * gaussian(r));
      const run = { startMs: i * HOUR, changeScore };
      if (i >= 300) {
        const p = predictStage(s, run);
        const last20 = hist.slice(-20).sort((a, b) => a - b);
        errModel += Math.abs((p?.agentSeconds.q50 ?? 0) - work);
        errMedian += Math.abs(((last20[9] as number) + (last20[10] as number)) / 2 - work);
      }
      absorbRun(s, run, work);
      hist.push(work);
    }
    expect(errModel / errMedian).toBeLessThan(0.6);
  });

  it('follows a level shift (drift) within a few dozen runs', () => {
    const r = rng(3);
    const s = newProfileState();
    for (let i = 0; i < 300; i++) absorbRun(s, { startMs: i * HOUR }, 100 * Math.exp(0.1 * gaussian(r)));
    for (let i = 300; i < 360; i++) absorbRun(s, { startMs: i * HOUR }, 400 * Math.exp(0.1 * gaussian(r)));
    const p = predictStage(s, { startMs: 360 * HOUR });
    expect(p?.agentSeconds.q50).toBeGreaterThan(300);
    expect(p?.agentSeconds.q50).toBeLessThan(500);
  });

  it('uses the last run of the same change when reruns of a change repeat its cost', () => {
    const r = rng(5);
    const s = newProfileState();
    const cost = new Map<string, number>();
    let last: { key: string; work: number } | undefined;
    for (let i = 0; i < 600; i++) {
      const key = `pr-${Math.floor(r() * 40)}`;
      if (!cost.has(key)) cost.set(key, 50 + 1000 * r());
      const work = (cost.get(key) as number) * Math.exp(0.05 * gaussian(r));
      absorbRun(s, { startMs: i * HOUR, changeKey: key }, work);
      last = { key, work };
    }
    expect(last).toBeDefined();
    const p = predictStage(s, { startMs: 601 * HOUR, changeKey: last?.key as string });
    // The blend may win when it leans on the same-change expert; either way the point is that change's cost.
    expect(['sameChange', 'blend']).toContain(p?.basis);
    const expected = cost.get(last?.key as string) as number;
    expect(Math.abs((p?.agentSeconds.q50 as number) / expected - 1)).toBeLessThan(0.15);
  });

  it('reads a state stored before the EWMA and blend experts existed', () => {
    const r = rng(7);
    const s = newProfileState();
    for (let i = 0; i < 100; i++) absorbRun(s, { startMs: i * HOUR }, 200 * Math.exp(0.1 * gaussian(r)));
    const old = JSON.parse(JSON.stringify(s)) as typeof s & { ewma?: number };
    delete old.ewma;
    const score = old.score as Partial<typeof s.score>;
    delete score.ewma;
    delete score.blend;
    absorbRun(old, { startMs: 100 * HOUR }, 200);
    const p = predictStage(old, { startMs: 101 * HOUR });
    expect(p?.agentSeconds.q50).toBeGreaterThan(150);
    expect(p?.agentSeconds.q50).toBeLessThan(260);
    expect(Number.isFinite(old.score.ewma)).toBe(true);
  });

  it('predicts each lane at its own level when lanes of one stage differ', () => {
    const r = rng(11);
    const s = newProfileState();
    const level = { 'pr:main': 1000, 'pr:release-1.x': 300 };
    for (let i = 0; i < 400; i++) {
      const lane = r() < 0.3 ? 'pr:release-1.x' : 'pr:main';
      absorbRun(s, { startMs: i * HOUR, lane }, level[lane] * Math.exp(0.1 * gaussian(r)));
    }
    const release = predictStage(s, { startMs: 400 * HOUR, lane: 'pr:release-1.x' });
    const main = predictStage(s, { startMs: 400 * HOUR, lane: 'pr:main' });
    // The stage's median alone would say ~1000 for both.
    expect(Math.abs((release?.agentSeconds.q50 as number) / 300 - 1)).toBeLessThan(0.15);
    expect(Math.abs((main?.agentSeconds.q50 as number) / 1000 - 1)).toBeLessThan(0.15);
    expect(['lane', 'model', 'blend']).toContain(release?.basis);
  });

  it('keeps at most `lanes` lanes, each with at most `levelWindow` runs', () => {
    const s = newProfileState();
    for (let i = 0; i < 300; i++) absorbRun(s, { startMs: i * HOUR, lane: `push:b${i % 9}` }, 100);
    expect(s.lanes).toHaveLength(6);
    for (const [, runs] of s.lanes ?? []) expect(runs.length).toBeLessThanOrEqual(20);
    expect(s.lanes?.at(-1)?.[0]).toBe(`push:b${299 % 9}`);
  });

  it('reads a state stored before the lane expert and the same-change and lane features', () => {
    const r = rng(3);
    const s = newProfileState();
    for (let i = 0; i < 100; i++) absorbRun(s, { startMs: i * HOUR }, 200 * Math.exp(0.1 * gaussian(r)));
    // The earlier shape: eight features per fit row and in β, no lane score, no lanes.
    const old = JSON.parse(JSON.stringify(s)) as typeof s;
    old.fit = old.fit.map((row) => ({ x: row.x.slice(0, 8), y: row.y }));
    old.mu = old.mu.slice(0, 8);
    old.sd = old.sd.slice(0, 8);
    old.beta = old.beta.slice(0, 8);
    delete (old.score as Partial<typeof s.score>).lane;
    delete old.lanes;
    const p0 = predictStage(old, { startMs: 100 * HOUR, lane: 'pr:main', changeKey: 'pr-1' });
    expect(Number.isFinite(p0?.agentSeconds.q50)).toBe(true);
    // An expert never measured is not preferred to the level on a tie.
    expect(p0?.basis).not.toBe('lane');
    for (let i = 100; i < 160; i++) absorbRun(old, { startMs: i * HOUR, lane: 'pr:main' }, 200);
    expect(old.beta).toHaveLength(s.beta.length);
    expect(old.fit.every((row) => row.x.length === s.beta.length)).toBe(true);
    const p = predictStage(old, { startMs: 160 * HOUR, lane: 'pr:main' });
    expect(p?.agentSeconds.q50).toBeGreaterThan(150);
    expect(p?.agentSeconds.q50).toBeLessThan(260);
  });

  it('leaves the last run out of the blend, however well it has scored', () => {
    const s = newProfileState();
    for (let i = 0; i < 60; i++) absorbRun(s, { startMs: i * HOUR }, 100);
    absorbRun(s, { startMs: 60 * HOUR }, 10_000);
    for (const e of Object.keys(s.score) as (keyof typeof s.score)[]) s.score[e] = 100;
    s.score.last = 1e-6;
    const points = expertPoints(s, { startMs: 61 * HOUR }, DEFAULT_PARAMS);
    expect(Math.exp(points.last)).toBeCloseTo(10_000);
    expect(Math.exp(points.blend)).toBeLessThan(200);
  });

  it('keeps its quantiles ordered when the recent residuals all lean one way', () => {
    const s = newProfileState();
    for (let i = 0; i < 60; i++) absorbRun(s, { startMs: i * HOUR }, 100 + (i % 5));
    s.residuals = s.residuals.map((_, i) => 0.5 + 0.01 * i);
    const q = predictStage(s, { startMs: 60 * HOUR })?.agentSeconds;
    expect(q).toBeDefined();
    const { q10, q50, q80, q90 } = q as NonNullable<typeof q>;
    expect(q10).toBeLessThanOrEqual(q50);
    expect(q50).toBeLessThanOrEqual(q80);
    expect(q80).toBeLessThanOrEqual(q90);
  });

  it('keeps a small JSON state (it is stored in one DynamoDB item)', () => {
    const s = newProfileState();
    for (let i = 0; i < 2000; i++)
      absorbRun(
        s,
        {
          startMs: i * HOUR,
          changeScore: i % 7,
          changeKey: `b${i % 500}`,
          jobs: 1 + (i % 3),
          lane: `pr:r${i % 11}`,
        },
        100 + (i % 13),
      );
    expect(JSON.stringify(s).length).toBeLessThan(60_000);
  });
});
