import { NoHealthyTargetsError, ValidationError } from '../../../shared/errors';
import {
  assertRoutable,
  linearSteps,
  nextStepIndex,
  remainingSteps,
  resolveSteps,
  resumeIndex,
  weightsForStep,
  weightsOnAbort,
} from '../../../shared/migration/weights';
import type { TrafficWeights } from '../../../shared/schemas/operation';

describe('weightsForStep', () => {
  it.each([
    [10, 'to-shadow', { primary: 90, shadow: 10 }],
    [100, 'to-shadow', { primary: 0, shadow: 100 }],
    [25, 'to-primary', { primary: 25, shadow: 75 }],
    [100, 'to-primary', { primary: 100, shadow: 0 }],
    [0, 'to-shadow', { primary: 100, shadow: 0 }],
  ] as const)('%i%% %s -> %o', (percent, direction, expected) => {
    const weights = weightsForStep(percent, direction);
    expect(weights).toEqual(expected);
    expect(weights.primary + weights.shadow).toBe(100);
  });

  it.each([-1, 101, 12.5, Number.NaN])('rejects %p', (percent) => {
    expect(() => weightsForStep(percent, 'to-shadow')).toThrow(ValidationError);
  });
});

describe('linearSteps', () => {
  it.each([
    [1, [100]],
    [2, [50, 100]],
    [3, [33, 67, 100]],
    [4, [25, 50, 75, 100]],
    [5, [20, 40, 60, 80, 100]],
  ])('%i steps -> %o', (count, expected) => {
    expect(linearSteps(count)).toEqual(expected);
  });

  it.each([0, 21, 2.5])('rejects count %p', (count) => {
    expect(() => linearSteps(count)).toThrow(/stepCount|linear step count/);
  });
});

describe('resolveSteps', () => {
  const workloadSteps = [5, 50, 100];
  it.each([
    ['explicit steps win', { steps: [20, 100], preset: 'linear' as const }, [20, 100]],
    ['linear preset, default 4', { preset: 'linear' as const }, [25, 50, 75, 100]],
    ['linear preset with count', { preset: 'linear' as const, stepCount: 2 }, [50, 100]],
    ['default preset', { preset: 'default' as const }, [10, 25, 50, 100]],
    ['workload steps otherwise', {}, [5, 50, 100]],
  ])('%s', (_name, overrides, expected) => {
    expect(resolveSteps(workloadSteps, overrides)).toEqual(expected);
  });
});

describe('resumeIndex', () => {
  const steps = [10, 25, 50, 100];
  it.each<[string, TrafficWeights | undefined, 'to-shadow' | 'to-primary', number]>([
    ['no verified weights', undefined, 'to-shadow', 0],
    ['nothing moved yet', { primary: 100, shadow: 0 }, 'to-shadow', 0],
    ['at 10% re-gates step 0', { primary: 90, shadow: 10 }, 'to-shadow', 0],
    ['at 50% re-gates step 2', { primary: 50, shadow: 50 }, 'to-shadow', 2],
    ['between steps resumes at the lower one', { primary: 60, shadow: 40 }, 'to-shadow', 1],
    ['fully moved', { primary: 0, shadow: 100 }, 'to-shadow', 3],
    ['return, nothing back yet', { primary: 0, shadow: 100 }, 'to-primary', 0],
    ['return at 25% home', { primary: 25, shadow: 75 }, 'to-primary', 1],
  ])('%s', (_name, weights, direction, expected) => {
    expect(resumeIndex(steps, weights, direction)).toBe(expected);
  });
});

describe('nextStepIndex', () => {
  it.each([
    [0, 1],
    [2, 3],
    [3, undefined],
  ])('after %i -> %p', (index, expected) => {
    expect(nextStepIndex([10, 25, 50, 100], index)).toBe(expected);
  });
});

describe('assertRoutable', () => {
  it.each<[TrafficWeights, { primary: number; shadow: number }, boolean]>([
    [{ primary: 90, shadow: 10 }, { primary: 3, shadow: 1 }, true],
    [{ primary: 90, shadow: 10 }, { primary: 3, shadow: 0 }, false],
    [{ primary: 100, shadow: 0 }, { primary: 3, shadow: 0 }, true],
    [{ primary: 0, shadow: 100 }, { primary: 0, shadow: 2 }, true],
    [{ primary: 50, shadow: 50 }, { primary: 0, shadow: 2 }, false],
  ])('%o with healthy %o routable=%p', (weights, healthy, ok) => {
    if (ok) expect(() => assertRoutable(weights, healthy)).not.toThrow();
    else expect(() => assertRoutable(weights, healthy)).toThrow(NoHealthyTargetsError);
  });
});

describe('weightsOnAbort', () => {
  const initial = { primary: 100, shadow: 0 };
  it.each<
    [
      string,
      { initialWeights?: TrafficWeights; lastVerifiedWeights?: TrafficWeights },
      { primary: number; shadow: number },
      TrafficWeights,
      string,
    ]
  >([
    [
      'restores the initial weights',
      { initialWeights: initial, lastVerifiedWeights: { primary: 50, shadow: 50 } },
      { primary: 4, shadow: 2 },
      initial,
      'initial',
    ],
    [
      'defaults to primary 100 without initial weights',
      {},
      { primary: 4, shadow: 0 },
      initial,
      'default-primary',
    ],
    [
      'a run that started elsewhere goes back there',
      { initialWeights: { primary: 0, shadow: 100 }, lastVerifiedWeights: { primary: 50, shadow: 50 } },
      { primary: 4, shadow: 2 },
      { primary: 0, shadow: 100 },
      'initial',
    ],
    [
      'never onto a target group with no healthy target',
      { initialWeights: { primary: 0, shadow: 100 }, lastVerifiedWeights: { primary: 50, shadow: 50 } },
      { primary: 4, shadow: 0 },
      initial,
      'fallback-to-healthy',
    ],
    [
      'primary empty: all to the shadow',
      { initialWeights: initial, lastVerifiedWeights: { primary: 50, shadow: 50 } },
      { primary: 0, shadow: 3 },
      { primary: 0, shadow: 100 },
      'fallback-to-healthy',
    ],
    [
      'nothing healthy anywhere: keep the last verified weights',
      { initialWeights: initial, lastVerifiedWeights: { primary: 75, shadow: 25 } },
      { primary: 0, shadow: 0 },
      { primary: 75, shadow: 25 },
      'keep-last-verified',
    ],
  ])('%s', (_name, operation, healthy, weights, reason) => {
    expect(weightsOnAbort(operation, healthy)).toEqual({ weights, reason });
  });
});

describe('weights of a partial (overflow) move', () => {
  it.each<
    [number, 'to-shadow' | 'to-primary', { shadowWeight?: number; from?: TrafficWeights }, TrafficWeights]
  >([
    [10, 'to-shadow', { shadowWeight: 20 }, { primary: 98, shadow: 2 }],
    [25, 'to-shadow', { shadowWeight: 20 }, { primary: 95, shadow: 5 }],
    [100, 'to-shadow', { shadowWeight: 20 }, { primary: 80, shadow: 20 }],
    [10, 'to-shadow', { shadowWeight: 3 }, { primary: 99, shadow: 1 }],
    [0, 'to-shadow', { shadowWeight: 20 }, { primary: 100, shadow: 0 }],
    // A grown forecast re-plans a move that already has 10 % on the shadow pool: the ladder
    // continues from there (rungs at or below 10 % keep the weights; never back).
    [10, 'to-shadow', { shadowWeight: 20, from: { primary: 90, shadow: 10 } }, { primary: 90, shadow: 10 }],
    [50, 'to-shadow', { shadowWeight: 20, from: { primary: 90, shadow: 10 } }, { primary: 90, shadow: 10 }],
    [100, 'to-shadow', { shadowWeight: 20, from: { primary: 90, shadow: 10 } }, { primary: 80, shadow: 20 }],
    [50, 'to-shadow', { shadowWeight: 40, from: { primary: 90, shadow: 10 } }, { primary: 80, shadow: 20 }],
    // Never back: a re-plan to a smaller share keeps the share it has.
    [100, 'to-shadow', { shadowWeight: 5, from: { primary: 90, shadow: 10 } }, { primary: 90, shadow: 10 }],
    // A return from 80/20 continues the primary's ladder: 10, 25 and 50 % are behind it.
    [10, 'to-primary', { from: { primary: 80, shadow: 20 } }, { primary: 80, shadow: 20 }],
    [50, 'to-primary', { from: { primary: 80, shadow: 20 } }, { primary: 80, shadow: 20 }],
    [100, 'to-primary', { from: { primary: 80, shadow: 20 } }, { primary: 100, shadow: 0 }],
    [25, 'to-primary', { from: { primary: 0, shadow: 100 } }, { primary: 25, shadow: 75 }],
    [50, 'to-primary', { from: { primary: 40, shadow: 60 } }, { primary: 50, shadow: 50 }],
  ])('%i%% %s with %j', (percent, direction, shape, expected) => {
    expect(weightsForStep(percent, direction, shape)).toEqual(expected);
  });

  it.each<
    [
      TrafficWeights | undefined,
      'to-shadow' | 'to-primary',
      { shadowWeight?: number; from?: TrafficWeights },
      number,
    ]
  >([
    [{ primary: 90, shadow: 10 }, 'to-shadow', { shadowWeight: 20 }, 2],
    [{ primary: 95, shadow: 5 }, 'to-shadow', { shadowWeight: 20 }, 1],
    // A plan recorded before the ladder continued from where traffic stands: its passed rungs
    // re-apply the start weights, so a rerun re-gates them once and goes on.
    [{ primary: 80, shadow: 20 }, 'to-primary', { from: { primary: 80, shadow: 20 } }, 2],
  ])('resumes from %j (%s, %j) at step %i', (verified, direction, shape, expected) => {
    expect(resumeIndex([10, 25, 50, 100], verified, direction, shape)).toBe(expected);
  });
});

describe('remainingSteps', () => {
  it.each<[string, 'to-shadow' | 'to-primary', { shadowWeight?: number; from?: TrafficWeights }, number[]]>([
    [
      'a first move takes every rung',
      'to-shadow',
      { shadowWeight: 20, from: { primary: 100, shadow: 0 } },
      [10, 25, 50, 100],
    ],
    ['no start weights: every rung', 'to-shadow', { shadowWeight: 20 }, [10, 25, 50, 100]],
    [
      'a re-plan from 10 % to 20 %: one step',
      'to-shadow',
      { shadowWeight: 20, from: { primary: 90, shadow: 10 } },
      [100],
    ],
    [
      'a re-plan from 10 % to 40 %: two',
      'to-shadow',
      { shadowWeight: 40, from: { primary: 90, shadow: 10 } },
      [50, 100],
    ],
    [
      'a re-plan to less than it has: the last step re-gates',
      'to-shadow',
      { shadowWeight: 5, from: { primary: 90, shadow: 10 } },
      [100],
    ],
    ['a return from 80/20: one step', 'to-primary', { from: { primary: 80, shadow: 20 } }, [100]],
    ['a return from 40/60: two', 'to-primary', { from: { primary: 40, shadow: 60 } }, [50, 100]],
    [
      'a return from 0/100: every rung',
      'to-primary',
      { from: { primary: 0, shadow: 100 } },
      [10, 25, 50, 100],
    ],
  ])('%s', (_name, direction, shape, expected) => {
    expect(remainingSteps([10, 25, 50, 100], direction, shape)).toEqual(expected);
  });

  it('never moves the destination back, and ends where the whole move ends', () => {
    for (let shadow = 0; shadow <= 100; shadow += 5) {
      const from = { primary: 100 - shadow, shadow };
      for (const direction of ['to-shadow', 'to-primary'] as const) {
        const shape = { shadowWeight: 60, from };
        let share = direction === 'to-shadow' ? from.shadow : from.primary;
        for (const step of remainingSteps([10, 25, 50, 100], direction, shape)) {
          const w = weightsForStep(step, direction, shape);
          const next = direction === 'to-shadow' ? w.shadow : w.primary;
          expect(next).toBeGreaterThanOrEqual(share);
          share = next;
        }
        const end = weightsForStep(100, direction, shape);
        expect(share).toBe(direction === 'to-shadow' ? end.shadow : end.primary);
        expect(end.shadow).toBe(direction === 'to-shadow' ? Math.max(shadow, 60) : 0);
      }
    }
  });
});
