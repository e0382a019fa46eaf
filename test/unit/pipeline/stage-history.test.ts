import type { Context } from 'aws-lambda';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { setStageHistoryStore } from '../../../functions/runtime/stage-history';
import { handler } from '../../../functions/stage-history';
import { runIngestStageEvent } from '../../../functions/stage-history/core';
import { ManualClock } from '../../../shared/clock';
import { ConflictError } from '../../../shared/errors';
import type { StageHistoryStore } from '../../../shared/ports/stage-history';
import { MemoryStageHistoryStore } from '../../../shared/sim/memory-stage-history';
import { readFixture } from '../../helpers/fixtures';

// The samples follow the example events of the AWS documentation (see test/fixtures/events/README.md).
const load = (name: string): Record<string, unknown> => JSON.parse(readFixture('events', `${name}.json`));
const NOW = Date.UTC(2026, 0, 1);
const context = {
  functionName: 'stage-history',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

let store: MemoryStageHistoryStore;
beforeEach(() => {
  store = new MemoryStageHistoryStore();
  setStageHistoryStore(store);
  setRuntime({ clock: new ManualClock(NOW) });
});
afterEach(() => {
  setStageHistoryStore(undefined);
  resetRuntime();
});

describe('stage history ingestion (the StageHistory handler)', () => {
  it('a stage run from STARTED and SUCCEEDED: one record with its duration and result', async () => {
    await handler(load('codepipeline-stage-started'), context);
    const out = await handler(load('codepipeline-stage-succeeded'), context);

    expect(out).toMatchObject({ outcome: 'stored' });
    const runs = await store.runs('pipeline#myPipeline#Prod');
    expect(runs).toEqual([
      expect.objectContaining({
        kind: 'pipeline-stage',
        executionId: '12345678-1234-5678-abcd-12345678abcd',
        result: 'SUCCEEDED',
        durationSeconds: 750,
        region: 'us-east-1',
      }),
    ]);
  });

  it('a build run: queue time, phase durations and result from the build and phase events', async () => {
    await handler(load('codebuild-phase-change'), context);
    await handler(load('codebuild-build-succeeded'), context);

    const [run] = await store.runs('build#my-sample-project');
    expect(run).toMatchObject({
      kind: 'build',
      result: 'SUCCEEDED',
      queuedSeconds: 12,
      phases: { QUEUED: 12, PROVISIONING: 72, BUILD: 28 },
      startedAt: Date.parse('2017-09-01T16:12:29Z'),
      durationSeconds: 119,
    });
  });

  it('an action run records its provider and failure', async () => {
    await handler(load('codepipeline-action-failed'), context);
    expect(await store.runs('pipeline#myPipeline#Deploy#Deploy')).toEqual([
      expect.objectContaining({ kind: 'pipeline-action', provider: 'StepFunctions', result: 'FAILED' }),
    ]);
  });

  it('a redelivered event changes nothing and writes nothing', async () => {
    await handler(load('codepipeline-stage-started'), context);
    await handler(load('codepipeline-stage-succeeded'), context);
    const before = await store.get('pipeline#myPipeline#Prod', '12345678-1234-5678-abcd-12345678abcd');
    const writes = store.writes;

    const again = await handler(load('codepipeline-stage-started'), context);

    expect(again).toEqual({
      outcome: 'duplicate',
      pk: 'pipeline#myPipeline#Prod',
      sk: '12345678-1234-5678-abcd-12345678abcd',
      eventId: '01234567-EXAMPLE',
    });
    expect(store.writes).toBe(writes);
    expect(await store.get('pipeline#myPipeline#Prod', '12345678-1234-5678-abcd-12345678abcd')).toEqual(
      before,
    );
  });

  it.each<[string, (e: Record<string, unknown>) => unknown, RegExp]>([
    ['unknown detail type', (e) => ({ ...e, 'detail-type': 'CodePipeline Pipeline Stuck' }), /`detail-type`/],
    [
      'stage missing',
      (e) => ({ ...e, detail: { ...(e.detail as object), stage: undefined } }),
      /`detail\.stage` missing/,
    ],
    [
      'unknown state',
      (e) => ({ ...e, detail: { ...(e.detail as object), state: 'DONE' } }),
      /`detail\.state` = "DONE"/,
    ],
    ['bad account', (e) => ({ ...e, account: 'acct' }), /`account` = "acct"/],
    ['time not a date', (e) => ({ ...e, time: 'yesterday' }), /`time` = "yesterday"/],
    ['not an object', () => 'hello', /pipeline event/],
  ])('a malformed event (%s) is refused naming the field; nothing stored', async (_name, mutate, message) => {
    const bad = mutate(load('codepipeline-stage-started'));
    await expect(handler(bad, context)).rejects.toMatchObject({ name: 'ValidationError', message });
    expect(store.writes).toBe(0);
  });

  it('a build event without its project name names the field', async () => {
    const e = load('codebuild-build-succeeded');
    const detail = { ...(e.detail as Record<string, unknown>) };
    delete detail['project-name'];
    await expect(
      runIngestStageEvent({ ...e, detail }, { store, clock: new ManualClock(NOW) }),
    ).rejects.toThrow(/`detail\.project-name` missing/);
    expect(store.writes).toBe(0);
  });

  it('two events of the same run racing: the loser re-reads, both are applied', async () => {
    // A store whose first conditional put loses to a concurrent writer of the STARTED event.
    const inner = new MemoryStageHistoryStore();
    let raced = false;
    const racing: StageHistoryStore = {
      get: (pk, sk) => inner.get(pk, sk),
      runs: (pk, limit) => inner.runs(pk, limit),
      async put(record, ids, expected) {
        if (!raced) {
          raced = true;
          await runIngestStageEvent(load('codepipeline-stage-started'), {
            store: inner,
            clock: new ManualClock(NOW),
          });
        }
        return inner.put(record, ids, expected);
      },
    };

    const out = await runIngestStageEvent(load('codepipeline-stage-succeeded'), {
      store: racing,
      clock: new ManualClock(NOW),
    });

    expect(out).toMatchObject({ outcome: 'stored', record: { durationSeconds: 750, result: 'SUCCEEDED' } });
    const stored = await inner.get('pipeline#myPipeline#Prod', '12345678-1234-5678-abcd-12345678abcd');
    expect(stored?.eventIds).toEqual(['01234567-EXAMPLE', '01234567-EXAMPLE-2']);
    expect(stored?.version).toBe(2);
  });

  it('a run that keeps changing gives up with ConflictError (retryable), having written nothing of its own', async () => {
    const always: StageHistoryStore = {
      get: async () => undefined,
      runs: async () => [],
      put: async () => {
        throw new ConflictError('changed');
      },
    };
    await expect(
      runIngestStageEvent(load('codepipeline-stage-started'), { store: always, clock: new ManualClock(NOW) }),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});
