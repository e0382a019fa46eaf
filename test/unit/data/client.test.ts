import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ManualClock } from '../../../shared/clock';
import { decodeCursor, encodeCursor, mapSdkError } from '../../../shared/data/client';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import { tableNamesFromPrefix } from '../../../shared/data/tables';
import { ConflictError, TransientError, ValidationError } from '../../../shared/errors';
import { workloadFixture } from './repository-contract';

describe('SDK error mapping', () => {
  it.each([
    ['ThrottlingException', { name: 'ThrottlingException' }],
    ['ProvisionedThroughputExceededException', { name: 'ProvisionedThroughputExceededException' }],
    ['a 5xx', { name: 'Whatever', $metadata: { httpStatusCode: 503 } }],
    ['a reset socket', { code: 'ECONNRESET' }],
  ])('turns %s into TransientError', (_what, error) => {
    const mapped = mapSdkError(Object.assign(new Error('boom'), error), 'GetItem workloads');
    expect(mapped).toBeInstanceOf(TransientError);
    expect((mapped as Error).message).toContain('GetItem workloads');
  });

  it('passes other errors through', () => {
    const error = Object.assign(new Error('bad'), {
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(mapSdkError(error, 'x')).toBe(error);
  });
});

describe('paging cursors', () => {
  it('round-trip a key', () => {
    const key = { pk: 'op#1', startedAt: 5, workloadKey: 'w' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it.each([
    ['not base64 json'],
    [Buffer.from('[1]').toString('base64url')],
    [Buffer.from('{}').toString('base64url')],
  ])('refuses %p with ValidationError', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(ValidationError);
  });
});

describe('DynamoDB repositories over a mocked client', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());

  const repos = () =>
    makeDynamoRepositories({
      documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      names: tableNamesFromPrefix('unit'),
      clock: new ManualClock(0),
    });

  it('reports throttling after the SDK retries as TransientError', async () => {
    ddb.on(GetCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(repos().workloads.get('w')).rejects.toBeInstanceOf(TransientError);
  });

  it('sends the create as a conditional put on the named table, and maps a lost condition to ConflictError', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    await expect(repos().workloads.create(workloadFixture('w1'))).rejects.toBeInstanceOf(ConflictError);
    const call = ddb.commandCalls(PutCommand)[0];
    expect(call?.args[0].input).toMatchObject({
      TableName: 'unit-workloads',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'w1', listKey: 'workload', version: 1 },
    });
  });

  it('never sends a record that fails its schema', async () => {
    await expect(
      repos().workloads.create({ ...workloadFixture('w1'), priority: 500 }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
  });
});
