import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { BilledTable } from '../../shared/cost/dynamodb';
import { ALL_INDEXED, INDEX_WRITE_CASES, KEYS_INDEXED } from '../helpers/index-writes';
import { startDynamoDbLocal } from '../servers/dynamodb-local';
import type { ServerProcess } from '../servers/process';
import { REGION } from './harness';

/**
 * The write units of the index cases, as AWS's DynamoDB Local reports consuming them: the same
 * table the unit test meters (test/unit/cost/index-writes.test.ts), one fresh table per case.
 */
jest.setTimeout(240_000);

function createTable(client: DynamoDBClient, name: string, spec: BilledTable) {
  const attributes = new Map<string, 'S' | 'N'>([[spec.partitionKey.name, spec.partitionKey.type]]);
  for (const index of spec.globalSecondaryIndexes) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    if (index.sortKey) attributes.set(index.sortKey.name, index.sortKey.type);
  }
  return client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: spec.partitionKey.name, KeyType: 'HASH' }],
      AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
        AttributeName,
        AttributeType,
      })),
      GlobalSecondaryIndexes: spec.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }] : []),
        ],
        Projection: { ProjectionType: index.projection },
      })),
    }),
  );
}

describe('write units with global secondary indexes, as DynamoDB Local consumes them', () => {
  let server: ServerProcess | undefined;
  let client: DynamoDBClient;
  beforeAll(async () => {
    server = await startDynamoDbLocal();
    client = new DynamoDBClient({ endpoint: server.endpoint, region: REGION });
  }, 120_000);
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it.each(INDEX_WRITE_CASES.map((c, i) => ({ ...c, i })))(
    '$name: $units units',
    async ({ i, table, before, request, units }) => {
      const name = `index-writes-${i}`;
      await createTable(client, name, table === 'all' ? ALL_INDEXED : KEYS_INDEXED);
      if (before) await client.send(new PutItemCommand({ TableName: name, Item: marshall(before) }));
      const out =
        'put' in request
          ? await client.send(
              new PutItemCommand({
                TableName: name,
                Item: marshall(request.put),
                ReturnConsumedCapacity: 'TOTAL',
              }),
            )
          : await client.send(
              new DeleteItemCommand({
                TableName: name,
                Key: marshall(request.delete),
                ReturnConsumedCapacity: 'TOTAL',
              }),
            );
      expect(out.ConsumedCapacity?.CapacityUnits).toBe(units);
    },
  );
});
