import { randomBytes } from 'node:crypto';
import { initialAnomalyState, observeSeries } from '../../../shared/anomaly';
import { ManualClock } from '../../../shared/clock';
import type { DataLayerOptions } from '../../../shared/data/records';
import {
  ConflictError,
  ItemTooLargeError,
  LeaseHeldError,
  NotFoundError,
  ValidationError,
} from '../../../shared/errors';
import type { Repositories } from '../../../shared/ports/repositories';
import type { Operation } from '../../../shared/schemas/operation';
import type { Prediction } from '../../../shared/schemas/series';
import type { Signal } from '../../../shared/schemas/signal';
import { Workload, type WorkloadRecord } from '../../../shared/schemas/workload';
import { epochAhead, HOUR_MS } from '../../helpers/epoch';
import { workloadInput } from '../../helpers/fixtures';

/**
 * The one behaviour suite for the Repositories ports. `test/unit/data` runs it against the
 * in-memory repositories and `test/integration/data` against DynamoDB (dynalite, or the
 * endpoint in AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL), so both implementations provably
 * behave the same. Each test uses fresh ids, so one set of tables serves the whole suite.
 *
 * `make` builds repositories over the injected clock (every TTL and lease decision reads it).
 */
export type MakeRepositories = (clock: ManualClock, options: DataLayerOptions) => Repositories;

// Ahead of the wall clock: on DynamoDB Local (and DynamoDB) an item whose TTL is past may vanish.
export const T0 = epochAhead(HOUR_MS);
export const HISTORY_LIMIT = 5;
const MINUTE = 60_000;
const DAY = 86_400_000;

const runTag = randomBytes(3).toString('hex');
let counter = 0;
/** A DNS-label-like id unique to this test run. */
export const uid = (prefix: string): string => `${prefix}-${runTag}-${++counter}`;

export function workloadFixture(workloadId: string): Workload {
  return Workload.parse({ ...workloadInput(), workloadId });
}

export function predictionFixture(workloadId: string, generatedAt: number, metric = 'requests'): Prediction {
  return {
    workloadId,
    metric,
    generatedAt,
    startMs: generatedAt + 5 * MINUTE,
    intervalMs: 5 * MINUTE,
    point: [100, 110, 120],
    quantiles: [
      { q: 0.5, values: [100, 110, 120] },
      { q: 0.95, values: [130, 140, 150] },
    ],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

export function signalFixture(overrides: Partial<Signal> & Pick<Signal, 'signalId'>): Signal {
  return {
    tag: 'campaign',
    startsAt: T0,
    endsAt: T0 + 2 * 3_600_000,
    source: 'manual',
    detail: {},
    ...overrides,
  };
}

export function operationFixture(operationId: string, workloadId: string, startedAt = T0): Operation {
  return {
    operationId,
    workloadId,
    kind: 'migration',
    status: 'running',
    reason: 'predicted contention',
    startedAt,
    updatedAt: startedAt,
    initialWeights: { primary: 100, shadow: 0 },
    steps: [],
    version: 1,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

export function repositoryContract(make: MakeRepositories): void {
  let clock: ManualClock;
  let repos: Repositories;

  beforeEach(() => {
    clock = new ManualClock(T0);
    repos = make(clock, {
      predictionHistoryLimit: HISTORY_LIMIT,
      predictionTtlMs: DAY,
      signalRetentionMs: DAY,
    });
  });

  describe('workloads', () => {
    it('creates version 1 with the schema defaults applied and reads it back', async () => {
      const id = uid('w');
      const created = await repos.workloads.create(workloadFixture(id));
      expect(created).toMatchObject({ version: 1, createdAt: T0, updatedAt: T0, profile: { demand: {} } });
      expect(created.workload.migration.gate.max5xxRate).toBe(0.01);
      expect(await repos.workloads.get(id)).toEqual(created);
    });

    it('refuses to create the same id twice', async () => {
      const id = uid('w');
      await repos.workloads.create(workloadFixture(id));
      await expect(repos.workloads.create(workloadFixture(id))).rejects.toBeInstanceOf(ConflictError);
    });

    it('updates on the expected version and refuses a stale writer with ConflictError', async () => {
      const id = uid('w');
      await repos.workloads.create(workloadFixture(id));
      clock.advance(MINUTE);
      const v2 = await repos.workloads.update({ ...workloadFixture(id), priority: 10 }, 1);
      expect(v2).toMatchObject({ version: 2, createdAt: T0, updatedAt: T0 + MINUTE });
      expect(v2.workload.priority).toBe(10);

      const stale = await rejection(repos.workloads.update({ ...workloadFixture(id), priority: 99 }, 1));
      expect(stale).toBeInstanceOf(ConflictError);
      expect((stale as Error).message).toContain('version 2');
      expect((await repos.workloads.get(id))?.workload.priority).toBe(10);
    });

    it('lets exactly one of two concurrent writers at the same version win', async () => {
      const id = uid('w');
      await repos.workloads.create(workloadFixture(id));
      const results = await Promise.allSettled([
        repos.workloads.update({ ...workloadFixture(id), priority: 1 }, 1),
        repos.workloads.update({ ...workloadFixture(id), priority: 2 }, 1),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      const stored = await repos.workloads.get(id);
      expect(stored?.version).toBe(2);
      expect(stored?.workload.priority).toBe(
        (won[0] as PromiseFulfilledResult<{ workload: Workload }>).value.workload.priority,
      );
    });

    it('updates the profile on its version and keeps the definition', async () => {
      const id = uid('w');
      await repos.workloads.create(workloadFixture(id));
      const v2 = await repos.workloads.updateProfile(id, { demand: { requests: { mean: 10, p95: 20 } } }, 1);
      expect(v2.profile.demand.requests).toEqual({ mean: 10, p95: 20 });
      expect(v2.workload.workloadId).toBe(id);
      await expect(repos.workloads.updateProfile(id, { demand: {} }, 1)).rejects.toBeInstanceOf(
        ConflictError,
      );
    });

    it('replaces the learned profile without a version bump, so a definition update still lands', async () => {
      const id = uid('w');
      await repos.workloads.create(workloadFixture(id));
      const fingerprint = {
        count: 3,
        lastPointMs: 600_000,
        level: 12.5,
        hourOfDay: Array(24).fill(1),
        dayOfWeek: Array(7).fill(1),
        volatility: 0.1,
        burstiness: 0.02,
        trendPerDay: 0,
        last: 13,
        firstPointMs: 0,
        signals: { sale: { n: 2, uplift: 0.4, lastMs: 500_000 } },
      };
      const accuracy = { h: { '15m': { n: 4, mae: 0.1, ratio: 0.9, c80: 0.75, c95: 1 } }, through: 600_000 };
      const correlation = { 'cpu|requests': { n: 3, lastMs: 600_000, mx: 0, my: 0, vx: 1, vy: 1, cxy: 0.9 } };
      await repos.workloads.putProfile(id, {
        demand: {},
        metrics: { requests: { fingerprint, accuracy, model: 'ets-damped' } },
        correlation,
      });
      const stored = await repos.workloads.get(id);
      expect(stored?.version).toBe(1);
      expect(stored?.profile.metrics?.requests).toEqual({ fingerprint, accuracy, model: 'ets-damped' });
      expect(stored?.profile.correlation).toEqual(correlation);
      const listed: WorkloadRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await repos.workloads.list({ limit: 100, ...(cursor ? { cursor } : {}) });
        listed.push(...page.items);
        cursor = page.next;
      } while (cursor);
      expect(listed.find((r) => r.workload.workloadId === id)?.profile.correlation).toEqual(correlation);
      const bare = await repos.workloads.list({ limit: 1_000, profiles: false });
      expect(bare.items.every((r) => r.profile !== undefined)).toBe(true);
      const v2 = await repos.workloads.update(workloadFixture(id), 1);
      expect(v2.profile.metrics?.requests?.model).toBe('ets-damped');
      expect((await repos.workloads.get(id))?.profile.correlation).toEqual(correlation);
      await expect(repos.workloads.putProfile(uid('w'), { demand: {} })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(
        repos.workloads.putProfile(id, { demand: {}, metrics: { requests: { model: '' } } }),
      ).rejects.toThrow(/metrics\.requests\.model/);
    });

    it('reports an unknown workload on update as NotFoundError', async () => {
      await expect(repos.workloads.update(workloadFixture(uid('w')), 1)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('never writes a record that fails its schema, and names the field', async () => {
      const id = uid('w');
      const bad = { ...workloadFixture(id), capacity: { ...workloadFixture(id).capacity, maxUnits: -1 } };
      const error = await rejection(repos.workloads.create(bad));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain('capacity.maxUnits');
      expect(await repos.workloads.get(id)).toBeUndefined();
    });

    it('refuses an item over 400 KB with ItemTooLargeError and writes nothing', async () => {
      const id = uid('w');
      const huge = { ...workloadFixture(id), tags: { blob: 'x'.repeat(410 * 1024) } };
      const error = await rejection(repos.workloads.create(huge));
      expect(error).toBeInstanceOf(ItemTooLargeError);
      expect((error as Error).message).toMatch(/400 KB/);
      expect(await repos.workloads.get(id)).toBeUndefined();
    });

    it('lists every workload once across pages', async () => {
      const prefix = uid('list');
      const ids = Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`);
      for (const id of ids) await repos.workloads.create(workloadFixture(id));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repos.workloads.list({ limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((r) => r.workload.workloadId));
        cursor = page.next;
        pages++;
      } while (cursor && pages < 1_000);
      const ours = seen.filter((id) => id.startsWith(`${prefix}-`));
      expect(ours.sort()).toEqual([...ids].sort());
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('continues from a cursor whose item was deleted meanwhile', async () => {
      const prefix = uid('gone');
      const ids = Array.from({ length: 4 }, (_, i) => `${prefix}-${i}`);
      for (const id of ids) await repos.workloads.create(workloadFixture(id));
      const seen: string[] = [];
      let cursor: string | undefined;
      let deleted = false;
      do {
        const page = await repos.workloads.list({ limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((r) => r.workload.workloadId));
        const last = page.items[page.items.length - 1]?.workload.workloadId;
        if (!deleted && last?.startsWith(`${prefix}-`)) {
          await repos.workloads.delete(last);
          deleted = true;
        }
        cursor = page.next;
      } while (cursor);
      expect(seen.filter((id) => id.startsWith(`${prefix}-`))).toEqual(ids);
    });

    it('refuses a cursor it did not hand out', async () => {
      await expect(repos.workloads.list({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(ValidationError);
    });

    it('deletes', async () => {
      const id = uid('w');
      await repos.workloads.create(workloadFixture(id));
      await repos.workloads.delete(id);
      expect(await repos.workloads.get(id)).toBeUndefined();
      await expect(repos.workloads.delete(id)).resolves.toBeUndefined();
    });
  });

  describe('predictions', () => {
    it('stores the latest forecast per workload and metric, separately from the model state', async () => {
      const id = uid('p');
      const first = predictionFixture(id, T0);
      const second = predictionFixture(id, T0 + 5 * MINUTE);
      await repos.predictions.putPrediction(first);
      await repos.predictions.putPrediction(second);
      await repos.predictions.putPrediction(predictionFixture(id, T0 + 10 * MINUTE, 'cpu'));
      expect(await repos.predictions.getLatest(id, 'requests')).toEqual(second);
      expect((await repos.predictions.getLatest(id, 'cpu'))?.metric).toBe('cpu');
      expect(await repos.predictions.getModelState(id, 'requests')).toBeUndefined();
      expect(await repos.predictions.getLatest(id, 'memory')).toBeUndefined();
    });

    it('keeps a bounded history, newest first', async () => {
      const id = uid('p');
      const times = Array.from({ length: HISTORY_LIMIT + 4 }, (_, i) => T0 + i * 5 * MINUTE);
      for (const t of times) await repos.predictions.putPrediction(predictionFixture(id, t));
      const history = await repos.predictions.history(id, 'requests');
      expect(history.map((p) => p.generatedAt)).toEqual(times.slice(-HISTORY_LIMIT).reverse());
      const limited = await repos.predictions.history(id, 'requests', { limit: 2 });
      expect(limited.map((p) => p.generatedAt)).toEqual(times.slice(-2).reverse());
      const since = await repos.predictions.history(id, 'requests', {
        sinceMs: times[times.length - 3] as number,
      });
      expect(since).toHaveLength(3);
    });

    it('lets a late, older forecast join the history without replacing the latest', async () => {
      const id = uid('p');
      await repos.predictions.putPrediction(predictionFixture(id, T0 + 10 * MINUTE));
      await repos.predictions.putPrediction(predictionFixture(id, T0));
      expect((await repos.predictions.getLatest(id, 'requests'))?.generatedAt).toBe(T0 + 10 * MINUTE);
      expect((await repos.predictions.history(id, 'requests')).map((p) => p.generatedAt)).toEqual([
        T0 + 10 * MINUTE,
        T0,
      ]);
    });

    it('is idempotent when the same forecast is written twice', async () => {
      const id = uid('p');
      await repos.predictions.putPrediction(predictionFixture(id, T0));
      await repos.predictions.putPrediction(predictionFixture(id, T0));
      expect(await repos.predictions.history(id, 'requests')).toHaveLength(1);
    });

    it('does not return expired forecasts (TTL filtered on read with the injected clock)', async () => {
      const id = uid('p');
      await repos.predictions.putPrediction(predictionFixture(id, T0));
      clock.set(T0 + DAY - 1_000);
      expect(await repos.predictions.getLatest(id, 'requests')).toBeDefined();
      clock.set(T0 + DAY + 1_000);
      expect(await repos.predictions.getLatest(id, 'requests')).toBeUndefined();
      expect(await repos.predictions.history(id, 'requests')).toEqual([]);
    });

    it('never writes a prediction that fails its schema', async () => {
      const id = uid('p');
      const bad = { ...predictionFixture(id, T0), quantiles: [{ q: 0.5, values: [1] }] };
      await expect(repos.predictions.putPrediction(bad)).rejects.toBeInstanceOf(ValidationError);
      expect(await repos.predictions.getLatest(id, 'requests')).toBeUndefined();
      expect(await repos.predictions.history(id, 'requests')).toEqual([]);
    });

    it('refuses a forecast over 400 KB before writing anything', async () => {
      const id = uid('p');
      const values = Array.from({ length: 60_000 }, (_, i) => 1_000.123456789 + i);
      const huge: Prediction = {
        ...predictionFixture(id, T0),
        point: values,
        quantiles: [{ q: 0.5, values }],
      };
      await expect(repos.predictions.putPrediction(huge)).rejects.toBeInstanceOf(ItemTooLargeError);
      expect(await repos.predictions.history(id, 'requests')).toEqual([]);
    });

    it('round-trips the model state and refuses to roll it back', async () => {
      const id = uid('p');
      const state = {
        workloadId: id,
        metric: 'requests',
        lastPointMs: T0,
        fittedAt: T0,
        state: { level: 1.5, season: [0, 1e-9, null] },
      };
      await repos.predictions.putModelState(state);
      expect(await repos.predictions.getModelState(id, 'requests')).toEqual(state);
      const newer = { ...state, lastPointMs: T0 + MINUTE, state: { level: 2 } };
      await repos.predictions.putModelState(newer);
      await expect(repos.predictions.putModelState(state)).rejects.toBeInstanceOf(ConflictError);
      expect(await repos.predictions.getModelState(id, 'requests')).toEqual(newer);
      await expect(
        repos.predictions.putModelState({ ...state, lastPointMs: T0 + 2 * MINUTE, state: { n: 10n } }),
      ).rejects.toBeInstanceOf(ValidationError);
    });

    it('writes the fit-only part of a state apart, again only when it changed, and reads it back whole', async () => {
      const id = uid('p');
      const engineState = (level: number, daily: number[]) => ({
        format: 1,
        level,
        lastPointMs: T0 + level * MINUTE,
        profile: { bucketMs: 3_600_000, daily, weekly: [] },
        calib: { knots: [1], qs: [0.5], offsets: [[0.25]], mae1: 1, samples1: 50 },
      });
      const at = (level: number, daily: number[], baseRef?: { slot: 0 | 1; hash: string }) => ({
        workloadId: id,
        metric: 'requests',
        lastPointMs: T0 + level * MINUTE,
        fittedAt: T0,
        state: engineState(level, daily),
        ...(baseRef ? { baseRef } : {}),
      });
      const { baseRef: _none, ...first } = at(0, [1, -1]);
      await repos.predictions.putModelState(first);
      const read1 = await repos.predictions.getModelState(id, 'requests');
      expect(read1).toEqual({
        ...first,
        baseRef: { slot: 0, hash: expect.stringMatching(/^[0-9a-f]{16}$/) },
      });
      // The same part: the per-run item alone, naming the same slot.
      const second = at(1, [1, -1], read1?.baseRef);
      await repos.predictions.putModelState(second);
      expect(await repos.predictions.getModelState(id, 'requests')).toEqual(second);
      // A refit's new part goes to the other slot.
      const third = at(2, [2, -2], read1?.baseRef);
      await repos.predictions.putModelState(third);
      const read3 = await repos.predictions.getModelState(id, 'requests');
      expect(read3).toEqual({ ...third, baseRef: { slot: 1, hash: expect.any(String) } });
      expect(read3?.baseRef?.hash).not.toBe(read1?.baseRef?.hash);
      // A late writer of an older state is refused, whichever of its items it would write.
      await expect(repos.predictions.putModelState(at(1, [3, -3], read1?.baseRef))).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await repos.predictions.getModelState(id, 'requests')).toEqual(read3);
      // A per-run item naming a slot that holds another part reads as no engine state (a refit).
      await repos.predictions.putModelState({
        ...at(3, [1, -1]),
        baseRef: { slot: 1, hash: String(read1?.baseRef?.hash) },
      });
      const crossed = await repos.predictions.getModelState(id, 'requests');
      expect(crossed).toEqual({ ...at(3, [1, -1]), state: null });
    });

    it('round-trips a model state carrying its anomaly detector (nulls, empty and long lists)', async () => {
      const id = uid('p');
      const values = Array.from({ length: 400 }, (_, i) => 100 + (i % 7));
      const { state: detector } = observeSeries(initialAnomalyState(), values);
      const state = {
        workloadId: id,
        metric: 'requests',
        lastPointMs: T0,
        fittedAt: T0,
        state: { level: 1 },
        anomaly: {
          lastPointMs: T0,
          detector: { ...detector, episode: [] },
          status: { active: false, since: null, peak: 0, calmRows: 0 },
          score: null,
          pValue: 1,
        },
      };
      await repos.predictions.putModelState(state);
      expect(await repos.predictions.getModelState(id, 'requests')).toEqual(state);
    });

    it('round-trips the contention decision and refuses an older one', async () => {
      const id = uid('p');
      const decision = {
        workloadId: id,
        contended: true,
        score: 0.2,
        since: T0,
        updatedAt: T0 + MINUTE,
        shortageAt: T0 + 30 * MINUTE,
        recommendedShadowUnits: 4,
      };
      await repos.predictions.putDecision(decision);
      expect(await repos.predictions.getDecision(id)).toEqual(decision);
      await expect(
        repos.predictions.putDecision({ ...decision, contended: false, updatedAt: T0 }),
      ).rejects.toBeInstanceOf(ConflictError);
      const cleared = {
        workloadId: id,
        contended: false,
        score: 0,
        since: T0 + 2 * MINUTE,
        updatedAt: T0 + 2 * MINUTE,
      };
      await repos.predictions.putDecision(cleared);
      expect(await repos.predictions.getDecision(id)).toEqual(cleared);
    });

    it('round-trips the regional detector state beside the decision and refuses an older one', async () => {
      const id = uid('p');
      const state = {
        workloadId: id,
        regions: {
          'us-east-1': {
            status: 'degraded' as const,
            streak: 0,
            since: T0,
            reasons: ['no metrics'],
            healthIssueOpen: true,
          },
          'us-west-2': {
            status: 'healthy' as const,
            streak: 1,
            since: T0,
            reasons: [],
            healthIssueOpen: false,
          },
        },
        updatedAt: T0 + MINUTE,
      };
      expect(await repos.predictions.getRegionalState(id)).toBeUndefined();
      await repos.predictions.putRegionalState(state);
      await repos.predictions.putDecision({
        workloadId: id,
        contended: false,
        score: 0,
        since: T0,
        updatedAt: T0,
      });
      expect(await repos.predictions.getRegionalState(id)).toEqual(state);
      await expect(repos.predictions.putRegionalState({ ...state, updatedAt: T0 })).rejects.toBeInstanceOf(
        ConflictError,
      );
    });
  });

  describe('signals', () => {
    const HOUR = 3_600_000;

    it('returns by tag exactly the signals overlapping the window, in start order', async () => {
      const tag = `t${uid('tag').replace(/-/g, '')}`.slice(0, 60);
      const at = (name: string, startsAt: number, endsAt: number) =>
        signalFixture({ signalId: uid(name), tag, startsAt, endsAt });
      const before = at('before', T0 - 3 * HOUR, T0 - HOUR);
      const touchingStart = at('touch', T0 - HOUR, T0);
      const overlappingStart = at('overlap-start', T0 - HOUR, T0 + HOUR);
      const inside = at('inside', T0 + HOUR, T0 + 2 * HOUR);
      const overlappingEnd = at('overlap-end', T0 + 3 * HOUR, T0 + 5 * HOUR);
      const after = at('after', T0 + 4 * HOUR, T0 + 6 * HOUR);
      const longAgo = at('long', T0 - 20 * DAY, T0 + HOUR);
      for (const s of [after, inside, before, touchingStart, overlappingEnd, overlappingStart, longAgo])
        await repos.signals.put(s);
      const found = await repos.signals.byTag(tag, T0, T0 + 4 * HOUR);
      expect(found.map((s) => s.signalId)).toEqual(
        [longAgo, overlappingStart, inside, overlappingEnd].map((s) => s.signalId),
      );
      expect(found[1]).toEqual(overlappingStart);
    });

    it('is idempotent on signalId', async () => {
      const tag = `t${uid('tag').replace(/-/g, '')}`.slice(0, 60);
      const s = signalFixture({ signalId: uid('s'), tag });
      await repos.signals.put(s);
      await repos.signals.put(s);
      expect(await repos.signals.byTag(tag, T0, T0 + HOUR)).toHaveLength(1);
    });

    it('finds a workload its own signals and its tags signals, not those aimed at others', async () => {
      const workloadId = uid('w');
      const tag = `t${uid('tag').replace(/-/g, '')}`.slice(0, 60);
      const own = signalFixture({ signalId: uid('own'), tag: 'deploy', workloadId });
      const tagged = signalFixture({ signalId: uid('tagged'), tag, startsAt: T0 + 1 });
      const otherWorkload = signalFixture({ signalId: uid('other'), tag, workloadId: uid('w') });
      for (const s of [own, tagged, otherWorkload]) await repos.signals.put(s);
      const found = await repos.signals.forWorkload(workloadId, [tag, tag], T0, T0 + HOUR);
      expect(found.map((s) => s.signalId)).toEqual([own.signalId, tagged.signalId]);
      expect(await repos.signals.forWorkload(workloadId, [], T0, T0 + HOUR)).toEqual([own]);
    });

    it('does not return signals past their retention', async () => {
      const tag = `t${uid('tag').replace(/-/g, '')}`.slice(0, 60);
      const s = signalFixture({ signalId: uid('s'), tag });
      await repos.signals.put(s);
      clock.set(s.endsAt + DAY + 1_000);
      expect(await repos.signals.byTag(tag, T0, T0 + HOUR)).toEqual([]);
    });

    it('never writes a signal that fails its schema', async () => {
      const tag = `t${uid('tag').replace(/-/g, '')}`.slice(0, 60);
      const bad = signalFixture({ signalId: uid('s'), tag, startsAt: T0 + HOUR, endsAt: T0 });
      const error = await rejection(repos.signals.put(bad));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain('endsAt');
      expect(await repos.signals.byTag(tag, T0 - DAY, T0 + DAY)).toEqual([]);
    });

    it('refuses an inverted window', async () => {
      await expect(repos.signals.byTag('campaign', T0 + HOUR, T0)).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('operations', () => {
    it('creates once and returns the existing operation on a rerun', async () => {
      const opId = uid('op');
      const workloadId = uid('w');
      const created = await repos.operations.createOrGet(operationFixture(opId, workloadId));
      const rerun = await repos.operations.createOrGet({
        ...operationFixture(opId, workloadId),
        reason: 'other',
      });
      expect(rerun).toEqual(created);
      expect(await repos.operations.get(opId)).toEqual(created);
    });

    it('appends steps with verified weights, ignores a retried step, and finishes once', async () => {
      const opId = uid('op');
      await repos.operations.createOrGet(operationFixture(opId, uid('w')));
      clock.advance(MINUTE);
      const step = {
        at: T0 + MINUTE,
        name: 'shift',
        detail: { to: 10 },
        weights: { primary: 90, shadow: 10 },
      };
      const after1 = await repos.operations.appendStep(opId, step, { primary: 90, shadow: 10 });
      expect(after1).toMatchObject({
        version: 2,
        updatedAt: T0 + MINUTE,
        lastVerifiedWeights: { primary: 90, shadow: 10 },
      });
      expect(after1.steps).toEqual([step]);
      const retried = await repos.operations.appendStep(opId, { ...step, detail: { to: 10 } });
      expect(retried.version).toBe(2);
      expect(retried.steps).toHaveLength(1);

      const done = await repos.operations.finish(opId, 'rolled-back', {
        name: 'GateFailedError',
        message: '5xx',
      });
      expect(done).toMatchObject({ status: 'rolled-back', version: 3, error: { name: 'GateFailedError' } });
      expect(await repos.operations.finish(opId, 'rolled-back')).toEqual(done);
      await expect(repos.operations.finish(opId, 'succeeded')).rejects.toBeInstanceOf(ConflictError);
      await expect(
        repos.operations.appendStep(opId, { at: T0, name: 'late', detail: {} }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('records both of two concurrent steps (a lost write retries)', async () => {
      const opId = uid('op');
      await repos.operations.createOrGet(operationFixture(opId, uid('w')));
      await Promise.all([
        repos.operations.appendStep(opId, { at: T0, name: 'a', detail: {} }),
        repos.operations.appendStep(opId, { at: T0, name: 'b', detail: {} }),
      ]);
      const op = await repos.operations.get(opId);
      expect(op?.steps.map((s) => s.name).sort()).toEqual(['a', 'b']);
      expect(op?.version).toBe(3);
    });

    it('refuses an invalid step or an unknown operation', async () => {
      const opId = uid('op');
      await repos.operations.createOrGet(operationFixture(opId, uid('w')));
      await expect(
        repos.operations.appendStep(opId, { at: T0, name: 'x', detail: {} }, { primary: 60, shadow: 60 }),
      ).rejects.toBeInstanceOf(ValidationError);
      expect((await repos.operations.get(opId))?.steps).toEqual([]);
      await expect(
        repos.operations.appendStep(uid('op'), { at: T0, name: 'x', detail: {} }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists by workload and recent, newest first, across pages', async () => {
      const workloadId = uid('w');
      const ids = Array.from({ length: 5 }, () => uid('op'));
      for (const [i, id] of ids.entries())
        await repos.operations.createOrGet(operationFixture(id, workloadId, T0 + i));
      await repos.operations.createOrGet(operationFixture(uid('op'), uid('w'), T0 + 100));
      await repos.operations.acquireLease(workloadId, ids[0] as string, MINUTE);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await repos.operations.listByWorkload(workloadId, {
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.items.map((o) => o.operationId));
        cursor = page.next;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());

      const recent = await repos.operations.listRecent({ limit: 3 });
      expect(recent.items).toHaveLength(3);
      const starts = recent.items.map((o) => o.startedAt);
      expect([...starts].sort((a, b) => b - a)).toEqual(starts);
      expect(recent.next).toBeDefined();
    });
  });

  describe('leases', () => {
    it('refuses a second holder with LeaseHeldError naming the holder', async () => {
      const workloadId = uid('w');
      const lease = await repos.operations.acquireLease(workloadId, 'op-1', 10 * MINUTE);
      expect(lease).toEqual({ workloadId, holder: 'op-1', acquiredAt: T0, expiresAt: T0 + 10 * MINUTE });
      const error = await rejection(repos.operations.acquireLease(workloadId, 'op-2', 10 * MINUTE));
      expect(error).toBeInstanceOf(LeaseHeldError);
      expect(error).toMatchObject({ holder: 'op-1', workloadId, expiresAt: T0 + 10 * MINUTE });
      expect((error as Error).message).toContain('op-1');
      expect(await repos.operations.getLease(workloadId)).toEqual(lease);
    });

    it('lets the same holder acquire again (a rerun)', async () => {
      const workloadId = uid('w');
      await repos.operations.acquireLease(workloadId, 'op-1', MINUTE);
      clock.advance(30_000);
      const again = await repos.operations.acquireLease(workloadId, 'op-1', MINUTE);
      expect(again.expiresAt).toBe(T0 + 30_000 + MINUTE);
    });

    it('lets another holder take an expired lease', async () => {
      const workloadId = uid('w');
      await repos.operations.acquireLease(workloadId, 'op-1', MINUTE);
      clock.advance(MINUTE);
      expect(await repos.operations.getLease(workloadId)).toBeUndefined();
      const taken = await repos.operations.acquireLease(workloadId, 'op-2', MINUTE);
      expect(taken.holder).toBe('op-2');
      await expect(repos.operations.renewLease(workloadId, 'op-1', MINUTE)).rejects.toBeInstanceOf(
        LeaseHeldError,
      );
    });

    it('renews only for the holder and only while live', async () => {
      const workloadId = uid('w');
      await repos.operations.acquireLease(workloadId, 'op-1', MINUTE);
      clock.advance(30_000);
      const renewed = await repos.operations.renewLease(workloadId, 'op-1', MINUTE);
      expect(renewed).toMatchObject({ holder: 'op-1', acquiredAt: T0, expiresAt: T0 + 30_000 + MINUTE });
      await expect(repos.operations.renewLease(workloadId, 'op-2', MINUTE)).rejects.toBeInstanceOf(
        LeaseHeldError,
      );
      clock.advance(2 * MINUTE);
      await expect(repos.operations.renewLease(workloadId, 'op-1', MINUTE)).rejects.toBeInstanceOf(
        ConflictError,
      );
    });

    it('releases only for the holder; anyone else is a no-op', async () => {
      const workloadId = uid('w');
      await repos.operations.acquireLease(workloadId, 'op-1', MINUTE);
      await repos.operations.releaseLease(workloadId, 'op-2');
      expect((await repos.operations.getLease(workloadId))?.holder).toBe('op-1');
      await repos.operations.releaseLease(workloadId, 'op-1');
      expect(await repos.operations.getLease(workloadId)).toBeUndefined();
      await expect(repos.operations.releaseLease(workloadId, 'op-1')).resolves.toBeUndefined();
      expect((await repos.operations.acquireLease(workloadId, 'op-2', MINUTE)).holder).toBe('op-2');
    });

    it('refuses a non-positive ttl', async () => {
      await expect(repos.operations.acquireLease(uid('w'), 'op-1', 0)).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('gives exactly one winner to two concurrent acquisitions, every time', async () => {
      const rounds = 40;
      for (let round = 0; round < rounds; round++) {
        const workloadId = uid('race');
        const holders = [`op-a-${round}`, `op-b-${round}`];
        const results = await Promise.allSettled(
          holders.map((holder) => repos.operations.acquireLease(workloadId, holder, 10 * MINUTE)),
        );
        const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.holder] : []));
        const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(1);
        expect(losers[0]).toBeInstanceOf(LeaseHeldError);
        expect((losers[0] as LeaseHeldError).holder).toBe(winners[0]);
        expect((await repos.operations.getLease(workloadId))?.holder).toBe(winners[0]);
      }
    });
  });
}
