import { allocate } from '../../../shared/builds/broker';
import { newProfileState } from '../../../shared/builds/predictor';
import { pricesFor } from '../../../shared/builds/prices';
import { ManualClock } from '../../../shared/clock';
import { makeDynamoBuildProfileStore } from '../../../shared/data/build-profiles';
import { documentClientFrom } from '../../../shared/data/client';
import { ConflictError, NotFoundError } from '../../../shared/errors';
import type { AllocationRecord, StoredProfile } from '../../../shared/ports/builds';
import { useDynamo } from '../../helpers/dynamo';
import { T0, uid } from '../../unit/data/repository-contract';

jest.setTimeout(120_000);

/**
 * The build-profile store on a real DynamoDB-compatible server (dynalite here; the
 * dynamodb-local project runs this file again on AWS's DynamoDB Local): versioned profiles,
 * first-writer-wins allocations that expire, and adjustments that never resurrect a record.
 */
describe('DynamoDB build profile store', () => {
  const dynamo = useDynamo('build-profiles');
  let clock: ManualClock;

  const setup = () => {
    const { client, names } = dynamo();
    clock = new ManualClock(T0);
    return makeDynamoBuildProfileStore(documentClientFrom(client), names.predictions, clock);
  };

  const profile = (pipeline: string, version: number): StoredProfile => ({
    pipeline,
    stage: 'test',
    state: newProfileState(),
    version,
    absorbed: ['run-1'],
    updatedAt: T0,
  });

  const allocation = (pipeline: string, runId: string, ttlSeconds: number): AllocationRecord => ({
    pipeline,
    stage: 'test',
    runId,
    startedAt: T0,
    allocation: allocate({
      component: { pipeline, stage: 'test', kind: 'codebuild', parallelFraction: 0.8 },
      prediction: { agentSeconds: { q10: 420, q50: 600, q80: 780, q90: 900 } },
      deadlineSeconds: 1200,
      budgetUsd: 10,
      planQuantile: 0.8,
      pool: { reservedFree: {}, onDemandAvailable: true },
      prices: pricesFor('us-east-1'),
    }),
    planned: { q10: 420, q50: 600, q80: 780, q90: 900 },
    parallelFraction: 0.8,
    deadlineSeconds: 1200,
    ttl: Math.floor(T0 / 1000) + ttlSeconds,
  });

  it('writes a profile at version 1, then only over the version it read', async () => {
    const store = setup();
    const pipeline = uid('profile');
    expect(await store.getProfile(pipeline, 'test')).toBeUndefined();
    await store.putProfile(profile(pipeline, 0), 0);
    const stored = await store.getProfile(pipeline, 'test');
    expect(stored).toMatchObject({ pipeline, stage: 'test', version: 1, absorbed: ['run-1'] });
    expect(stored?.state).toEqual(newProfileState());
    await expect(store.putProfile(profile(pipeline, 0), 0)).rejects.toBeInstanceOf(ConflictError);
    await store.putProfile({ ...profile(pipeline, 1), absorbed: ['run-1', 'run-2'] }, 1);
    await expect(store.putProfile(profile(pipeline, 1), 1)).rejects.toThrow(/expected version 1/);
    expect((await store.getProfile(pipeline, 'test'))?.absorbed).toEqual(['run-1', 'run-2']);
  });

  it('keeps the first allocation of a run and returns it to a redelivered start', async () => {
    const store = setup();
    const pipeline = uid('alloc');
    const first = allocation(pipeline, 'run-7', 3_600);
    expect(await store.putAllocation(first)).toEqual(first);
    const again = { ...allocation(pipeline, 'run-7', 3_600), deadlineSeconds: 99 };
    expect(await store.putAllocation(again)).toEqual(first);
    expect(await store.getAllocation(pipeline, 'test', 'run-7')).toEqual(first);
  });

  it('reads back the run context an allocation was recorded with, and a record stored without one', async () => {
    const store = setup();
    const pipeline = uid('context');
    const runContext = { changeKey: 'pr/123', lane: 'pr:main', changeScore: 6.25, jobs: 4 };
    await store.putAllocation({ ...allocation(pipeline, 'run-1', 3_600), runContext });
    expect((await store.getAllocation(pipeline, 'test', 'run-1'))?.runContext).toEqual(runContext);
    await store.putAllocation({ ...allocation(pipeline, 'run-2', 3_600), runContext: {} });
    expect((await store.getAllocation(pipeline, 'test', 'run-2'))?.runContext).toEqual({});
    // As written before the context was kept: no attribute at all.
    const old = allocation(pipeline, 'run-3', 3_600);
    await store.putAllocation(old);
    const read = await store.getAllocation(pipeline, 'test', 'run-3');
    expect(read).toEqual(old);
    expect(read && 'runContext' in read).toBe(false);
  });

  it('treats an expired allocation as absent and lets a new start replace it', async () => {
    const store = setup();
    const pipeline = uid('expired');
    await store.putAllocation(allocation(pipeline, 'run-1', 60));
    clock.advance(61_000);
    expect(await store.getAllocation(pipeline, 'test', 'run-1')).toBeUndefined();
    const replacement = { ...allocation(pipeline, 'run-1', 3_600), deadlineSeconds: 900 };
    expect(await store.putAllocation(replacement)).toEqual(replacement);
    expect((await store.getAllocation(pipeline, 'test', 'run-1'))?.deadlineSeconds).toBe(900);
  });

  it('records an adjustment on a live allocation and ignores one for a run it never saw', async () => {
    const store = setup();
    const pipeline = uid('adjust');
    await store.putAllocation(allocation(pipeline, 'run-1', 3_600));
    const adjustment = { at: T0 + 60_000, action: 'scale-up', vcpu: 8, reason: 'behind its q80' };
    await store.setAdjustment(pipeline, 'test', 'run-1', adjustment);
    expect((await store.getAllocation(pipeline, 'test', 'run-1'))?.adjustment).toEqual(adjustment);
    await store.setAdjustment(pipeline, 'test', 'run-unknown', adjustment);
    expect(await store.getAllocation(pipeline, 'test', 'run-unknown')).toBeUndefined();
  });

  it('keeps the first build recorded on a run, and refuses a run without a live allocation', async () => {
    const store = setup();
    const pipeline = uid('build');
    await store.putAllocation(allocation(pipeline, 'run-1', 3_600));
    const first = {
      id: 'tests:aaaa',
      projectName: 'tests',
      computeType: 'BUILD_GENERAL1_SMALL',
      startedAt: T0,
    };
    expect(await store.setBuild(pipeline, 'test', 'run-1', first)).toEqual(first);
    const second = { ...first, id: 'tests:bbbb', startedAt: T0 + 1_000 };
    expect(await store.setBuild(pipeline, 'test', 'run-1', second)).toEqual(first);
    expect((await store.getAllocation(pipeline, 'test', 'run-1'))?.build).toEqual(first);
    await expect(store.setBuild(pipeline, 'test', 'run-unknown', first)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await store.putAllocation(allocation(pipeline, 'run-2', 60));
    clock.advance(120_000);
    await expect(store.setBuild(pipeline, 'test', 'run-2', first)).rejects.toBeInstanceOf(NotFoundError);
  });
});
