import {
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../clock';
import { ConflictError, NotFoundError } from '../errors';
import type { LifecycleRunRepository } from '../ports/lifecycle';
import { type ActionOutcome, LifecycleRun } from '../schemas/lifecycle';
import { parseOrThrow } from '../validation';
import { isConditionFailed, mapSdkError } from './client';
import { TTL_ATTRIBUTE } from './tables';

/**
 * Lifecycle runs in the operations table, one item per (workload, rule, event id) under
 * pk `lifecycle#<workload>#<rule>#<event id>`. They carry neither `workloadKey` nor `listKey`, so
 * the table's sparse indexes (operations by workload, recent operations) never list them and a
 * busy schedule cannot crowd migrations out of those pages. Kept 30 days (TTL): long enough for
 * EventBridge's retries (24 h at most) and a redrive to find them.
 */
export const RUN_RETENTION_MS = 30 * 86_400_000;
const MAX_ATTEMPTS = 5;

/** Each call names its table by literal (read by the grant check): only the operations table. */
function operationsTable(doc: DynamoDBDocumentClient, tableName: string) {
  return {
    get: (_table: 'operations', input: Omit<GetCommandInput, 'TableName'>) =>
      doc.send(new GetCommand({ ...input, TableName: tableName })),
    put: (_table: 'operations', input: Omit<PutCommandInput, 'TableName'>) =>
      doc.send(new PutCommand({ ...input, TableName: tableName })),
  };
}

export function makeDynamoLifecycleRuns(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: Clock,
): LifecycleRunRepository {
  const db = operationsTable(doc, tableName);
  const item = (run: LifecycleRun) => ({
    pk: run.runId,
    ...run,
    [TTL_ATTRIBUTE]: Math.floor((run.startedAt + RUN_RETENTION_MS) / 1_000),
  });
  async function get(runId: string): Promise<LifecycleRun | undefined> {
    let out: Awaited<ReturnType<typeof db.get>>;
    try {
      out = await db.get('operations', { Key: { pk: runId }, ConsistentRead: true });
    } catch (error) {
      throw mapSdkError(error, 'GetItem operations (lifecycle run)');
    }
    if (!out.Item) return undefined;
    const { pk: _pk, [TTL_ATTRIBUTE]: _ttl, ...rest } = out.Item;
    return parseOrThrow(LifecycleRun, rest, `stored lifecycle run ${runId}`);
  }
  /** Put on condition; false when the condition failed. */
  async function put(
    run: LifecycleRun,
    condition: string,
    values?: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await db.put('operations', {
        Item: item(run),
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
      });
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw mapSdkError(error, 'PutItem operations (lifecycle run)');
    }
  }
  /** Read, change, write back on the version read; a lost race reads again. */
  async function change(
    runId: string,
    apply: (run: LifecycleRun) => LifecycleRun | undefined,
  ): Promise<LifecycleRun> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const run = await get(runId);
      if (!run) throw new NotFoundError(`lifecycle run ${runId} does not exist`);
      const next = apply(run);
      if (!next) return run;
      const written = { ...next, version: run.version + 1, updatedAt: clock.now() };
      if (await put(written, 'version = :v', { ':v': run.version })) return written;
    }
    throw new ConflictError(`lifecycle run ${runId}: ${MAX_ATTEMPTS} writes lost to concurrent ones`);
  }
  return {
    async claim(run) {
      const parsed = parseOrThrow(LifecycleRun, run, 'lifecycle run');
      if (await put(parsed, 'attribute_not_exists(pk)')) return { run: parsed, created: true };
      const existing = await get(parsed.runId);
      if (!existing)
        throw new ConflictError(`lifecycle run ${parsed.runId} exists but could not be read back`);
      return { run: existing, created: false };
    },
    get,
    recordOutcome(runId, outcome: ActionOutcome) {
      return change(runId, (run) =>
        run.outcomes.some((o) => o.index === outcome.index)
          ? undefined
          : { ...run, outcomes: [...run.outcomes, outcome] },
      );
    },
    finish(runId, status, reason) {
      return change(runId, (run) => (run.status === 'running' ? { ...run, status, reason } : undefined));
    },
  };
}
