import { PlanRejectedError } from '../../../shared/errors';
import { makePlan, type PlanInputs } from '../../../shared/migration/plan';
import {
  holdSecondsForReturn,
  peakUnits,
  shadowUnitsFor as plannedShadowUnits,
  quantilePath,
  rankForMigration,
  shadowPoolUnits,
  shadowWeightFor,
} from '../../../shared/planning';
import type { ContentionDecisionRecord } from '../../../shared/ports/repositories';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

function workload(patch: (w: WorkloadInput) => void = () => {}): Workload {
  const input = workloadInput();
  patch(input);
  return Workload.parse(input);
}

function prediction(metric: string, p95: number[], point = p95.map((v) => v / 2)): Prediction {
  return {
    workloadId: 'checkout-api',
    metric,
    generatedAt: 0,
    startMs: 0,
    intervalMs: 300_000,
    point,
    quantiles: [
      { q: 0.5, values: point },
      { q: 0.95, values: p95 },
    ],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

const PRIMARY = { primary: 100, shadow: 0 };

function inputs(patch: Partial<PlanInputs> = {}): PlanInputs {
  return {
    kind: 'migration',
    workload: workload(),
    overrides: {},
    predictions: [],
    decision: undefined,
    initialWeights: PRIMARY,
    lastVerifiedWeights: PRIMARY,
    nowMs: 1_000_000,
    ...patch,
  };
}

describe('quantilePath: exact, else the nearest above, else the highest', () => {
  const p = prediction('requests', [10, 20]);
  it.each([
    [0.95, [10, 20]],
    [0.9, [10, 20]],
    [0.5, [5, 10]],
    [0.99, [10, 20]],
  ])('q=%p', (q, expected) => {
    expect(quantilePath(p, q)).toEqual(expected);
  });
});

describe('peakUnits', () => {
  // requests: capacityPerUnit 6000 at 0.7 utilisation = 4200 per unit; cpu: 100 * 0.7 = 70.
  it.each<[string, Prediction[], { peakUnits: number; metric: string } | undefined]>([
    ['none', [], undefined],
    ['one metric', [prediction('requests', [4_200, 42_000])], { peakUnits: 10, metric: 'requests' }],
    [
      'the largest need wins',
      [prediction('requests', [4_200, 42_000]), prediction('cpu', [700, 1_050])],
      { peakUnits: 15, metric: 'cpu' },
    ],
    ['unknown metrics are ignored', [prediction('other', [1e9])], undefined],
  ])('%s', (_name, predictions, expected) => {
    const got = peakUnits(workload(), predictions);
    if (expected === undefined) expect(got).toBeUndefined();
    else {
      expect(got?.metric).toBe(expected.metric);
      expect(got?.peakUnits).toBeCloseTo(expected.peakUnits, 9);
    }
  });
});

const whole = (w: WorkloadInput) => {
  w.migration = { ...w.migration, move: 'whole' };
};

/** What a migration stands up for a peak: the planned size, at least one unit. */
const shadowUnitsFor = (w: Workload, peak: number) => shadowPoolUnits(w, plannedShadowUnits(w, peak));

describe('shadow pool size for a peak', () => {
  // checkout-api: primary maximum 20 units, shadow maximum 10.
  it.each<[string, (w: WorkloadInput) => void, number, number]>([
    ['whole: share 1 plus 20% buffer', whole, 5, 6],
    ['whole: rounds up', whole, 3, 4],
    ['whole: float noise does not add a unit', whole, 2.5, 3],
    ['whole: at least one unit', whole, 0, 1],
    ['whole: capped at shadowMaxUnits', whole, 100, 10],
    [
      'whole: half share, no buffer',
      (w) => {
        w.migration = { ...w.migration, move: 'whole', shadowShare: 0.5, bufferFraction: 0 };
      },
      9,
      5,
    ],
    ['overflow: the deficit plus 20% buffer', () => {}, 25, 6],
    ['overflow: float noise does not add a unit', () => {}, 22.5, 3],
    ['overflow: no deficit still gets one unit', () => {}, 12, 1],
    ['overflow: capped at shadowMaxUnits', () => {}, 60, 10],
  ])('%s', (_name, patch, peak, expected) => {
    expect(shadowUnitsFor(workload(patch), peak)).toBe(expected);
  });

  it('rejects when shadow pools are disabled', () => {
    const w = workload((x) => {
      x.capacity.shadowMaxUnits = 0;
    });
    expect(() => shadowUnitsFor(w, 5)).toThrow(PlanRejectedError);
  });
});

describe('rankForMigration', () => {
  it('moves stateless first, then by demand, then by priority', () => {
    const mk = (id: string, stateless: boolean, priority: number, demandUnits: number) => ({
      workload: workload((w) => {
        w.workloadId = id;
        w.stateless = stateless;
        w.priority = priority;
      }),
      demandUnits,
    });
    const ranked = rankForMigration([
      mk('stateful-big', false, 99, 100),
      mk('small-high', true, 90, 2),
      mk('big-low', true, 10, 8),
      mk('small-low', true, 10, 2),
    ]);
    expect(ranked.map((r) => r.workload.workloadId)).toEqual([
      'big-low',
      'small-high',
      'small-low',
      'stateful-big',
    ]);
  });
});

describe('holdSecondsForReturn', () => {
  const decision = (contended: boolean, since: number): ContentionDecisionRecord => ({
    workloadId: 'checkout-api',
    contended,
    score: contended ? 0.3 : 0,
    since,
    updatedAt: since,
  });
  it.each<[string, ContentionDecisionRecord | undefined, number, boolean, number]>([
    ['forced returns at once', decision(true, 0), 0, true, 0],
    ['no decision recorded: no hold', undefined, 0, false, 0],
    ['cleared 5 min ago of a 15 min window: 10 min left', decision(false, 0), 300_000, false, 600],
    ['cleared long ago: no hold', decision(false, 0), 3_600_000, false, 0],
  ])('%s', (_name, d, now, force, expected) => {
    expect(holdSecondsForReturn(workload(), d, now, force)).toBe(expected);
  });

  it('refuses while contention is still predicted', () => {
    expect(() => holdSecondsForReturn(workload(), decision(true, 0), 0, false)).toThrow(PlanRejectedError);
  });
});

describe('shadowWeightFor', () => {
  it.each<[string, (w: WorkloadInput) => void, number, number | undefined, number]>([
    ['overflow: the share of the peak the shadow units serve', () => {}, 6, 25, 24],
    ['overflow: never 0', () => {}, 1, 500, 1],
    ['overflow: never above 100', () => {}, 10, 5, 100],
    ['overflow without a peak: everything', () => {}, 4, undefined, 100],
    ['whole: everything', whole, 3, 25, 100],
  ])('%s', (_name, patch, units, peak, expected) => {
    expect(shadowWeightFor(workload(patch), units, peak)).toBe(expected);
  });

  it('re-plans over a running shadow pool without shrinking it, from where traffic stands', () => {
    const from = { primary: 90, shadow: 10 };
    const plan = makePlan(
      inputs({
        predictions: [prediction('requests', [4_200, 105_000])],
        currentShadowUnits: 8,
        initialWeights: from,
        lastVerifiedWeights: from,
      }),
    );
    // The running pool keeps its 8 units, which serve 8/25 of the peak at target: 32 %.
    expect(plan).toMatchObject({
      shadow: { units: 8 },
      shadowWeight: 32,
      startIndex: 0,
      initialWeights: from,
    });
  });

  it('plans an overflow migration to the share its shadow pool serves', () => {
    // p95 peak 105 000 requests = 25 units at 4 200 per unit: deficit 5 over the maximum of 20.
    const plan = makePlan(inputs({ predictions: [prediction('requests', [4_200, 105_000])] }));
    expect(plan).toMatchObject({ shadow: { units: 6 }, shadowWeight: 24, startIndex: 0 });
  });
});

describe('makePlan', () => {
  it('sizes a migration from the latest forecast with the scaled-down task', () => {
    const plan = makePlan(
      inputs({ workload: workload(whole), predictions: [prediction('requests', [4_200, 21_000])] }),
    );
    expect(plan).toMatchObject({
      kind: 'migration',
      direction: 'to-shadow',
      steps: [10, 25, 50, 100],
      startIndex: 0,
      bakeSeconds: 60,
      bakeWaitSeconds: 120,
      shadow: { units: 6, taskCpu: 512, taskMemory: 1024 },
      minHealthyTargets: 6,
      sizing: { source: 'forecast', metric: 'requests' },
      holdSeconds: 0,
      initialWeights: PRIMARY,
    });
    // First poll after the 180 s provisioning lag, then every 15 s up to the 600 s timeout.
    expect(plan).toMatchObject({ firstPollSeconds: 180, pollSeconds: 15, maxPolls: 29 });
  });

  it.each<[string, Partial<PlanInputs>, { source: string; units: number }]>([
    ['explicit units: at least one', { overrides: { shadowUnits: 0 } }, { source: 'override', units: 1 }],
    [
      'explicit units win (capped)',
      { overrides: { shadowUnits: 50, peakUnits: 1 } },
      { source: 'override', units: 10 },
    ],
    [
      'event peak before the stored forecast',
      {
        workload: workload(whole),
        overrides: { peakUnits: 2 },
        predictions: [prediction('requests', [42_000])],
      },
      { source: 'event', units: 3 },
    ],
    [
      'the forecaster decision as a last resort',
      {
        decision: {
          workloadId: 'checkout-api',
          contended: true,
          score: 1,
          since: 0,
          updatedAt: 0,
          recommendedShadowUnits: 4,
        },
      },
      { source: 'decision', units: 4 },
    ],
  ])('sizing: %s', (_name, patch, expected) => {
    const plan = makePlan(inputs(patch));
    expect(plan.sizing.source).toBe(expected.source);
    expect(plan.shadow.units).toBe(expected.units);
  });

  it('rejects a migration with nothing to size from', () => {
    expect(() => makePlan(inputs())).toThrow(/no forecast to size the shadow pool/);
  });

  it('rejects a stateful workload unless allowed', () => {
    const stateful = workload((w) => {
      w.stateless = false;
    });
    expect(() => makePlan(inputs({ workload: stateful, overrides: { shadowUnits: 2 } }))).toThrow(
      PlanRejectedError,
    );
    expect(
      makePlan(inputs({ workload: stateful, overrides: { shadowUnits: 2, allowStateful: true } })).shadow
        .units,
    ).toBe(2);
  });

  it('applies the linear preset and bake override', () => {
    const plan = makePlan(
      inputs({ overrides: { shadowUnits: 2, preset: 'linear', stepCount: 5, bakeSeconds: 0 } }),
    );
    expect(plan.steps).toEqual([20, 40, 60, 80, 100]);
    expect(plan.bakeSeconds).toBe(0);
    expect(plan.gateWindowSeconds).toBe(60);
    expect(plan.bakeWaitSeconds).toBe(120);
  });

  it('resumes from the last verified weights', () => {
    const plan = makePlan(
      inputs({ overrides: { shadowUnits: 2 }, lastVerifiedWeights: { primary: 75, shadow: 25 } }),
    );
    expect(plan.startIndex).toBe(1);
  });

  it('plans a return home from the current shadow size', () => {
    const plan = makePlan(
      inputs({
        kind: 'return',
        currentShadowUnits: 6,
        initialWeights: { primary: 0, shadow: 100 },
        lastVerifiedWeights: { primary: 0, shadow: 100 },
        decision: {
          workloadId: 'checkout-api',
          contended: false,
          score: 0,
          since: 1_000_000 - 600_000,
          updatedAt: 0,
        },
      }),
    );
    expect(plan).toMatchObject({
      kind: 'return',
      direction: 'to-primary',
      startIndex: 0,
      shadow: { units: 6 },
      minHealthyTargets: 1,
      sizing: { source: 'current' },
      holdSeconds: 300,
    });
  });

  it('EKS: one healthy pod behind the shadow target group is the floor, no task size', () => {
    const eks = workload((w) => {
      w.compute = { kind: 'eks', cluster: 'prod', nodegroup: 'ng-1' };
    });
    const plan = makePlan(inputs({ workload: eks, overrides: { shadowUnits: 3 } }));
    expect(plan.shadow).toEqual({ units: 3 });
    expect(plan.minHealthyTargets).toBe(1);
  });
});
