import {
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../clock';
import { ConflictError, NotFoundError } from '../errors';
import type { AllocationRecord, BuildProfileStore, StartedBuild, StoredProfile } from '../ports/builds';
import { RunContext } from '../schemas/builds';
import { parseOrThrow } from '../validation';
import { isConditionFailed, mapSdkError } from './client';

/**
 * Stage profiles and run allocations in the predictions table, beside the workload models:
 *   pk `build#<pipeline>#<stage>`, sk `profile`           — the predictor state (versioned)
 *   pk `build#<pipeline>#<stage>`, sk `alloc#<runId>`     — one run's allocation, with `ttl`
 * An allocation is only needed until its run ends, so it expires (TTL, epoch seconds); reads skip
 * expired items because DynamoDB deletes them lazily and dynalite not at all.
 */
const pk = (pipeline: string, stage: string) => `build#${pipeline}#${stage}`;
const PROFILE_SK = 'profile';
const allocSk = (runId: string) => `alloc#${runId}`;

/**
 * The commands this store sends, each call site naming its table by literal (the argument is only
 * read by the grant check, test/infra/grants.pending.ts): there is one table, the predictions one.
 */
function predictionsTable(doc: DynamoDBDocumentClient, tableName: string) {
  return {
    get: (_table: 'predictions', input: Omit<GetCommandInput, 'TableName'>) =>
      doc.send(new GetCommand({ ...input, TableName: tableName })),
    put: (_table: 'predictions', input: Omit<PutCommandInput, 'TableName'>) =>
      doc.send(new PutCommand({ ...input, TableName: tableName })),
    update: (_table: 'predictions', input: Omit<UpdateCommandInput, 'TableName'>) =>
      doc.send(new UpdateCommand({ ...input, TableName: tableName })),
  };
}

export function makeDynamoBuildProfileStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: Clock,
): BuildProfileStore {
  return new DynamoBuildProfileStore(predictionsTable(doc, tableName), clock);
}

async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    throw mapSdkError(error, what);
  }
}

class DynamoBuildProfileStore implements BuildProfileStore {
  constructor(
    private readonly db: ReturnType<typeof predictionsTable>,
    private readonly clock: Clock,
  ) {}

  async getProfile(pipeline: string, stage: string): Promise<StoredProfile | undefined> {
    const out = await call('get build profile', () =>
      this.db.get('predictions', {
        Key: { pk: pk(pipeline, stage), sk: PROFILE_SK },
        ConsistentRead: true,
      }),
    );
    const item = out.Item as (StoredProfile & { pk: string; sk: string }) | undefined;
    if (!item) return undefined;
    return {
      pipeline: item.pipeline,
      stage: item.stage,
      state: item.state,
      version: item.version,
      absorbed: item.absorbed ?? [],
      updatedAt: item.updatedAt,
    };
  }

  /** Writes version `expectedVersion + 1`; ConflictError when another writer got there first. */
  async putProfile(profile: StoredProfile, expectedVersion: number): Promise<void> {
    try {
      await this.db.put('predictions', {
        Item: {
          pk: pk(profile.pipeline, profile.stage),
          sk: PROFILE_SK,
          ...profile,
          version: expectedVersion + 1,
        },
        ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : '#v = :v',
        ...(expectedVersion === 0
          ? {}
          : {
              ExpressionAttributeNames: { '#v': 'version' },
              ExpressionAttributeValues: { ':v': expectedVersion },
            }),
      });
    } catch (error) {
      if (isConditionFailed(error))
        throw new ConflictError(
          `build profile ${profile.pipeline}/${profile.stage} changed (expected version ${expectedVersion})`,
          { cause: error },
        );
      throw mapSdkError(error, 'put build profile');
    }
  }

  /** First writer wins (or an expired record is replaced); a later call returns the stored one. */
  async putAllocation(record: AllocationRecord): Promise<AllocationRecord> {
    try {
      await this.db.put('predictions', {
        Item: { pk: pk(record.pipeline, record.stage), sk: allocSk(record.runId), ...record },
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':now': Math.floor(this.clock.now() / 1000) },
      });
      return record;
    } catch (error) {
      if (!isConditionFailed(error)) throw mapSdkError(error, 'put build allocation');
      const existing = await this.getAllocation(record.pipeline, record.stage, record.runId);
      if (!existing)
        throw new ConflictError(`allocation ${record.pipeline}/${record.stage}/${record.runId} vanished`, {
          cause: error,
        });
      return existing;
    }
  }

  async getAllocation(pipeline: string, stage: string, runId: string): Promise<AllocationRecord | undefined> {
    const out = await call('get build allocation', () =>
      this.db.get('predictions', {
        Key: { pk: pk(pipeline, stage), sk: allocSk(runId) },
        ConsistentRead: true,
      }),
    );
    const item = out.Item as (AllocationRecord & { pk: string; sk: string }) | undefined;
    if (!item || item.ttl * 1000 <= this.clock.now()) return undefined;
    const { pk: _pk, sk: _sk, runContext, ...record } = item;
    // Records written before the run context was kept have none: the run is learnt without it.
    if (runContext === undefined) return record;
    return {
      ...record,
      // Fields a later version may add are dropped, not refused: this run is still learnt.
      runContext: parseOrThrow(
        RunContext.strip(),
        runContext,
        `stored allocation ${pipeline}/${stage}/${runId} runContext`,
      ),
    };
  }

  /** Records a mid-run adjustment on the run's allocation; nothing when the allocation is gone. */
  async setAdjustment(
    pipeline: string,
    stage: string,
    runId: string,
    adjustment: NonNullable<AllocationRecord['adjustment']>,
  ): Promise<void> {
    await call('record build adjustment', () =>
      this.db.update('predictions', {
        Key: { pk: pk(pipeline, stage), sk: allocSk(runId) },
        UpdateExpression: 'SET adjustment = :a',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':a': adjustment },
      }),
    ).catch((error: unknown) => {
      if (isConditionFailed((error as { cause?: unknown }).cause ?? error)) return;
      throw error;
    });
  }

  /**
   * `if_not_exists` keeps the first build recorded: two invocations of one run that each got a
   * build id (the same one, by the idempotency token) agree on it, and the answer says which.
   */
  async setBuild(pipeline: string, stage: string, runId: string, build: StartedBuild): Promise<StartedBuild> {
    try {
      const out = await this.db.update('predictions', {
        Key: { pk: pk(pipeline, stage), sk: allocSk(runId) },
        UpdateExpression: 'SET #b = if_not_exists(#b, :b)',
        ConditionExpression: 'attribute_exists(pk) AND #ttl > :now',
        ExpressionAttributeNames: { '#b': 'build', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':b': build, ':now': Math.floor(this.clock.now() / 1000) },
        ReturnValues: 'ALL_NEW',
      });
      return (out.Attributes as { build: StartedBuild }).build;
    } catch (error) {
      if (isConditionFailed(error))
        throw new NotFoundError(
          `no allocation for ${pipeline}/${stage}/${runId} to record build ${build.id} on`,
          {
            cause: error,
          },
        );
      throw mapSdkError(error, 'record started build');
    }
  }
}
