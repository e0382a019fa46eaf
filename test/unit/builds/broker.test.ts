import { adjust, lend } from '../../../shared/builds/adjust';
import { allocate, type BrokerRequest } from '../../../shared/builds/broker';
import {
  changeScore,
  changeScoreFromCounts,
  classifyFile,
  emptyComponents,
} from '../../../shared/builds/change';
import { cyclomaticComplexity } from '../../../shared/builds/complexity';
import { PRICE_TABLE, pricesFor } from '../../../shared/builds/prices';
import { fitParallelFractions, runtimeSeconds } from '../../../shared/builds/speedup';
import { ConfigError } from '../../../shared/errors';

const prices = pricesFor('us-east-1');
const q = (w: number) => ({ q10: w * 0.7, q50: w, q80: w * 1.3, q90: w * 1.5 });

function request(over: Partial<BrokerRequest> & { work?: number } = {}): BrokerRequest {
  const { work = 600, ...rest } = over;
  return {
    component: { pipeline: 'app', stage: 'test', kind: 'codebuild', parallelFraction: 0.8 },
    prediction: { agentSeconds: q(work) },
    deadlineSeconds: 1200,
    budgetUsd: 10,
    planQuantile: 0.8,
    pool: { reservedFree: {}, onDemandAvailable: true },
    prices,
    ...rest,
  };
}

describe('allocate', () => {
  it.each([
    // [what, request, expected option id, fallback]
    ['a short stage on the smallest on-demand type', request({ work: 300 }), 'on-demand:SMALL', undefined],
    [
      'a long stage on the smallest type that meets the deadline',
      request({ work: 2000 }),
      'on-demand:LARGE',
      undefined,
    ],
    [
      'a free reserved instance before on-demand at equal price',
      request({ work: 300, pool: { reservedFree: { SMALL: 1 }, onDemandAvailable: true } }),
      'reserved:SMALL',
      undefined,
    ],
    [
      'queue for the reserved type when the wait is shorter than an on-demand start',
      request({
        work: 300,
        pool: { reservedFree: { SMALL: 0 }, reservedWaitSeconds: { SMALL: 30 }, onDemandAvailable: true },
      }),
      'reserved:SMALL',
      'queue',
    ],
    [
      'overflow rather than queue longer than an on-demand start, even when the deadline holds',
      request({
        work: 300,
        pool: { reservedFree: { SMALL: 0 }, reservedWaitSeconds: { SMALL: 60 }, onDemandAvailable: true },
      }),
      'on-demand:SMALL',
      'overflow',
    ],
    [
      'pack into a larger free reserved type before paying for on-demand',
      request({
        work: 300,
        pool: {
          reservedFree: { SMALL: 0, MEDIUM: 1 },
          reservedWaitSeconds: { SMALL: 600 },
          onDemandAvailable: true,
        },
      }),
      'reserved:MEDIUM',
      'pack',
    ],
    [
      'overflow to on-demand when the wait would miss the deadline',
      request({
        work: 600,
        pool: { reservedFree: { SMALL: 0 }, reservedWaitSeconds: { SMALL: 900 }, onDemandAvailable: true },
      }),
      'on-demand:SMALL',
      'overflow',
    ],
    [
      'the earliest finish when nothing can meet the deadline',
      request({ work: 100_000, deadlineSeconds: 60, budgetUsd: 1000 }),
      'on-demand:2XLARGE',
      undefined,
    ],
    [
      'the earliest finish the budget allows',
      request({ work: 100_000, deadlineSeconds: 60, budgetUsd: 10 }),
      'on-demand:MEDIUM',
      undefined,
    ],
  ])('%s', (_what, req, id, fallback) => {
    const a = allocate(req);
    expect(a.id).toBe(id);
    expect(a.fallback).toBe(fallback);
    expect(a.reason.length).toBeGreaterThan(0);
    if (a.tier === 'on-demand' || a.tier === 'reserved')
      expect(a.codebuild?.computeTypeOverride).toBe(`BUILD_GENERAL1_${a.computeType}`);
  });

  it('records the reason when the preferred reserved pool is exhausted', () => {
    const a = allocate(
      request({
        work: 600,
        pool: { reservedFree: { SMALL: 0 }, reservedWaitSeconds: { SMALL: 900 }, onDemandAvailable: true },
      }),
    );
    expect(a.preferred).toBe('reserved:SMALL');
    expect(a.reason).toMatch(/reserved fleet exhausted/);
  });

  it('stays within the budget and says so when it cannot', () => {
    const a = allocate(request({ work: 100_000, deadlineSeconds: 60, budgetUsd: 0.01 }));
    expect(a.withinBudget).toBe(false);
    expect(a.meetsDeadline).toBe(false);
  });

  it.each([
    ['Fargate Spot for an interruptible workflow task', true, true, 'FARGATE_SPOT', undefined],
    ['Fargate for a task that must not be interrupted', false, true, 'FARGATE', undefined],
    ['Fargate when Spot has no capacity', true, false, 'FARGATE', 'overflow'],
  ])('%s', (_what, interruptible, spotAvailable, provider, fallback) => {
    const a = allocate(
      request({
        component: {
          pipeline: 'wf',
          stage: 'Transform',
          kind: 'ecs-task',
          parallelFraction: 0.5,
          interruptible,
        },
        pool: { reservedFree: {}, onDemandAvailable: true, spotAvailable },
      }),
    );
    expect(a.ecs?.capacityProviderStrategy[0]?.capacityProvider).toBe(provider);
    expect(a.fallback).toBe(fallback);
    expect(Number(a.ecs?.cpu)).toBe(Math.round(a.vcpu * 1024));
  });

  it('refuses an unknown region with its name', () => {
    expect(() => pricesFor('mars-1')).toThrow(ConfigError);
    expect(() => pricesFor('mars-1')).toThrow(/mars-1/);
    expect(Object.keys(PRICE_TABLE)).toContain('eu-west-1');
  });
});

describe('speed-up model (Amdahl)', () => {
  it.each([
    [1000, 0, 8, 1000],
    [1000, 0.5, 4, 750],
    [1000, 0.9, 2, 1000],
  ])('work %d, p %d on %d vCPU takes %d s', (w, p, v, t) => expect(runtimeSeconds(w, p, v)).toBeCloseTo(t));

  it('shrinks a stage with few logged runs toward the pooled p', () => {
    const fit = fitParallelFractions(
      new Map([
        ['a', Array(100).fill(0.8)],
        ['b', [0.2]],
      ]),
      ['a', 'b', 'c'],
    );
    expect(fit.byStage.a).toBeGreaterThan(0.75);
    expect(fit.byStage.b).toBeGreaterThan(0.6);
    expect(fit.byStage.c).toBe(fit.pooled);
  });
});

describe('dynamic adjustment and lending', () => {
  const base = { vcpu: 2, parallelFraction: 0.8, agentSeconds: q(600), deadlineSeconds: 900 };
  const opts = { sizes: [2, 4, 8, 36, 72], budgetLeftUsd: 5, usdPerVcpuSecond: 0.0025 / 60 };
  it.each([
    ['holds inside the profile', 300, 'hold'],
    ['scales up once past the interval with the deadline at risk', 850, 'scale-up'],
  ])('%s', (_w, elapsed, action) =>
    expect(adjust({ ...base, elapsedSeconds: elapsed }, opts).action).toBe(action),
  );

  it('holds when no budget is left', () => {
    expect(adjust({ ...base, elapsedSeconds: 850 }, { ...opts, budgetLeftUsd: 0 }).action).toBe('hold');
  });

  it('releases when far ahead of the profile', () => {
    expect(adjust({ ...base, vcpu: 72, elapsedSeconds: 10, deadlineSeconds: 5000 }, opts).action).toBe(
      'release',
    );
  });

  it('gives what finished stages did not spend to the stage furthest behind', () => {
    const out = lend([
      { stage: 'unit', committedUsd: 1, spentUsd: 0.4, done: true, behindSeconds: -100 },
      { stage: 'e2e', committedUsd: 2, spentUsd: 1, done: false, behindSeconds: 300 },
      { stage: 'lint', committedUsd: 1, spentUsd: 0.5, done: false, behindSeconds: 30 },
    ]);
    expect(out.to).toBe('e2e');
    expect(out.freedUsd).toBeCloseTo(0.6);
    expect(out.stages.reduce((s, x) => s + x.committedUsd, 0)).toBeCloseTo(4); // the run's total never grows
  });
});

describe('change score', () => {
  it.each([
    ['src/app.ts', 'source'],
    ['src/app.test.ts', 'test'],
    ['test/unit/a.ts', 'test'],
    ['docs/guide.md', 'docs'],
    ['README.md', 'docs'],
    ['package-lock.json', 'dependency'],
    ['services/api/go.sum', 'dependency'],
    ['assets/logo.png', 'other'],
  ])('%s is %s', (path, kind) => expect(classifyFile(path)).toBe(kind));

  it('is 0 for no change and grows with weighted size', () => {
    expect(changeScore(emptyComponents()).score).toBe(0);
    const small = changeScoreFromCounts({ sourceLines: 10, sourceFiles: 1 }).score;
    const big = changeScoreFromCounts({ sourceLines: 1000, sourceFiles: 20 }).score;
    expect(big).toBeGreaterThan(small);
  });

  it('counts cyclomatic complexity with the TypeScript parser', () => {
    expect(cyclomaticComplexity('const a = 1;')).toBe(1);
    const src = `function f(x: number) { if (x > 1 && x < 5) { return 1; } for (const y of [1]) {} return x ?? 0; }
      const s = 'if (a) {}'; // text, not code`;
    // module 1 + function 1 + if 1 + && 1 + for-of 1 + ?? 1
    expect(cyclomaticComplexity(src)).toBe(6);
    expect(cyclomaticComplexity('switch (x) { case 1: break; case 2: break; default: }', 'a.js')).toBe(3);
  });
});
