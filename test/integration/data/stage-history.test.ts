import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { setStageHistoryStore } from '../../../functions/runtime/stage-history';
import { handler } from '../../../functions/stage-history';
import { ManualClock } from '../../../shared/clock';
import { documentClientFrom } from '../../../shared/data/client';
import { makeDynamoStageHistoryStore, STAGE_RUN_RETENTION_SECONDS } from '../../../shared/data/stage-history';
import { ConflictError } from '../../../shared/errors';
import { useDynamo } from '../../helpers/dynamo';
import { epochAhead, HOUR_MS } from '../../helpers/epoch';
import { readFixture } from '../../helpers/fixtures';

// The samples follow the example events of the AWS documentation (see test/fixtures/events/README.md).
const load = (name: string): Record<string, unknown> => JSON.parse(readFixture('events', `${name}.json`));
const context = {
  functionName: 'stage-history',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;
const EXECUTION = '12345678-1234-5678-abcd-12345678abcd';

jest.setTimeout(60_000);
// Ahead of the wall clock: DynamoDB Local deletes items whose TTL has passed.
const T0 = epochAhead(HOUR_MS);

describe('stage history in DynamoDB, through the StageHistory handler', () => {
  const dynamo = useDynamo('stagehistory');
  const clock = new ManualClock(T0);
  const store = () => {
    const { client, names } = dynamo();
    return makeDynamoStageHistoryStore(documentClientFrom(client), names.predictions, clock);
  };
  beforeEach(() => {
    setStageHistoryStore(store());
    setRuntime({ clock });
  });
  afterEach(() => {
    setStageHistoryStore(undefined);
    resetRuntime();
  });

  it('stores a stage run, keyed apart from the stage profiles, with its events and a year of TTL', async () => {
    await handler(load('codepipeline-stage-started'), context);
    await handler(load('codepipeline-stage-succeeded'), context);

    const { client, names } = dynamo();
    const raw = await documentClientFrom(client).send(
      new GetCommand({
        TableName: names.predictions,
        Key: { pk: 'run#pipeline#myPipeline#Prod', sk: EXECUTION },
      }),
    );
    expect(raw.Item).toMatchObject({
      version: 2,
      eventIds: ['01234567-EXAMPLE', '01234567-EXAMPLE-2'],
      ttl: Math.floor(T0 / 1000) + STAGE_RUN_RETENTION_SECONDS,
      result: 'SUCCEEDED',
      durationSeconds: 750,
    });
    expect(await store().runs('pipeline#myPipeline#Prod')).toEqual([
      expect.objectContaining({ pk: 'pipeline#myPipeline#Prod', sk: EXECUTION, durationSeconds: 750 }),
    ]);
  });

  it('a redelivery writes nothing; a malformed event stores nothing', async () => {
    await handler(load('codebuild-build-succeeded'), context);
    const key =
      'arn:aws:codebuild:us-west-2:123456789012:build/my-sample-project:8745a7a9-c340-456a-9166-edf953571bEX';
    const before = await store().get('build#my-sample-project', key);

    await expect(handler(load('codebuild-build-succeeded'), context)).resolves.toMatchObject({
      outcome: 'duplicate',
    });
    const bad = load('codebuild-phase-change');
    await expect(
      handler(
        { ...bad, detail: { ...(bad.detail as object), 'completed-phase-duration-seconds': -3 } },
        context,
      ),
    ).rejects.toThrow(/`detail\.completed-phase-duration-seconds` = -3/);

    expect(await store().get('build#my-sample-project', key)).toEqual(before);
    expect(before?.version).toBe(1);
  });

  it('a stale writer gets ConflictError', async () => {
    await handler(load('codepipeline-action-failed'), context);
    const current = await store().get('pipeline#myPipeline#Deploy#Deploy', EXECUTION);
    if (!current) throw new Error('not stored');
    await expect(store().put(current.record, current.eventIds, 0)).rejects.toBeInstanceOf(ConflictError);
    await expect(store().put(current.record, current.eventIds, 1)).resolves.toBeUndefined();
  });
});
