import { ReactivePolicy } from '../../../shared/backtest/policies/reactive';
import {
  isLoopPolicy,
  POLICY_NAMES,
  type Policy,
  type PolicyName,
  type PolicyView,
} from '../../../shared/backtest/policy';
import {
  type BacktestSetup,
  makePolicy,
  runBacktest,
  runPolicy,
  runShadowscale,
  type StepPolicyName,
} from '../../../shared/backtest/runner';
import { ForecastInputError } from '../../../shared/errors';
import { engine } from '../../../shared/model';
import { demandUnits } from '../../../shared/sim/trace';

const MIN = 60_000;
const STEP = 5 * MIN;
const START = Date.UTC(2026, 0, 5);

/** `n` 5-minute steps of demand: a daily wave, noise and a 50-step surge from step `surgeAt`. */
function wave(n = 2 * 288, seed = 1, surgeAt = 420): Float64Array {
  let s = seed;
  const rand = (): number => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  return Float64Array.from({ length: n }, (_, i) => {
    const hour = ((i * 5) / 60) % 24;
    const surge = i > surgeAt && i < surgeAt + 50 ? 120 : 0;
    return 100 + 60 * Math.sin(((hour - 8) / 24) * 2 * Math.PI) + surge + 20 * rand();
  });
}

function setup(values: Float64Array, over: Partial<BacktestSetup> = {}): BacktestSetup {
  return {
    trace: { name: 'wave', startMs: START, intervalMs: STEP, values },
    unitCapacity: 10,
    targetUtilization: 0.7,
    primaryMax: 30,
    shadowMax: 20,
    ...over,
  };
}

/** Wraps a policy and records what it saw and decided at every step. */
class Recorder implements Policy {
  readonly views: {
    step: number;
    visible: number;
    nowMs: number;
    demandLength: number;
    beyond: number | undefined;
  }[] = [];
  readonly decisions: string[] = [];
  readonly violations: string[] = [];
  /** Steps decided from a forecast (the policy exposed a band). */
  forecastSteps = 0;
  constructor(private readonly inner: Policy) {}
  get name(): PolicyName {
    return this.inner.name;
  }
  band() {
    return this.inner.band?.();
  }
  decide(view: PolicyView) {
    this.views.push({
      step: view.step,
      visible: view.visible,
      nowMs: view.nowMs,
      demandLength: view.demand.length,
      beyond: view.demand[view.visible],
    });
    const { weights } = view;
    if (weights.primary + weights.shadow !== 100) this.violations.push(`step ${view.step}: weights sum`);
    if (weights.shadow > 0 && view.shadow.ready === 0)
      this.violations.push(`step ${view.step}: shadow not ready`);
    if (weights.primary > 0 && view.primary.ready === 0)
      this.violations.push(`step ${view.step}: primary not ready`);
    const d = this.inner.decide(view);
    if (d.weights && d.weights.primary + d.weights.shadow !== 100)
      this.violations.push(`step ${view.step}: decided sum`);
    this.decisions.push(JSON.stringify(d));
    if (this.inner.band?.() !== undefined) this.forecastSteps++;
    return d;
  }
}

describe('no policy sees the future (except the oracle)', () => {
  // Four days, so that shadowscale's forecaster is fitted and confident before the change.
  const changeAt = 3 * 288 + 100;
  const a = wave(4 * 288, 1, 3 * 288 + 150);
  const b = Float64Array.from(a, (v, i) => (i >= changeAt ? v * 3 : v));

  it.each<StepPolicyName>(['reactive', 'hourly-predictive'])(
    '%s: only published steps, same decisions until the change is published',
    (name) => {
      const runs = [a, b].map((values) => {
        const s = setup(values);
        const rec = new Recorder(makePolicy(name, demandUnits(s.trace, 10, 0.7)));
        runPolicy(s, rec);
        return rec;
      });
      const [ra, rb] = runs as [Recorder, Recorder];
      for (const v of ra.views) {
        // Step j is published at its end plus the 1-minute metric delay.
        expect(v.demandLength).toBe(v.visible);
        expect(v.beyond).toBeUndefined();
        if (v.visible > 0) expect(START + v.visible * STEP + MIN).toBeLessThanOrEqual(v.nowMs);
        expect(START + (v.visible + 1) * STEP + MIN).toBeGreaterThan(v.nowMs);
      }
      // Step 400 is published at the end of step 400 + 1 min, i.e. during step 401.
      expect(rb.decisions.slice(0, changeAt + 2)).toEqual(ra.decisions.slice(0, changeAt + 2));
      // ... and the change does reach the policy later (so this test can fail).
      expect(rb.decisions).not.toEqual(ra.decisions);
    },
  );

  it('shadowscale (the deployed loop): the same decisions until the change is published', async () => {
    const [ra, rb] = await Promise.all([runShadowscale(setup(a)), runShadowscale(setup(b))]);
    const published = START + (changeAt + 1) * STEP + MIN;
    const untilPublished = (r: typeof ra) => r.deployed.log.entries.filter((e) => e.atMs < published);
    expect(untilPublished(rb)).toEqual(untilPublished(ra));
    expect(ra.band?.high.filter((v) => !Number.isNaN(v)).length).toBeGreaterThan(288);
    // ... and the change does reach the loop later (so this test can fail).
    expect(rb.deployed.log.entries).not.toEqual(ra.deployed.log.entries);
  });

  it('the oracle does use the future (the limit)', () => {
    const ra = new Recorder(makePolicy('oracle', demandUnits(setup(a).trace, 10, 0.7)));
    const rb = new Recorder(makePolicy('oracle', demandUnits(setup(b).trace, 10, 0.7)));
    runPolicy(setup(a), ra);
    runPolicy(setup(b), rb);
    expect(rb.decisions.slice(0, changeAt)).not.toEqual(ra.decisions.slice(0, changeAt));
  });
});

describe('the oracle', () => {
  it.each([1, 2, 3])('never under-provisions (seed %i, ample primary)', async (seed) => {
    const result = await runBacktest(setup(wave(2 * 288, seed), { primaryMax: 1000, shadowMax: 0 }), [
      'oracle',
    ]);
    const m = result.runs[0]?.metrics;
    expect(m?.tau_u).toBe(0);
    expect(m?.theta_u).toBe(0);
    expect(m?.overload_minutes).toBe(0);
  });

  it('never overloads when it must spill onto the shadow pool', async () => {
    const result = await runBacktest(setup(wave(), { primaryMax: 20, shadowMax: 30 }), ['oracle']);
    const run = result.runs[0];
    expect(run?.metrics.overload_minutes).toBe(0);
    expect(run?.history.readyShadow.some((v) => v > 0)).toBe(true);
  });
});

describe('traffic weights', () => {
  it.each(POLICY_NAMES)(
    '%s: weights sum to 100 and never route to a pool with no ready unit',
    async (name) => {
      const s = setup(wave(), { primaryMax: 20, shadowMax: 30 });
      let run: Awaited<ReturnType<typeof runShadowscale>> | ReturnType<typeof runPolicy>;
      if (isLoopPolicy(name)) run = await runShadowscale(s, undefined, name);
      else {
        const rec = new Recorder(makePolicy(name, demandUnits(s.trace, 10, 0.7)));
        run = runPolicy(s, rec);
        expect(rec.violations).toEqual([]);
      }
      const h = run.history;
      for (let k = 0; k < h.length; k++) {
        const share = h.shadowShare[k] as number;
        expect(share).toBeGreaterThanOrEqual(0);
        expect(share).toBeLessThanOrEqual(1);
        if (share > 0) expect(h.readyShadow[k] as number).toBeGreaterThan(0);
        if (share < 1) expect(h.readyPrimary[k] as number).toBeGreaterThan(0);
      }
    },
  );

  it('shadowscale moves traffic onto a shadow pool for the surge and back home after it', async () => {
    // Four days: the forecaster is confident by the surge on day four.
    const result = await runBacktest(
      setup(wave(4 * 288, 1, 3 * 288 + 150), { primaryMax: 20, shadowMax: 30 }),
      ['shadowscale'],
    );
    const h = result.runs[0]?.history;
    if (!h) throw new Error('no run');
    const onShadow = h.shadowShare.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);
    expect(onShadow.length).toBeGreaterThan(0);
    expect(h.shadowShare[h.length - 1]).toBe(0);
  });
});

describe('reactive target tracking on a crafted step trace', () => {
  // 1-minute steps, unit capacity 1, target 1: demand in units = value. 10 for 30 min, 20 for
  // 30 min, then 5. Lag 3 min, metric delay 1 min.
  const values = Float64Array.from({ length: 100 }, (_, i) => (i < 30 ? 10 : i < 60 ? 20 : 5));
  const s: BacktestSetup = {
    trace: { name: 'steps', startMs: START, intervalMs: MIN, values },
    unitCapacity: 1,
    targetUtilization: 1,
    lagMs: 3 * MIN,
    metricDelayMs: MIN,
  };
  const h = runPolicy(s, makePolicy('reactive', new Float64Array())).history;

  it('scales out after 3 published breaching datapoints, to ⌈demand⌉, ready after the lag', () => {
    // Steps 30, 31, 32 breach (20 > 10 units); step 32 is published at minute 34.
    expect(h.desiredPrimary[33]).toBe(10);
    expect(h.desiredPrimary[34]).toBe(20);
    expect(h.readyPrimary[36]).toBe(10);
    expect(h.readyPrimary[37]).toBe(20);
  });

  it('scales in only after 15 published datapoints below 90% of the target', () => {
    // Steps 60..74 are below (5 / 20); step 74 is published at minute 76.
    expect(h.desiredPrimary[75]).toBe(20);
    expect(h.desiredPrimary[76]).toBe(5);
    expect(h.desiredPrimary[99]).toBe(5);
  });

  it('does not scale in during the 300 s scale-out cooldown', () => {
    // A short scale-in window (2 datapoints) so that only the cooldown can hold the scale-in back:
    // 10 -> 20 at minute 34; from step 33 demand is 1, so 2 low datapoints are published by 36.
    const v2 = Float64Array.from({ length: 80 }, (_, i) => (i < 30 ? 10 : i < 33 ? 20 : 1));
    const r = runPolicy(
      { ...s, trace: { ...s.trace, values: v2 } },
      new ReactivePolicy({ lowWindowMs: 2 * MIN }),
    ).history;
    expect(r.desiredPrimary[34]).toBe(20);
    expect(r.desiredPrimary[38]).toBe(20);
    expect(r.desiredPrimary[39]).toBe(1);
  });
});

describe('shadowscale when the engine refuses the series', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('the service keeps its own target tracking, pre-warm holds, and the replay never stops', async () => {
    const fit = jest.spyOn(engine, 'fit').mockImplementation(() => {
      throw new ForecastInputError('series has 0 numeric value(s)');
    });
    const run = await runShadowscale(setup(wave(3 * 288)));
    expect(run.history.length).toBe(3 * 288);
    expect(fit).toHaveBeenCalled();
    // No forecast ever: no band, no contention, no operation; target tracking served the demand.
    expect(Array.from(run.band?.high ?? []).every((v) => Number.isNaN(v))).toBe(true);
    expect(run.deployed.log.entries).toEqual([]);
    expect(run.metrics.tau_u).toBeLessThan(100);
  });
});
