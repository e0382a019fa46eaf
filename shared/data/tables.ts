import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { ConfigError } from '../errors';

/**
 * Every Shadowscale DynamoDB table as plain data. The CDK app (infra/) builds its tables from
 * `TABLES`, and the tests and the local run create theirs from it with `createTables`, so the
 * two can never disagree. Key design, access patterns and the query serving each are written
 * down in `shared/aws/README.md`.
 *
 * The logical names match `TableName` in `functions/manifest.ts` (shared/ may not import
 * functions/, so the union is repeated here; a test keeps them equal).
 */
export type TableName = 'workloads' | 'predictions' | 'signals' | 'operations' | 'idempotency';
export const TABLE_NAMES: readonly TableName[] = [
  'workloads',
  'predictions',
  'signals',
  'operations',
  'idempotency',
];

export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface GlobalIndexSpec {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attributes copied into the index. ALL everywhere: every read through an index needs the record. */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableSpec {
  readonly name: TableName;
  readonly description: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly GlobalIndexSpec[];
  /** TTL attribute, epoch SECONDS: a millisecond value reads as a far-future date and never expires. */
  readonly ttlAttribute?: string;
}

/** Index names, exported so the repositories and the CDK app cannot spell them differently. */
export const INDEX = {
  workloadsList: 'byList',
  signalsByTag: 'byTag',
  signalsByWorkload: 'byWorkload',
  operationsByWorkload: 'byWorkload',
  operationsRecent: 'recent',
} as const;

/** The TTL attribute of our own tables (epoch seconds). */
export const TTL_ATTRIBUTE = 'ttl';

export const TABLES: Readonly<Record<TableName, TableSpec>> = {
  workloads: {
    name: 'workloads',
    description: 'Workload definitions and behavioural profiles, versioned (optimistic concurrency).',
    partitionKey: { name: 'pk', type: 'S' },
    globalSecondaryIndexes: [
      {
        // Every workload item carries listKey = "workload": one ordered partition to page through.
        indexName: INDEX.workloadsList,
        partitionKey: { name: 'listKey', type: 'S' },
        sortKey: { name: 'pk', type: 'S' },
        projection: 'ALL',
      },
    ],
  },
  predictions: {
    name: 'predictions',
    description:
      'Latest forecast, bounded forecast history (TTL), model state and contention decision per workload/metric.',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalSecondaryIndexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  signals: {
    name: 'signals',
    description: 'Scheduled external events, one item per signalId, queryable by tag or workload and time.',
    partitionKey: { name: 'pk', type: 'S' },
    globalSecondaryIndexes: [
      {
        indexName: INDEX.signalsByTag,
        partitionKey: { name: 'tag', type: 'S' },
        sortKey: { name: 'startsAt', type: 'N' },
        projection: 'ALL',
      },
      {
        // Sparse: only signals aimed at one workload carry `workloadKey`.
        indexName: INDEX.signalsByWorkload,
        partitionKey: { name: 'workloadKey', type: 'S' },
        sortKey: { name: 'startsAt', type: 'N' },
        projection: 'ALL',
      },
    ],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  operations: {
    name: 'operations',
    description: 'Migrations and failovers (state, steps, verified weights) and the per-workload lease.',
    partitionKey: { name: 'pk', type: 'S' },
    globalSecondaryIndexes: [
      {
        // Sparse: only operation items carry `workloadKey` (lease items do not).
        indexName: INDEX.operationsByWorkload,
        partitionKey: { name: 'workloadKey', type: 'S' },
        sortKey: { name: 'startedAt', type: 'N' },
        projection: 'ALL',
      },
      {
        // Every operation item carries listKey = "operation": newest first across workloads.
        indexName: INDEX.operationsRecent,
        partitionKey: { name: 'listKey', type: 'S' },
        sortKey: { name: 'startedAt', type: 'N' },
        projection: 'ALL',
      },
    ],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  idempotency: {
    name: 'idempotency',
    description:
      'Powertools Idempotency records (DynamoDBPersistenceLayer defaults: key `id`, TTL `expiration`).',
    partitionKey: { name: 'id', type: 'S' },
    globalSecondaryIndexes: [],
    ttlAttribute: 'expiration',
  },
};

/** Per-table environment variables; each wins over the prefix. */
export const TABLE_ENV_VARS: Readonly<Record<TableName, string>> = {
  workloads: 'SHADOWSCALE_WORKLOADS_TABLE',
  predictions: 'SHADOWSCALE_PREDICTIONS_TABLE',
  signals: 'SHADOWSCALE_SIGNALS_TABLE',
  operations: 'SHADOWSCALE_OPERATIONS_TABLE',
  idempotency: 'SHADOWSCALE_IDEMPOTENCY_TABLE',
};
export const WORKLOADS_TABLE_ENV = TABLE_ENV_VARS.workloads;
export const PREDICTIONS_TABLE_ENV = TABLE_ENV_VARS.predictions;
export const SIGNALS_TABLE_ENV = TABLE_ENV_VARS.signals;
export const OPERATIONS_TABLE_ENV = TABLE_ENV_VARS.operations;
export const IDEMPOTENCY_TABLE_ENV = TABLE_ENV_VARS.idempotency;
export const TABLE_PREFIX_ENV = 'SHADOWSCALE_TABLE_PREFIX';
export const DEFAULT_TABLE_PREFIX = 'shadowscale';

/** Physical table name for each logical table. */
export type TableNames = Readonly<Record<TableName, string>>;

const PHYSICAL_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** `${prefix}-${name}` for every table. */
export function tableNamesFromPrefix(prefix: string = DEFAULT_TABLE_PREFIX): TableNames {
  const names = {} as Record<TableName, string>;
  for (const table of TABLE_NAMES) names[table] = `${prefix}-${table}`;
  return checkNames(names, `table prefix ${JSON.stringify(prefix)}`);
}

/**
 * Table names from the environment: `SHADOWSCALE_<NAME>_TABLE` per table, else
 * `${SHADOWSCALE_TABLE_PREFIX ?? 'shadowscale'}-<name>`. `prefix` (a CLI flag) overrides the
 * prefix variable but not the per-table variables.
 */
export function tableNamesFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  prefix?: string,
): TableNames {
  const base = prefix ?? nonEmpty(env[TABLE_PREFIX_ENV]) ?? DEFAULT_TABLE_PREFIX;
  const names = {} as Record<TableName, string>;
  for (const table of TABLE_NAMES) names[table] = nonEmpty(env[TABLE_ENV_VARS[table]]) ?? `${base}-${table}`;
  return checkNames(names, 'table names from environment');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function checkNames(names: Record<TableName, string>, what: string): TableNames {
  for (const table of TABLE_NAMES) {
    const name = names[table];
    if (!PHYSICAL_NAME.test(name))
      throw new ConfigError(
        `${what}: ${table} table name ${JSON.stringify(name)} must be 3-255 chars of letters, digits, _ . -`,
      );
  }
  return names;
}

/** The CreateTable request for one table (on-demand billing, as deployed). */
export function createTableInput(spec: TableSpec, physicalName: string): CreateTableCommandInput {
  const attributes = new Map<string, KeyType>();
  const add = (key: KeyAttribute | undefined) => {
    if (key) attributes.set(key.name, key.type);
  };
  add(spec.partitionKey);
  add(spec.sortKey);
  for (const index of spec.globalSecondaryIndexes) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: physicalName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(spec.partitionKey, spec.sortKey),
    ...(spec.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: spec.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: index.projection },
          })),
        }
      : {}),
  };
}

export interface TableAdminOptions {
  /** Which tables; default all. */
  tables?: readonly TableName[];
  /** Give up waiting after this long; default 120 s. */
  timeoutMs?: number;
  /** Poll interval while waiting; default 100 ms. */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Create the tables (skipping ones that already exist), enable TTL where the server supports it,
 * and wait until every table and index is ACTIVE. For tests and the local run; production tables
 * come from the CDK app.
 */
export async function createTables(
  client: DynamoDBClient,
  names: TableNames,
  options: TableAdminOptions = {},
): Promise<void> {
  const tables = options.tables ?? TABLE_NAMES;
  await Promise.all(
    tables.map(async (table) => {
      const spec = TABLES[table];
      try {
        await client.send(new CreateTableCommand(createTableInput(spec, names[table])));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitForTable(client, names[table], 'ACTIVE', options);
      if (spec.ttlAttribute) await enableTtl(client, names[table], spec.ttlAttribute);
    }),
  );
}

/** Delete the tables (missing ones are fine) and wait until they are gone. */
export async function deleteTables(
  client: DynamoDBClient,
  names: TableNames,
  options: TableAdminOptions = {},
): Promise<void> {
  const tables = options.tables ?? TABLE_NAMES;
  await Promise.all(
    tables.map(async (table) => {
      // A table still CREATING or UPDATING cannot be deleted yet.
      await waitForTable(client, names[table], 'ACTIVE', options).catch((error: unknown) => {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      });
      try {
        await client.send(new DeleteTableCommand({ TableName: names[table] }));
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return;
        throw error;
      }
      await waitForTable(client, names[table], 'GONE', options);
    }),
  );
}

async function waitForTable(
  client: DynamoDBClient,
  name: string,
  want: 'ACTIVE' | 'GONE',
  options: TableAdminOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const pollMs = options.pollMs ?? 100;
  let waited = 0;
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      const active =
        Table?.TableStatus === 'ACTIVE' &&
        (Table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
      if (want === 'ACTIVE' && active) return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      if (want === 'GONE') return;
      // Right after CreateTable some servers briefly answer "not found": keep waiting.
      if (waited >= timeoutMs) throw error;
    }
    if (waited >= timeoutMs)
      throw new ConfigError(`table ${name} did not become ${want} within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(pollMs);
    waited += pollMs;
  }
}

/**
 * DynamoDB deletes expired items lazily (within days), and dynalite has no TTL at all, which is
 * why every read filters expired items itself; enabling TTL is only the eventual clean-up.
 */
async function enableTtl(client: DynamoDBClient, name: string, attribute: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite answers UnknownOperationException; any other failure is real.
    const name_ = (error as { name?: string }).name ?? '';
    if (name_ === 'UnknownOperationException' || /TimeToLive.*already enabled/i.test(String(error))) return;
    throw error;
  }
}
