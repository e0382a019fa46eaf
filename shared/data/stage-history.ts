import {
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  type GetCommandOutput,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Clock } from '../clock';
import { ConflictError } from '../errors';
import type { StageHistoryStore, StoredStageRun } from '../ports/stage-history';
import { parseOrThrow } from '../validation';
import { isConditionFailed, mapSdkError } from './client';

/**
 * The history of pipeline stages and builds, one record per execution of a CodePipeline stage or
 * action, or per CodeBuild build, built from their EventBridge state-change events
 * (shared/pipeline/events.ts). What a per-stage predictor (duration, queue time, outcome) learns
 * from. Records are keyed as:
 *
 * | attribute | value |
 * |---|---|
 * | `pk` | `pipeline#<pipeline>#<stage>` (stage), `pipeline#<pipeline>#<stage>#<action>` (action), `build#<project>` (build) |
 * | `sk` | `<execution id>` (CodePipeline) or `<build id>` (CodeBuild) |
 *
 * A record is updated by every event of the same execution (STARTED, then SUCCEEDED/FAILED/...)
 * with `applyStageEvent` (pure), so applying the same event twice gives the same record and
 * events arriving out of order (EventBridge does not order them) still give the same end state.
 */
export const StageRunKind = z.enum(['pipeline-stage', 'pipeline-action', 'build']);

export const StageRunRecord = z.strictObject({
  kind: StageRunKind,
  /** `pipeline#...` or `build#...`, see above. */
  pk: z.string().min(1),
  sk: z.string().min(1),
  /** Pipeline name, or the CodeBuild project name for a build. */
  pipeline: z.string().min(1),
  /** Stage name; for a build, the project name again. */
  stage: z.string().min(1),
  action: z.string().min(1).optional(),
  /** CodePipeline execution id, or the CodeBuild build id (ARN). */
  executionId: z.string().min(1),
  region: z.string().min(1),
  account: z.string().regex(/^\d{12}$/),
  /** Last state seen: STARTED, SUCCEEDED, FAILED, IN_PROGRESS, STOPPED, ... as AWS names it. */
  state: z.string().min(1),
  /** SUCCEEDED / FAILED / STOPPED / CANCELED / ... once the run has ended; absent while it runs. */
  result: z.string().min(1).optional(),
  /** Epoch ms when the stage, action or build started (the event time of STARTED, or the build start). */
  startedAt: z.number().int().nonnegative(),
  endedAt: z.number().int().nonnegative().optional(),
  durationSeconds: z.number().nonnegative().optional(),
  /** Builds: seconds spent in the QUEUED phase before a build host took it. */
  queuedSeconds: z.number().nonnegative().optional(),
  /** Builds: seconds per completed phase (DOWNLOAD_SOURCE, BUILD, ...). */
  phases: z.record(z.string(), z.number().nonnegative()).optional(),
  /** Action provider (CodeBuild, ECS, StepFunctions, ...), for actions. */
  provider: z.string().min(1).optional(),
  /** Id of the last event applied (EventBridge `id`). */
  lastEventId: z.string().min(1),
  updatedAt: z.number().int().nonnegative(),
});
export type StageRunRecord = z.infer<typeof StageRunRecord>;

// The DynamoDB store ----------------------------------------------------------------------------

/**
 * Stage runs live in the predictions table, beside the stage profiles that learn from them
 * (shared/data/build-profiles.ts): pk `run#<record pk>`, sk `<record sk>`. The `run#` prefix
 * keeps them apart from the profiles' `build#<pipeline>#<stage>` partitions whatever the names.
 * Items carry the record's fields plus `version` (optimistic concurrency), `eventIds` (events
 * applied, for redelivery) and `ttl` (epoch seconds: history is kept for a year).
 */
export const STAGE_RUN_RETENTION_SECONDS = 366 * 86_400;
/** Events remembered per run: a stage sees a handful, a build one per phase plus its states. */
export const EVENT_IDS_KEPT = 64;
const RUN_PREFIX = 'run#';

/**
 * The commands this store sends, each call site naming its table by literal (the argument is only
 * read by the grant check, test/infra/grants.pending.ts).
 */
function stageRunsTable(doc: DynamoDBDocumentClient, tableName: string) {
  return {
    get: (_table: 'predictions', input: Omit<GetCommandInput, 'TableName'>) =>
      doc.send(new GetCommand({ ...input, TableName: tableName })),
    put: (_table: 'predictions', input: Omit<PutCommandInput, 'TableName'>) =>
      doc.send(new PutCommand({ ...input, TableName: tableName })),
    query: (_table: 'predictions', input: Omit<QueryCommandInput, 'TableName'>) =>
      doc.send(new QueryCommand({ ...input, TableName: tableName })),
  };
}

const StoredItem = z.looseObject({
  version: z.number().int().positive(),
  eventIds: z.array(z.string()),
  ttl: z.number().int(),
});

function fromItem(item: Record<string, unknown>, nowMs: number): StoredStageRun | undefined {
  const meta = parseOrThrow(StoredItem, item, 'stored stage run');
  if (meta.ttl * 1000 <= nowMs) return undefined;
  const { version, eventIds, ttl: _ttl, pk, ...rest } = item;
  const record = parseOrThrow(
    StageRunRecord,
    { ...rest, pk: String(pk).slice(RUN_PREFIX.length) },
    'stored stage run',
  );
  return { record, version: version as number, eventIds: eventIds as string[] };
}

export function makeDynamoStageHistoryStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: Clock,
): StageHistoryStore {
  const db = stageRunsTable(doc, tableName);
  return {
    async get(pk, sk) {
      let out: GetCommandOutput;
      try {
        out = await db.get('predictions', { Key: { pk: RUN_PREFIX + pk, sk }, ConsistentRead: true });
      } catch (error) {
        throw mapSdkError(error, 'get stage run');
      }
      return out.Item ? fromItem(out.Item, clock.now()) : undefined;
    },
    async put(record, eventIds, expectedVersion) {
      const valid = parseOrThrow(StageRunRecord, record, 'stage run');
      try {
        await db.put('predictions', {
          Item: {
            ...valid,
            pk: RUN_PREFIX + valid.pk,
            version: expectedVersion + 1,
            eventIds: eventIds.slice(-EVENT_IDS_KEPT),
            ttl: Math.floor(clock.now() / 1000) + STAGE_RUN_RETENTION_SECONDS,
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
            `stage run ${valid.pk}/${valid.sk} changed (expected version ${expectedVersion})`,
            {
              cause: error,
            },
          );
        throw mapSdkError(error, 'put stage run');
      }
    },
    async runs(pk, limit = 100) {
      let out: QueryCommandOutput;
      try {
        out = await db.query('predictions', {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': RUN_PREFIX + pk },
          Limit: limit,
        });
      } catch (error) {
        throw mapSdkError(error, 'query stage runs');
      }
      const now = clock.now();
      return (out.Items ?? []).flatMap((item) => fromItem(item, now)?.record ?? []);
    },
  };
}
