import {
  ARMS,
  armFloors,
  armSettings,
  forecastQuantiles,
  initialLearnerState,
  LEARNER_QUANTILES,
  type LearnerState,
  learnStep,
  lossWeights,
  nearestArm,
  scoreWindow,
} from '../../../shared/planning/learner';
import { planningPath } from '../../../shared/planning/path';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { parseOrThrow } from '../../../shared/validation';
import { workloadInput } from '../../helpers/fixtures';

const T0 = Date.UTC(2026, 0, 5);
const STEP = 300_000;

/** checkout-api: requests 6000 per unit, target 0.7 (4200 per unit planned), lag 180 s, 2..20 + 10. */
function workloadWith(policy: WorkloadInput['policy'] = {}): Workload {
  return Workload.parse({ ...workloadInput(), policy });
}
const workload = workloadWith();
const requests = workload.metrics[0] as Workload['metrics'][number];

/** A forecast whose quantile q is `level × (1 + spread(q))`. */
function forecast(level: number[], spread: (q: number) => number, startMs = T0) {
  return {
    startMs,
    intervalMs: STEP,
    point: level,
    quantiles: LEARNER_QUANTILES.map((q) => ({ q, values: level.map((v) => v * (1 + spread(q))) })),
  };
}

describe('arms', () => {
  it('start from the arm nearest the configured settings', () => {
    expect(ARMS[nearestArm({ quantile: 0.99, maxHeadroom: 0.2, minQuantile: 0.8 })]).toEqual({
      quantile: 0.99,
      maxHeadroom: 0.2,
    });
    expect(ARMS[nearestArm({ quantile: 0.95, minQuantile: 0.8 })]).toEqual({
      quantile: 0.95,
      maxHeadroom: Number.POSITIVE_INFINITY,
    });
    expect(ARMS[nearestArm({ quantile: 0.5, minQuantile: 0.5 })]?.quantile).toBe(0.5);
  });

  it('a learning workload forecasts every arm quantile, a fixed one only its own', () => {
    expect(forecastQuantiles(workload, requests)).toEqual(expect.arrayContaining([...LEARNER_QUANTILES]));
    expect(forecastQuantiles(workloadWith({ learn: false }), requests)).toEqual([0.5, 0.8, 0.95]);
  });

  it.each([
    // steps 0 and 1 are in [T0, T0 + 180 s + 300 s]; the median needs 8400 / 4200 = 2 units.
    ['the median arm', 0, 2],
    [
      'q0.999 uncapped: +100 %',
      ARMS.findIndex((a) => a.quantile === 0.999 && !Number.isFinite(a.maxHeadroom)),
      4,
    ],
    [
      'q0.999 capped at 10 %: 9240 → 3 units',
      ARMS.findIndex((a) => a.quantile === 0.999 && a.maxHeadroom === 0.1),
      3,
    ],
  ])('floors: %s', (_name, arm, units) => {
    const f = forecast([8_400, 4_200, 99_999], (q) => (q >= 0.99 ? 1 : 0));
    expect(armFloors(f, workload, requests, T0)[arm]).toBe(units);
  });

  it('a floor is the peak of the very path planningPath plans with', () => {
    const f = forecast([4_000, 9_000, 2_000], (q) => (q - 0.5) * 2);
    const floors = armFloors(f, workload, requests, T0);
    ARMS.forEach((arm, i) => {
      const path = planningPath({ ...f, planning: armSettings(arm) }, requests);
      const peak = Math.max(path[0] as number, path[1] as number);
      expect(floors[i]).toBe(Math.ceil(peak / 4_200 - 1e-9));
    });
  });
});

describe('scoreWindow', () => {
  const weights = { shortMinute: 1, overloadMinute: 10 };
  const recent = (values: (number | null)[]): LearnerState['recent'] => ({
    startMs: T0,
    intervalMs: 60_000,
    values,
  });
  // lag 180 s + 3 one-minute datapoints: target tracking follows demand 6 steps late.
  it.each([
    [
      'steady demand: target tracking covers it, a higher floor only costs',
      [4, 4, 4, 4, 4, 4, 4, 4],
      [2, 6],
      6,
      8,
      [8 / 60, 12 / 60],
    ],
    [
      'a jump target tracking has not seen: short and overloaded at floor 2, covered at floor 6',
      [2, 2, 2, 2, 2, 2, 5, 5],
      [2, 6],
      6,
      8,
      [2 * (2 / 60 + 1 + 10), 2 * (6 / 60)],
    ],
    ['missing points are not scored', [4, 4, 4, 4, 4, 4, null, 4], [2, 6], 6, 8, [4 / 60, 6 / 60]],
  ])('%s', (_name, values, floors, from, to, expected) => {
    const scored = scoreWindow(
      floors,
      recent(values),
      T0 + from * 60_000,
      T0 + to * 60_000,
      workload,
      weights,
    );
    scored.loss.forEach((l, i) => {
      expect(l).toBeCloseTo(expected[i] as number, 9);
    });
  });

  it('never counts more ready capacity than the primary and shadow maxima', () => {
    const scored = scoreWindow([40], recent([50, 50]), T0, T0 + 120_000, workload, {
      shortMinute: 0,
      overloadMinute: 0,
    });
    expect(scored.loss[0]).toBeCloseTo((30 * 2) / 60, 9);
  });
});

describe('policy weights', () => {
  it('default to minutes of the whole primary, or take absolute unit-hours', () => {
    expect(lossWeights(workload)).toEqual({ shortMinute: 20 / 60, overloadMinute: 200 / 60 });
    expect(lossWeights(workloadWith({ shortMinuteUnitHours: 0.5, overloadMinuteUnitHours: 3 }))).toEqual({
      shortMinute: 0.5,
      overloadMinute: 3,
    });
  });

  it.each([
    [{ halfLifeHours: 0 }, 'policy.halfLifeHours'],
    [{ overloadMinutes: -1 }, 'policy.overloadMinutes'],
    [{ learn: 'yes' }, 'policy.learn'],
    [{ explore: true }, 'policy'],
  ])('a bad policy %j is refused naming %s', (policy, field) => {
    expect(() =>
      parseOrThrow(Workload, { ...workloadInput(), policy } as unknown as WorkloadInput, 'workload'),
    ).toThrow(field);
  });
});

/**
 * Drive the learner as the forecaster does: one run every 5 minutes, observing the demand of the
 * step just ended, with a forecast whose band is `spread` wide around the true level.
 */
function drive(
  w: Workload,
  demand: (t: number) => number,
  hours: number,
  spread: (q: number) => number,
): { state: LearnerState; settings: ReturnType<typeof learnStep>['settings']; changes: string[] } {
  let state: LearnerState | undefined;
  let settings = armSettings(ARMS[0] as (typeof ARMS)[number]);
  const changes: string[] = [];
  const metric = w.metrics[0] as Workload['metrics'][number];
  for (let t = T0; t < T0 + hours * 3_600_000; t += STEP) {
    const level = [12_000, 12_000, 12_000, 12_000];
    const step = learnStep(state, {
      workload: w,
      metric,
      nowMs: t,
      observed: [{ t: t - STEP, v: demand(t - STEP) }],
      forecast: forecast(level, spread, t),
    });
    state = step.state;
    settings = step.settings;
    if (step.change) changes.push(step.change.reason);
  }
  return { state: state as LearnerState, settings, changes };
}

describe('learnStep', () => {
  // Demand sits at 12,000 but one step in six jumps to 30,000: only a wide band covers the jumps.
  const spiky = (t: number) => (Math.floor(t / STEP) % 6 === 0 ? 30_000 : 12_000);
  const band = (q: number) => (q >= 0.99 ? 1.6 : q >= 0.9 ? 0.3 : 0);

  it('keeps the configured settings until it has a day of evidence', () => {
    const { settings, changes } = drive(workload, spiky, 12, band);
    expect(settings).toEqual({ quantile: 0.95, minQuantile: 0.8 });
    expect(changes).toEqual([]);
  });

  it('moves to a wide band when overload is dear, and says why', () => {
    const { settings, changes } = drive(workload, spiky, 48, band);
    expect(settings.quantile).toBeGreaterThanOrEqual(0.99);
    expect(settings.maxHeadroom ?? Number.POSITIVE_INFINITY).toBeGreaterThanOrEqual(1.5);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes[0]).toMatch(/would have cost .* per overloaded minute/);
  });

  it('moves to the cheapest path when a minute short costs nothing', () => {
    const free = workloadWith({ shortMinutes: 0, overloadMinutes: 0 });
    const { settings } = drive(free, spiky, 48, band);
    expect(settings.quantile).toBe(0.5);
  });

  it('keeps its stored state small however long it runs', () => {
    const { state } = drive(workload, spiky, 24 * 14, band);
    expect(JSON.stringify(state).length).toBeLessThan(6_000);
    expect(state.pending.length).toBeLessThanOrEqual(3);
  });

  it('starts from a fresh state when the stored one is absent', () => {
    const s = initialLearnerState(requests, T0);
    expect(ARMS[s.arm]).toEqual({ quantile: 0.95, maxHeadroom: Number.POSITIVE_INFINITY });
    expect(s.loss).toHaveLength(4);
  });
});
