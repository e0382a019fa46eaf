import {
  bucketByPeriod,
  DEFAULT_PLAN_OPTIONS,
  horizonSteps,
  planFanout,
  planRead,
  quantilesFor,
  retentionMs,
  signalTagsOf,
  splitSignals,
} from '../../../shared/forecaster';
import type { ModelState } from '../../../shared/model/api';
import type { ModelStateRecord } from '../../../shared/ports/repositories';
import type { Signal } from '../../../shared/schemas/signal';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { PERIOD, T0, workload } from './helpers';

const DAY = 86_400_000;
const metric = workload('shop').metrics[0] as NonNullable<ReturnType<typeof workload>['metrics'][0]>;

function stored(lastPointMs: number, state: Partial<ModelState> = {}): ModelStateRecord {
  return {
    workloadId: 'shop',
    metric: 'requests',
    lastPointMs,
    fittedAt: lastPointMs,
    state: {
      format: 1,
      model: 'x',
      intervalMs: PERIOD,
      lastPointMs,
      fittedAtMs: lastPointMs,
      confidence: 'high',
      ...state,
    },
  };
}

describe('planRead', () => {
  const now = T0 + 7 * 60_000; // 7 minutes past a period boundary
  const never = (): boolean => false;

  it.each([
    ['no state', undefined, false, never, { mode: 'full', reason: 'no-state' }],
    ['a requested refit', stored(T0 - PERIOD), true, never, { mode: 'full', reason: 'requested' }],
    [
      'a refit the engine asks for',
      stored(T0 - PERIOD),
      false,
      (): boolean => true,
      { mode: 'full', reason: 'refit-due' },
    ],
    [
      'a state the engine cannot read',
      stored(T0 - PERIOD),
      false,
      (): boolean => {
        throw new Error('format 0');
      },
      { mode: 'full', reason: 'incompatible-state' },
    ],
    [
      'a changed period',
      stored(T0 - PERIOD, { intervalMs: 60_000 }),
      false,
      never,
      { mode: 'full', reason: 'interval-changed' },
    ],
    [
      'a usable state',
      stored(T0 - PERIOD),
      false,
      never,
      { mode: 'incremental', startMs: T0, endMs: T0 + PERIOD },
    ],
  ] as const)('reads %s as %j', (_, state, fullRefit, due, expected) => {
    const read = planRead(metric, state, now, DEFAULT_PLAN_OPTIONS, due, fullRefit);
    expect(read).toMatchObject(expected);
    // Always up to the last settled period (now - 60 s, rounded down to the period).
    expect(read.endMs).toBe(T0 + PERIOD);
    if (read.mode === 'full') expect(read.startMs).toBe(T0 + PERIOD - 35 * DAY);
  });

  it('leaves nothing to read when no period has settled since the last point', () => {
    const read = planRead(metric, stored(T0), T0 + PERIOD + 30_000, DEFAULT_PLAN_OPTIONS, () => false, false);
    expect(read.endMs).toBeLessThanOrEqual(read.startMs);
  });

  it.each([
    [10, 3 * 3_600_000],
    [60, 15 * DAY],
    [300, 63 * DAY],
    [3600, 455 * DAY],
  ])('caps history by CloudWatch retention for a %i s period', (period, retention) => {
    expect(retentionMs(period)).toBe(retention);
    const m = { ...metric, periodSeconds: period };
    const read = planRead(
      m,
      undefined,
      T0,
      { ...DEFAULT_PLAN_OPTIONS, historyMs: 1_000 * DAY },
      () => false,
      false,
    );
    expect(read.endMs - read.startMs).toBeLessThanOrEqual(retention);
  });
});

describe('horizonSteps', () => {
  it.each([
    // [forecast start, now, horizon s, steps]
    [T0, T0, 3600, 12],
    [T0 - PERIOD, T0, 3600, 13],
    [T0 - 3 * PERIOD, T0, 3600, 15],
    // A long-stalled series never asks for more than twice the horizon.
    [T0 - 100 * PERIOD, T0, 3600, 24],
    [T0, T0, 60, 1],
  ])('from %i at %i over %i s is %i steps', (start, now, horizon, steps) => {
    expect(horizonSteps(start, PERIOD, now, horizon)).toBe(steps);
  });
});

describe('quantilesFor, signalTagsOf, splitSignals', () => {
  it('always keeps 0.5, 0.8, 0.95 and adds the planning quantile', () => {
    expect(quantilesFor({ ...metric, quantile: 0.99 })).toEqual([0.5, 0.8, 0.95, 0.99]);
    expect(quantilesFor({ ...metric, quantile: 0.95 })).toEqual([0.5, 0.8, 0.95]);
  });

  it('listens to tag keys and values that are valid signal tags', () => {
    const w = workload('shop', (input) => {
      input.tags = { campaigns: 'retail-eu', Team: 'Payments Squad', deploy: '' };
    });
    expect(signalTagsOf(w)).toEqual(['campaigns', 'deploy', 'retail-eu']);
  });

  it('splits signals into future (still running) and past', () => {
    const s = (id: string, startsAt: number, endsAt: number) =>
      ({ signalId: id, tag: 't', startsAt, endsAt, source: 'x', detail: {} }) as Signal;
    const { future, past } = splitSignals(
      [s('old', 0, T0 - 1), s('now', T0 - 10, T0 + 10), s('next', T0 + 5, T0 + 9)],
      T0,
    );
    expect(future.map((x) => x.signalId)).toEqual(['now', 'next']);
    expect(past.map((x) => x.signalId)).toEqual(['old']);
  });
});

describe('planFanout', () => {
  async function registry(n: number) {
    const repos = makeMemoryRepositories();
    for (let i = 0; i < n; i++) await repos.workloads.create(workload(`w-${String(i).padStart(3, '0')}`));
    return repos.workloads;
  }

  it.each([
    [0, 1_000, 'single', 0],
    [5, 1_000, 'single', 0],
    [5, 5, 'single', 0],
    [5, 4, 'distributed', 3],
    [6, 0, 'distributed', 3],
  ])('%i workloads with threshold %i -> %s with %i batches of 2', async (n, threshold, mode, batches) => {
    const plan = await planFanout(await registry(n), { batchSize: 2, threshold });
    expect(plan).toMatchObject({ mode, count: n, threshold });
    expect(plan.batches).toHaveLength(batches);
  });

  it('gives each batch the cursor its page starts at, so a batch lists exactly its page', async () => {
    const workloads = await registry(5);
    const plan = await planFanout(workloads, { batchSize: 2, threshold: 0, fullRefit: true });
    const pages = await Promise.all(plan.batches.map((b) => workloads.list(b.page)));
    expect(pages.map((p) => p.items.map((r) => r.workload.workloadId))).toEqual([
      ['w-000', 'w-001'],
      ['w-002', 'w-003'],
      ['w-004'],
    ]);
    expect(plan.batches.every((b) => b.fullRefit)).toBe(true);
    expect(plan.batches[0]?.page.cursor).toBeUndefined();
  });
});

describe('bucketByPeriod', () => {
  it.each([
    [
      'aligned points as they are',
      [
        { t: T0, v: 1 },
        { t: T0 + PERIOD, v: 2 },
      ],
      [
        { t: T0, v: 1 },
        { t: T0 + PERIOD, v: 2 },
      ],
    ],
    [
      'minute points averaged into their period, stamped at its start',
      [0, 1, 2, 3, 4, 5].map((m) => ({ t: T0 + m * 60_000, v: m })),
      [
        { t: T0, v: 2 },
        { t: T0 + PERIOD, v: 5 },
      ],
    ],
    [
      'unordered points sorted',
      [
        { t: T0 + PERIOD, v: 2 },
        { t: T0, v: 1 },
      ],
      [
        { t: T0, v: 1 },
        { t: T0 + PERIOD, v: 2 },
      ],
    ],
    ['nothing', [], []],
  ])('keeps %s', (_, points, expected) => {
    expect(bucketByPeriod(points, PERIOD)).toEqual(expected);
  });
});
