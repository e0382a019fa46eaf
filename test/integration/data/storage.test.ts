import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../../../shared/clock';
import { documentClientFrom } from '../../../shared/data/client';
import { openLocalDataLayer } from '../../../shared/data/index';
import { startLocalDynamo } from '../../../shared/data/local-server';
import {
  itemSize,
  MAX_ITEM_BYTES,
  modelStateItems,
  predictionKeys,
  workloadProfileKey,
} from '../../../shared/data/records';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import { createTables, tableNamesFromPrefix } from '../../../shared/data/tables';
import { LeaseHeldError, ValidationError } from '../../../shared/errors';
import { enforcesItemLimitExactly, useDynamo } from '../../helpers/dynamo';
import {
  HISTORY_LIMIT,
  predictionFixture,
  T0,
  uid,
  workloadFixture,
} from '../../unit/data/repository-contract';

jest.setTimeout(120_000);
const MINUTE = 60_000;

describe('DynamoDB storage behaviour beyond the port contract', () => {
  const dynamo = useDynamo('storage');
  let clock: ManualClock;

  const setup = () => {
    const { client, names } = dynamo();
    clock = new ManualClock(T0);
    const repos = makeDynamoRepositories({
      client,
      names,
      clock,
      options: { predictionHistoryLimit: HISTORY_LIMIT },
    });
    return { repos, doc: documentClientFrom(client), names };
  };

  const historyItemKeys = async (workloadId: string, metric = 'requests') => {
    const { doc, names } = setup();
    const out = await doc.send(
      new QueryCommand({
        TableName: names.predictions,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: {
          ':pk': predictionKeys.metricPk(workloadId, metric),
          ':h': predictionKeys.historyPrefix,
        },
      }),
    );
    return (out.Items ?? []).map((item) => String(item.sk));
  };

  const engineState = (minute: number, daily: number[]) => ({
    format: 1,
    lastPointMs: T0 + minute * MINUTE,
    level: minute,
    profile: { bucketMs: 3_600_000, daily, weekly: [] },
    calib: { knots: [1], qs: [0.5], offsets: [[0.5]], mae1: 1, samples1: 40 },
  });
  const stateAt = (workloadId: string, minute: number, daily: number[]) => ({
    workloadId,
    metric: 'requests',
    lastPointMs: T0 + minute * MINUTE,
    fittedAt: T0,
    state: engineState(minute, daily),
  });

  it('leaves the stored model state whole when a write stops between its two items, and a rerun finishes it', async () => {
    const { repos, doc, names } = setup();
    const id = uid('crash');
    await repos.predictions.putModelState(stateAt(id, 0, [1, -1]));
    const stored = await repos.predictions.getModelState(id, 'requests');
    // A refit's write that stops after its first item (the new fit-only part, in the free slot).
    const next = { ...stateAt(id, 5, [2, -2]), ...(stored?.baseRef ? { baseRef: stored.baseRef } : {}) };
    const { base } = modelStateItems(next);
    expect(base?.sk).toBe('state#base#1');
    await doc.send(new PutCommand({ TableName: names.predictions, Item: base }));
    expect(await repos.predictions.getModelState(id, 'requests')).toEqual(stored);
    // The rerun writes both items again.
    await repos.predictions.putModelState(next);
    expect(await repos.predictions.getModelState(id, 'requests')).toEqual({
      ...next,
      baseRef: { slot: 1, hash: base?.baseHash },
    });
  });

  it('reads a model state item holding the whole state, and splits it on the next write', async () => {
    const { repos, doc, names } = setup();
    const id = uid('whole');
    const { state, ...rest } = stateAt(id, 0, [1, -1]);
    const body = new Uint8Array(brotliCompressSync(JSON.stringify({ state })));
    const key = { pk: predictionKeys.metricPk(id, 'requests'), sk: predictionKeys.stateSk };
    await doc.send(
      new PutCommand({ TableName: names.predictions, Item: { ...key, ...rest, stateBr: body } }),
    );
    const old = await repos.predictions.getModelState(id, 'requests');
    expect(old).toEqual({ ...rest, state });
    await repos.predictions.putModelState({ ...stateAt(id, 5, [1, -1]) });
    const raw = await doc.send(new GetCommand({ TableName: names.predictions, Key: key }));
    expect(raw.Item).toMatchObject({ baseSlot: 0, baseHash: expect.any(String) });
    expect(await repos.predictions.getModelState(id, 'requests')).toMatchObject(stateAt(id, 5, [1, -1]));
  });

  it('writes each forecast once, as one item with its TTL, and no key list anywhere', async () => {
    const { repos, doc, names } = setup();
    const id = uid('once');
    for (let i = 0; i < HISTORY_LIMIT + 2; i++)
      await repos.predictions.putPrediction(predictionFixture(id, T0 + i * MINUTE));
    const keys = await historyItemKeys(id);
    // Every forecast is kept until its TTL; reads return at most the limit, newest first.
    expect(keys).toHaveLength(HISTORY_LIMIT + 2);
    const raw = await doc.send(
      new GetCommand({
        TableName: names.predictions,
        Key: { pk: predictionKeys.metricPk(id, 'requests'), sk: predictionKeys.historySk(T0) },
      }),
    );
    expect(raw.Item?.ttl).toBe(Math.ceil((T0 + 8 * 86_400_000) / 1000));
    expect(raw.Item).not.toHaveProperty('historyKeys');
    const latest = await doc.send(
      new GetCommand({
        TableName: names.predictions,
        Key: { pk: predictionKeys.metricPk(id, 'requests'), sk: 'latest' },
      }),
    );
    expect(latest.Item).toBeUndefined();
    expect(await repos.predictions.history(id, 'requests')).toHaveLength(HISTORY_LIMIT);
  });

  it('reads as latest the newest forecast item, whoever wrote it (a retry or a late writer)', async () => {
    const { repos, doc, names } = setup();
    const id = uid('newest');
    await repos.predictions.putPrediction(predictionFixture(id, T0));
    const next = predictionFixture(id, T0 + MINUTE);
    await doc.send(
      new PutCommand({
        TableName: names.predictions,
        Item: {
          pk: predictionKeys.metricPk(id, 'requests'),
          sk: predictionKeys.historySk(next.generatedAt),
          ttl: Math.ceil((next.generatedAt + 8 * 86_400_000) / 1000),
          ...next,
        },
      }),
    );
    expect((await repos.predictions.getLatest(id, 'requests'))?.generatedAt).toBe(T0 + MINUTE);
    // The same forecast again (a retried run) rewrites the same item.
    await repos.predictions.putPrediction(next);
    expect(await historyItemKeys(id)).toHaveLength(2);
  });

  it('filters expired items that are still physically in the table', async () => {
    const { repos, doc, names } = setup();
    const id = uid('ttl');
    await repos.predictions.putPrediction(predictionFixture(id, T0));
    clock.advance(9 * 86_400_000);
    expect(await repos.predictions.getLatest(id, 'requests')).toBeUndefined();
    expect(await repos.predictions.history(id, 'requests')).toEqual([]);
    const raw = await doc.send(
      new GetCommand({
        TableName: names.predictions,
        Key: { pk: predictionKeys.metricPk(id, 'requests'), sk: predictionKeys.historySk(T0) },
      }),
    );
    expect(raw.Item?.ttl).toBe(Math.ceil((T0 + 8 * 86_400_000) / 1000));
  });

  it('reports a stored item that no longer parses, naming it, instead of returning it', async () => {
    const { repos, doc, names } = setup();
    const id = uid('corrupt');
    const created = await repos.workloads.create(workloadFixture(id));
    await doc.send(
      new PutCommand({
        TableName: names.workloads,
        Item: { pk: id, listKey: 'workload', ...created, version: 'two' },
      }),
    );
    const error = await repos.workloads.get(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(`stored workload ${id}`);
    expect((error as Error).message).toContain('version');
  });

  it('keeps the learned profile in its own item, outside the workload item and its index entry', async () => {
    const { repos, doc, names } = setup();
    const id = uid('profile');
    await repos.workloads.create(workloadFixture(id));
    const profile = { demand: { requests: { mean: 10, p95: 20 } }, updatedAt: T0 };
    await repos.workloads.putProfile(id, profile);
    const raw = await doc.send(new GetCommand({ TableName: names.workloads, Key: { pk: id } }));
    expect(raw.Item?.profile).toBeUndefined();
    const own = await doc.send(new GetCommand({ TableName: names.workloads, Key: workloadProfileKey(id) }));
    expect(own.Item?.profile).toEqual(profile);
    expect(own.Item?.listKey).toBeUndefined();
    expect((await repos.workloads.get(id))?.profile).toEqual(profile);
    await repos.workloads.delete(id);
    const gone = await doc.send(new GetCommand({ TableName: names.workloads, Key: workloadProfileKey(id) }));
    expect(gone.Item).toBeUndefined();
  });

  it('reads a workload item written with its profile inside, and moves the profile out on update', async () => {
    const { repos, doc, names } = setup();
    const id = uid('older');
    const created = await repos.workloads.create(workloadFixture(id));
    const profile = { demand: { requests: { mean: 7, p95: 9 } }, updatedAt: T0 };
    // The item as deployed tables hold it from before the profile had its own item.
    await doc.send(
      new PutCommand({
        TableName: names.workloads,
        Item: { pk: id, listKey: 'workload', ...created, profile },
      }),
    );
    expect((await repos.workloads.get(id))?.profile).toEqual(profile);
    const v2 = await repos.workloads.update({ ...workloadFixture(id), priority: 7 }, 1);
    expect(v2.profile).toEqual(profile);
    const raw = await doc.send(new GetCommand({ TableName: names.workloads, Key: { pk: id } }));
    expect(raw.Item?.profile).toBeUndefined();
    expect((await repos.workloads.get(id))?.profile).toEqual(profile);
    // A profile written by the forecaster wins over the one the older item held.
    const learned = { demand: { requests: { mean: 8, p95: 11 } }, updatedAt: T0 + 1 };
    await repos.workloads.putProfile(id, learned);
    expect((await repos.workloads.get(id))?.profile).toEqual(learned);
  });

  it('agrees with the server on the 400 KB limit, to the byte', async () => {
    const { repos, doc, names } = setup();
    const id = uid('big');
    const base = await repos.workloads.create(workloadFixture(id));
    const item: Record<string, unknown> = { pk: id, listKey: 'workload', ...base, pad: '' };
    item.pad = 'x'.repeat(MAX_ITEM_BYTES - itemSize(item));
    expect(itemSize(item)).toBe(MAX_ITEM_BYTES);
    await expect(doc.send(new PutCommand({ TableName: names.workloads, Item: item }))).resolves.toBeDefined();
    // One byte more is refused by the server too (dynalite and DynamoDB Local enforce DynamoDB's
    // rule); another server may count a few bytes differently, so this half runs on those two.
    if (enforcesItemLimitExactly(dynamo().backend)) {
      const over = { ...item, pad: `${String(item.pad)}x` };
      await expect(doc.send(new PutCommand({ TableName: names.workloads, Item: over }))).rejects.toThrow(
        /size/i,
      );
    }
  });

  it('gives one winner among five clients racing for a lease, every time', async () => {
    const { names, endpoint } = { ...dynamo() };
    const clients = Array.from(
      { length: 5 },
      () => new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', maxAttempts: 3 }),
    );
    try {
      const contenders = clients.map((client) =>
        makeDynamoRepositories({ client, names, clock: new ManualClock(T0) }),
      );
      for (let round = 0; round < 25; round++) {
        const workloadId = uid('race5');
        const results = await Promise.allSettled(
          contenders.map((repos, i) =>
            repos.operations.acquireLease(workloadId, `op-${round}-${i}`, 10 * MINUTE),
          ),
        );
        const winners = results.filter((r) => r.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        const holder = (winners[0] as PromiseFulfilledResult<{ holder: string }>).value.holder;
        for (const r of results)
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(LeaseHeldError);
            expect((r.reason as LeaseHeldError).holder).toBe(holder);
          }
      }
    } finally {
      for (const client of clients) client.destroy();
    }
  });
});

describe('startLocalDynamo', () => {
  it('persists to a directory across restarts and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowscale-dynalite-'));
    const names = tableNamesFromPrefix('keep');
    try {
      const first = await startLocalDynamo({ dir });
      const client1 = new DynamoDBClient({ endpoint: first.endpoint, region: 'us-east-1' });
      await createTables(client1, names, { tables: ['workloads'] });
      await makeDynamoRepositories({ client: client1, names }).workloads.create(workloadFixture('kept'));
      client1.destroy();
      await first.stop();
      await first.stop(); // idempotent

      const second = await startLocalDynamo({ dir, port: 0 });
      const client2 = new DynamoDBClient({ endpoint: second.endpoint, region: 'us-east-1' });
      try {
        expect(
          (await makeDynamoRepositories({ client: client2, names }).workloads.get('kept'))?.version,
        ).toBe(1);
      } finally {
        client2.destroy();
        await second.stop();
      }
      await expect(fetch(second.endpoint)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens the whole local data layer in one call, keeping the tables with --keep-db', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowscale-local-'));
    try {
      const first = await openLocalDataLayer({ dir });
      expect(first.names.workloads).toBe('shadowscale-local-workloads');
      await first.repositories.workloads.create(workloadFixture('kept-too'));
      await first.stop();
      const second = await openLocalDataLayer({ dir });
      try {
        expect((await second.repositories.workloads.get('kept-too'))?.version).toBe(1);
      } finally {
        await second.stop();
      }
      const fresh = await openLocalDataLayer();
      try {
        expect(await fresh.repositories.workloads.get('kept-too')).toBeUndefined();
      } finally {
        await fresh.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
