import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../clock';
import { meterDelete, meterGet, meterQuery, meterWrite } from '../cost/dynamodb';
import { ConflictError, LeaseHeldError, NotFoundError } from '../errors';
import { type Meter, noMeter } from '../ports/meter';
import type {
  ContentionDecisionRecord,
  ModelStateRecord,
  OperationRepository,
  Page,
  PredictionRepository,
  RegionalDetectorRecord,
  Repositories,
  SignalRepository,
  WorkloadListOptions,
  WorkloadRepository,
} from '../ports/repositories';
import {
  Lease,
  Operation,
  type OperationStatus,
  type OperationStep,
  OperationStep as OperationStepSchema,
  TrafficWeights,
} from '../schemas/operation';
import { Prediction } from '../schemas/series';
import { Signal } from '../schemas/signal';
import { Workload, WorkloadProfile, WorkloadRecord } from '../schemas/workload';
import { parseOrThrow } from '../validation';
import { decodeCursor, documentClientFrom, encodeCursor, isConditionFailed, mapSdkError } from './client';
import {
  assertItemSize,
  ContentionDecisionRecordSchema,
  checkLimit,
  checkTtlMs,
  checkVersion,
  checkWindow,
  type DataLayerOptions,
  dedupeSignals,
  isExpired,
  items,
  MAX_SIGNAL_WINDOW_MS,
  ModelStateRecordSchema,
  modelStateBaseKey,
  modelStateItems,
  OPERATION_LIST_KEY,
  operationKeys,
  overlaps,
  predictionKeys,
  RegionalDetectorRecordSchema,
  type ResolvedDataLayerOptions,
  records,
  resolveOptions,
  sortSignals,
  tooManyConflicts,
  WORKLOAD_LIST_KEY,
  withFinish,
  withStep,
  workloadProfileKey,
} from './records';
import { INDEX, TABLES, type TableName, type TableNames } from './tables';

/**
 * The repository ports over DynamoDB (`@aws-sdk/lib-dynamodb`). Key design and the query behind
 * each access pattern: `shared/aws/README.md`. Every write is a single-item conditional write
 * (no transactions: they are not needed, and dynalite has none); where two items change
 * together the order of the writes makes a crash between them harmless, as noted at each place.
 */
export type DynamoRepositoriesConfig = (
  | { client: DynamoDBClient; documentClient?: undefined }
  | { documentClient: DynamoDBDocumentClient; client?: undefined }
) & {
  names: TableNames;
  clock?: Clock;
  options?: DataLayerOptions;
  /** Counts request units by item size (what on-demand capacity bills); see shared/cost/dynamodb.ts. */
  meter?: Meter;
};

export function makeDynamoRepositories(config: DynamoRepositoriesConfig): Repositories {
  const doc = config.documentClient ?? documentClientFrom(config.client as DynamoDBClient);
  const ctx = new Ctx(
    doc,
    config.names,
    config.clock ?? systemClock,
    resolveOptions(config.options),
    config.meter ?? noMeter,
  );
  return {
    workloads: new DynamoWorkloadRepository(ctx),
    predictions: new DynamoPredictionRepository(ctx),
    signals: new DynamoSignalRepository(ctx),
    operations: new DynamoOperationRepository(ctx),
  };
}

type Item = Record<string, unknown>;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;

/** The document client with error mapping and the few request shapes the repositories use. */
class Ctx {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly names: TableNames,
    readonly clock: Clock,
    readonly options: ResolvedDataLayerOptions,
    readonly meter: Meter,
  ) {}

  /**
   * Whole items only: a projection would not lower the units read (DynamoDB bills the item's full
   * size) and would hide the size the meter counts.
   */
  async get(table: TableName, key: Item): Promise<Item | undefined> {
    const { Item } = await this.run(`GetItem ${table}`, () =>
      this.doc.send(
        new GetCommand({
          TableName: this.names[table],
          Key: key,
          // Strongly consistent: versions and leases must be read fresh.
          ConsistentRead: true,
        }),
      ),
    );
    meterGet(this.meter, Item, true);
    return Item;
  }

  /**
   * Items by key (pk only), 100 per BatchGetItem, eventually consistent, retrying unprocessed
   * keys; found items by pk. Each key is billed as a GetItem of its item (the minimum when absent).
   */
  async getMany(table: TableName, keys: readonly Item[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const keyName = TABLES[table].partitionKey.name;
    for (let i = 0; i < keys.length; i += 100) {
      let pending = keys.slice(i, i + 100);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        const out = await this.run(`BatchGetItem ${table}`, () =>
          this.doc.send(new BatchGetCommand({ RequestItems: { [this.names[table]]: { Keys: pending } } })),
        );
        for (const item of out.Responses?.[this.names[table]] ?? []) found.set(String(item[keyName]), item);
        const unprocessed = out.UnprocessedKeys?.[this.names[table]]?.Keys ?? [];
        const done = pending.filter((k) => !unprocessed.some((u) => u[keyName] === k[keyName]));
        for (const key of done) meterGet(this.meter, found.get(String(key[keyName])), false);
        pending = unprocessed;
        if (attempt > 10 && pending.length > 0)
          throw new ConflictError(`BatchGetItem ${table}: ${pending.length} keys still unprocessed`);
      }
    }
    return found;
  }

  /** Put; resolves false when the condition failed. */
  async put(table: TableName, item: Item, condition?: Condition): Promise<boolean> {
    let old: Item | undefined;
    const written = await this.conditional(`PutItem ${table}`, async () => {
      // The replaced item comes back at no extra cost; a replacement bills the larger of the two.
      const out = await this.doc.send(
        new PutCommand({
          TableName: this.names[table],
          Item: item,
          ReturnValues: 'ALL_OLD',
          ...conditionParams(condition),
        }),
      );
      old = out.Attributes;
    });
    meterWrite(this.meter, TABLES[table], { item, old, written });
    return written;
  }

  /**
   * Set the given attributes of an existing item (on condition that its key exists); resolves
   * false when it does not. The replaced item comes back at no extra
   * cost: the meter bills the larger of the two and the index entries the change touched.
   */
  async set(table: TableName, key: Item, attributes: Item): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const sets = Object.entries(attributes).map(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      return `#a${i} = :a${i}`;
    });
    const keyName = TABLES[table].partitionKey.name;
    let old: Item | undefined;
    const written = await this.conditional(`UpdateItem ${table}`, async () => {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.names[table],
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ReturnValues: 'ALL_OLD',
          ...conditionParams({
            expression: 'attribute_exists(#key)',
            names: { ...names, '#key': keyName },
            values,
          }),
        }),
      );
      old = out.Attributes;
    });
    meterWrite(this.meter, TABLES[table], { item: { ...(old ?? key), ...attributes }, old, written });
    return written;
  }

  async delete(table: TableName, key: Item, condition?: Condition): Promise<boolean> {
    let old: Item | undefined;
    const deleted = await this.conditional(`DeleteItem ${table}`, async () => {
      const out = await this.doc.send(
        new DeleteCommand({
          TableName: this.names[table],
          Key: key,
          ReturnValues: 'ALL_OLD',
          ...conditionParams(condition),
        }),
      );
      old = out.Attributes;
    });
    meterDelete(this.meter, TABLES[table], old);
    return deleted;
  }

  /** Run a conditional write; resolves false when its condition failed. */
  private async conditional(what: string, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.run(what, send);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** Delete many items (as read), 25 per BatchWriteItem, retrying unprocessed ones. */
  async deleteMany(table: TableName, found: readonly Item[]): Promise<void> {
    const keyNames = keyAttributes(table);
    const keys = found.map((item) => Object.fromEntries(keyNames.map((k) => [k, item[k]])));
    // Each delete bills its item's size; an unprocessed one is retried until it is processed once.
    for (const item of found) meterDelete(this.meter, TABLES[table], item);
    for (let i = 0; i < keys.length; i += 25) {
      let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        const out = await this.run(`BatchWriteItem ${table}`, () =>
          this.doc.send(new BatchWriteCommand({ RequestItems: { [this.names[table]]: requests } })),
        );
        requests = (out.UnprocessedItems?.[this.names[table]] ?? []).flatMap((r) =>
          r.DeleteRequest?.Key ? [{ DeleteRequest: { Key: r.DeleteRequest.Key } }] : [],
        );
        if (attempt > 10 && requests.length > 0)
          throw new ConflictError(`BatchWriteItem ${table}: ${requests.length} deletes still unprocessed`);
      }
    }
  }

  /** One page of a query as DynamoDB returns it (metered as read), for callers that page themselves. */
  async query(
    table: TableName,
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<{ items: Item[]; next: Item | undefined }> {
    const out = await this.run(`Query ${table}`, () =>
      this.doc.send(new QueryCommand({ ...input, TableName: this.names[table] })),
    );
    meterQuery(this.meter, out.Items ?? [], input.ConsistentRead === true);
    return { items: out.Items ?? [], next: out.LastEvaluatedKey };
  }

  /** Every item of a query (all pages). For bounded partitions only. */
  async queryAll(table: TableName, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.run(`Query ${table}`, () =>
        this.doc.send(
          new QueryCommand({
            ...input,
            TableName: this.names[table],
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      meterQuery(this.meter, out.Items ?? [], input.ConsistentRead === true);
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * One page of `limit` accepted items and a cursor only when more exist: asks for one item more
   * than the page so the last page never carries a cursor to an empty page.
   */
  async queryPage(
    table: TableName,
    input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
    options: { limit?: number; cursor?: string; indexName?: string },
    accept: (item: Item) => boolean = () => true,
  ): Promise<{ items: Item[]; next?: string }> {
    const limit = checkLimit(options.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const keyNames = keyAttributes(table, options.indexName);
    const items: Item[] = [];
    let start: Item | undefined = options.cursor ? decodeCursor(options.cursor) : undefined;
    do {
      const out = await this.run(`Query ${table}`, () =>
        this.doc.send(
          new QueryCommand({
            ...input,
            TableName: this.names[table],
            ...(options.indexName ? { IndexName: options.indexName } : {}),
            Limit: limit + 1 - items.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      meterQuery(this.meter, out.Items ?? [], input.ConsistentRead === true);
      for (const item of out.Items ?? []) if (accept(item)) items.push(item);
      start = out.LastEvaluatedKey;
    } while (start && items.length <= limit);
    if (items.length <= limit) return { items };
    const page = items.slice(0, limit);
    const last = page[page.length - 1] as Item;
    return { items: page, next: encodeCursor(Object.fromEntries(keyNames.map((k) => [k, last[k]]))) };
  }

  async run<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isConditionFailed(error)) throw error;
      throw mapSdkError(error, what);
    }
  }
}

interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Item;
}

/** The condition of a write as request parameters (DynamoDB refuses empty attribute maps). */
function conditionParams(condition: Condition | undefined) {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names && Object.keys(condition.names).length > 0
      ? { ExpressionAttributeNames: condition.names }
      : {}),
    ...(condition.values && Object.keys(condition.values).length > 0
      ? { ExpressionAttributeValues: condition.values }
      : {}),
  };
}

/** The table key plus the index key: what ExclusiveStartKey needs for a query on that index. */
function keyAttributes(table: TableName, indexName?: string): string[] {
  const spec = TABLES[table];
  const names = [spec.partitionKey.name, ...(spec.sortKey ? [spec.sortKey.name] : [])];
  const index = indexName ? spec.globalSecondaryIndexes.find((i) => i.indexName === indexName) : undefined;
  if (index) names.push(index.partitionKey.name, ...(index.sortKey ? [index.sortKey.name] : []));
  return [...new Set(names)];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------

class DynamoWorkloadRepository implements WorkloadRepository {
  constructor(private readonly ctx: Ctx) {}

  async create(workload: Workload): Promise<WorkloadRecord> {
    const parsed = parseOrThrow(Workload, workload, 'workload');
    const now = this.ctx.clock.now();
    const record = parseOrThrow(
      WorkloadRecord,
      { workload: parsed, profile: { demand: {} }, version: 1, createdAt: now, updatedAt: now },
      `workload record ${parsed.workloadId}`,
    );
    const item = items.workload(record);
    assertItemSize(item, `workload ${parsed.workloadId}`);
    const created = await this.ctx.put('workloads', item, { expression: 'attribute_not_exists(pk)' });
    if (!created) throw new ConflictError(`workload ${parsed.workloadId} already exists`);
    return record;
  }

  update(workload: Workload, expectedVersion: number): Promise<WorkloadRecord> {
    const parsed = parseOrThrow(Workload, workload, 'workload');
    return this.replace(parsed.workloadId, expectedVersion, { workload: parsed });
  }

  updateProfile(
    workloadId: string,
    profile: WorkloadProfile,
    expectedVersion: number,
  ): Promise<WorkloadRecord> {
    const parsed = parseOrThrow(WorkloadProfile, profile, `profile of workload ${workloadId}`);
    return this.replace(workloadId, expectedVersion, { profile: parsed });
  }

  /**
   * Replace only the learned profile: one PutItem of the profile's own item, no version bump, so
   * the forecaster's profile writes never make a concurrent definition update fail and never touch
   * the definition or its index entry. The workload is read first (NotFoundError when absent).
   */
  async putProfile(workloadId: string, profile: WorkloadProfile): Promise<void> {
    const parsed = parseOrThrow(WorkloadProfile, profile, `profile of workload ${workloadId}`);
    const item = items.workloadProfile(workloadId, parsed);
    assertItemSize(item, `profile of workload ${workloadId}`);
    if (!(await this.ctx.get('workloads', { pk: workloadId })))
      throw new NotFoundError(`workload ${workloadId} does not exist`);
    await this.ctx.put('workloads', item);
  }

  /**
   * Read, change, and put back on condition that the version is still the one read. A changed
   * profile (or one an older item still holds inside the workload item) goes to the profile's
   * own item after the versioned write.
   */
  private async replace(
    workloadId: string,
    expectedVersion: number,
    change: Partial<Pick<WorkloadRecord, 'workload' | 'profile'>>,
  ): Promise<WorkloadRecord> {
    checkVersion(expectedVersion);
    const [stored, storedProfile] = await this.read(workloadId);
    if (!stored) throw new NotFoundError(`workload ${workloadId} does not exist`);
    const current = records.workload(stored, storedProfile);
    if (current.version !== expectedVersion)
      throw new ConflictError(
        `workload ${workloadId} is at version ${current.version}, not the expected ${expectedVersion}`,
      );
    const record = parseOrThrow(
      WorkloadRecord,
      {
        ...current,
        ...change,
        version: expectedVersion + 1,
        updatedAt: Math.max(this.ctx.clock.now(), current.updatedAt),
      },
      `workload record ${workloadId}`,
    );
    const item = items.workload(record);
    assertItemSize(item, `workload ${workloadId}`);
    const profileItem = items.workloadProfile(workloadId, record.profile);
    assertItemSize(profileItem, `profile of workload ${workloadId}`);
    const written = await this.ctx.put('workloads', item, {
      expression: 'version = :expected',
      values: { ':expected': expectedVersion },
    });
    if (!written)
      throw new ConflictError(
        `workload ${workloadId} changed under us: version ${expectedVersion} is no longer current`,
      );
    if (change.profile || (!storedProfile && stored.profile !== undefined))
      await this.ctx.put('workloads', profileItem);
    return record;
  }

  /** The workload item and its profile item, read together. */
  private read(workloadId: string): Promise<[Item | undefined, Item | undefined]> {
    return Promise.all([
      this.ctx.get('workloads', { pk: workloadId }),
      this.ctx.get('workloads', workloadProfileKey(workloadId)),
    ]);
  }

  async get(workloadId: string): Promise<WorkloadRecord | undefined> {
    const [item, profile] = await this.read(workloadId);
    return item ? records.workload(item, profile) : undefined;
  }

  async list(options: WorkloadListOptions = {}): Promise<Page<WorkloadRecord>> {
    const page = await this.ctx.queryPage(
      'workloads',
      {
        KeyConditionExpression: 'listKey = :list',
        ExpressionAttributeValues: { ':list': WORKLOAD_LIST_KEY },
      },
      {
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
        indexName: INDEX.workloadsList,
      },
    );
    const profiles =
      options.profiles === false
        ? new Map<string, Item>()
        : await this.ctx.getMany(
            'workloads',
            page.items.map((item) => workloadProfileKey(String(item.pk))),
          );
    return {
      items: page.items.map((item) =>
        records.workload(item, profiles.get(workloadProfileKey(String(item.pk)).pk)),
      ),
      ...(page.next ? { next: page.next } : {}),
    };
  }

  async delete(workloadId: string): Promise<void> {
    await this.ctx.delete('workloads', { pk: workloadId });
    await this.ctx.delete('workloads', workloadProfileKey(workloadId));
  }
}

// ---------------------------------------------------------------------------------------------

class DynamoPredictionRepository implements PredictionRepository {
  constructor(private readonly ctx: Ctx) {}

  /**
   * One PutItem of one small item per forecast, `h#<generatedAt>` with its TTL: a retry rewrites
   * the same item, so there is nothing to order and no crash leaves a half-written forecast. The
   * newest item is the latest forecast (a late, older one cannot replace it); the history is the
   * newest `predictionHistoryLimit` of them, and TTL removes the rest.
   */
  async putPrediction(prediction: Prediction): Promise<void> {
    const p = parseOrThrow(Prediction, prediction, 'prediction');
    const item = items.predictionHistory(p, this.ctx.options.predictionTtlMs);
    assertItemSize(item, `prediction ${p.workloadId}/${p.metric} at ${p.generatedAt}`);
    await this.ctx.put('predictions', item);
  }

  /** The newest forecast item (a strongly consistent Query of one item, newest first). */
  async getLatest(workloadId: string, metric: string): Promise<Prediction | undefined> {
    const page = await this.ctx.query('predictions', {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': predictionKeys.metricPk(workloadId, metric),
        ':from': predictionKeys.historyPrefix,
        ':to': predictionKeys.historyEnd,
      },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    const item = page.items[0];
    // Every forecast of a metric lives as long: if the newest has expired, so has every older one.
    if (!item || isExpired(item.ttl, this.ctx.clock.now())) return undefined;
    return records.prediction(item);
  }

  async history(
    workloadId: string,
    metric: string,
    options: { sinceMs?: number; limit?: number } = {},
  ): Promise<Prediction[]> {
    const limit = checkLimit(options.limit, this.ctx.options.predictionHistoryLimit);
    const now = this.ctx.clock.now();
    const out: Prediction[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ctx.query('predictions', {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': predictionKeys.metricPk(workloadId, metric),
          ':from': predictionKeys.historySk(Math.max(0, options.sinceMs ?? 0)),
          ':to': predictionKeys.historyEnd,
        },
        ScanIndexForward: false,
        Limit: limit - out.length,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of page.items) if (!isExpired(item.ttl, now)) out.push(records.prediction(item));
      start = page.next;
    } while (start && out.length < limit);
    return out.slice(0, limit);
  }

  /**
   * Refuses (ConflictError) a state older than the stored one: a slow writer must not roll it back.
   * The fit-only part, when changed, is written first (`modelStateItems`): a crash before the
   * per-run item leaves the stored state as it was.
   */
  async putModelState(state: ModelStateRecord): Promise<void> {
    const s = parseOrThrow(ModelStateRecordSchema, state, 'model state');
    const what = `model state ${s.workloadId}/${s.metric}`;
    const { base, run } = modelStateItems(s);
    if (base) assertItemSize(base, `${what} (fit-only part)`);
    assertItemSize(run, what);
    const guard = {
      expression: 'attribute_not_exists(pk) OR lastPointMs <= :lp',
      values: { ':lp': s.lastPointMs },
    };
    const written =
      (!base || (await this.ctx.put('predictions', base, guard))) &&
      (await this.ctx.put('predictions', run, guard));
    if (!written)
      throw new ConflictError(`${what}: a newer state is stored (this one ends at ${s.lastPointMs})`);
  }

  /** The per-run item, then the fit-only part it names (a second strongly consistent GetItem). */
  async getModelState(workloadId: string, metric: string): Promise<ModelStateRecord | undefined> {
    const item = await this.ctx.get('predictions', {
      pk: predictionKeys.metricPk(workloadId, metric),
      sk: predictionKeys.stateSk,
    });
    if (!item) return undefined;
    const baseKey = modelStateBaseKey(item);
    return records.modelState(item, baseKey ? await this.ctx.get('predictions', baseKey) : undefined);
  }

  /** Refuses (ConflictError) a decision older than the stored one. */
  async putDecision(decision: ContentionDecisionRecord): Promise<void> {
    const d = parseOrThrow(ContentionDecisionRecordSchema, decision, 'contention decision');
    const item = items.decision(d);
    assertItemSize(item, `contention decision ${d.workloadId}`);
    const written = await this.ctx.put('predictions', item, {
      expression: 'attribute_not_exists(pk) OR updatedAt <= :u',
      values: { ':u': d.updatedAt },
    });
    if (!written)
      throw new ConflictError(
        `contention decision ${d.workloadId}: a newer decision is stored (this one is from ${d.updatedAt})`,
      );
  }

  async getDecision(workloadId: string): Promise<ContentionDecisionRecord | undefined> {
    const item = await this.ctx.get('predictions', {
      pk: predictionKeys.workloadPk(workloadId),
      sk: predictionKeys.decisionSk,
    });
    if (!item) return undefined;
    return records.decision(item);
  }

  async putRegionalState(record: RegionalDetectorRecord): Promise<void> {
    const r = parseOrThrow(RegionalDetectorRecordSchema, record, 'regional detector state');
    const item = items.regional(r);
    assertItemSize(item, `regional detector state ${r.workloadId}`);
    const written = await this.ctx.put('predictions', item, {
      expression: 'attribute_not_exists(pk) OR updatedAt <= :u',
      values: { ':u': r.updatedAt },
    });
    if (!written)
      throw new ConflictError(
        `regional detector state ${r.workloadId}: a newer state is stored (this one is from ${r.updatedAt})`,
      );
  }

  async getRegionalState(workloadId: string): Promise<RegionalDetectorRecord | undefined> {
    const item = await this.ctx.get('predictions', {
      pk: predictionKeys.workloadPk(workloadId),
      sk: predictionKeys.regionalSk,
    });
    if (!item) return undefined;
    return records.regional(item);
  }
}

// ---------------------------------------------------------------------------------------------

class DynamoSignalRepository implements SignalRepository {
  constructor(private readonly ctx: Ctx) {}

  /** An upsert keyed by signalId: the same signal delivered twice is one item. */
  async put(signal: Signal): Promise<void> {
    const s = parseOrThrow(Signal, signal, 'signal');
    const item = items.signal(s, this.ctx.options.signalRetentionMs);
    assertItemSize(item, `signal ${s.signalId}`);
    await this.ctx.put('signals', item);
  }

  async forWorkload(
    workloadId: string,
    tags: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<Signal[]> {
    checkWindow(fromMs, toMs);
    const own = this.window(INDEX.signalsByWorkload, 'workloadKey', workloadId, fromMs, toMs);
    const tagged = [...new Set(tags)].map((tag) => this.window(INDEX.signalsByTag, 'tag', tag, fromMs, toMs));
    const all = (await Promise.all([own, ...tagged])).flat();
    // A tag signal aimed at another workload is not ours.
    return sortSignals(
      dedupeSignals(all.filter((s) => s.workloadId === undefined || s.workloadId === workloadId)),
    );
  }

  async byTag(tag: string, fromMs: number, toMs: number): Promise<Signal[]> {
    checkWindow(fromMs, toMs);
    return sortSignals(await this.window(INDEX.signalsByTag, 'tag', tag, fromMs, toMs));
  }

  /**
   * Signals overlapping [fromMs, toMs): a window lasts at most 31 days (schema), so it starts in
   * [fromMs - 31 d, toMs); the key condition bounds the read and `endsAt > fromMs` finishes it.
   */
  private async window(index: string, keyName: string, key: string, fromMs: number, toMs: number) {
    if (toMs <= fromMs) return [];
    const items = await this.ctx.queryAll('signals', {
      IndexName: index,
      // No FilterExpression: filtered items are billed all the same, and `overlaps` below drops them.
      KeyConditionExpression: '#k = :k AND startsAt BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#k': keyName },
      ExpressionAttributeValues: {
        ':k': key,
        ':lo': Math.max(0, fromMs - MAX_SIGNAL_WINDOW_MS),
        ':hi': toMs - 1,
      },
    });
    const now = this.ctx.clock.now();
    return items
      .filter((item) => !isExpired(item.ttl, now))
      .map((item) => records.signal(item))
      .filter((s) => overlaps(s, fromMs, toMs));
  }
}

// ---------------------------------------------------------------------------------------------

class DynamoOperationRepository implements OperationRepository {
  constructor(private readonly ctx: Ctx) {}

  async createOrGet(operation: Operation): Promise<Operation> {
    const op = parseOrThrow(Operation, operation, 'operation');
    const item = items.operation(op);
    assertItemSize(item, `operation ${op.operationId}`);
    if (await this.ctx.put('operations', item, { expression: 'attribute_not_exists(pk)' })) return op;
    const existing = await this.get(op.operationId);
    if (!existing) throw new ConflictError(`operation ${op.operationId} exists but could not be read back`);
    return existing;
  }

  async get(operationId: string): Promise<Operation | undefined> {
    const item = await this.ctx.get('operations', { pk: operationKeys.operationPk(operationId) });
    return item ? records.operation(item) : undefined;
  }

  /**
   * Read, append, put back on condition that the version is unchanged; a lost race re-reads and
   * tries again. Appending a step equal to one already there is a no-op, so a retried task does
   * not record its step twice.
   */
  async appendStep(
    operationId: string,
    step: OperationStep,
    verifiedWeights?: TrafficWeights,
  ): Promise<Operation> {
    const s = parseOrThrow(OperationStepSchema, step, `step of operation ${operationId}`);
    const weights =
      verifiedWeights === undefined
        ? undefined
        : parseOrThrow(TrafficWeights, verifiedWeights, `verified weights of operation ${operationId}`);
    return this.change(operationId, (op) => withStep(op, s, weights));
  }

  async finish(
    operationId: string,
    status: Exclude<OperationStatus, 'running'>,
    error?: { name: string; message: string },
  ): Promise<Operation> {
    return this.change(operationId, (op) => withFinish(op, status, error));
  }

  private async change(
    operationId: string,
    apply: (op: Operation) => Operation | undefined,
  ): Promise<Operation> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(operationId);
      if (!current) throw new NotFoundError(`operation ${operationId} does not exist`);
      const changed = apply(current);
      if (!changed) return current;
      const next = parseOrThrow(
        Operation,
        {
          ...changed,
          version: current.version + 1,
          updatedAt: Math.max(this.ctx.clock.now(), current.updatedAt),
        },
        `operation ${operationId}`,
      );
      const item = items.operation(next);
      assertItemSize(item, `operation ${operationId}`);
      const written = await this.ctx.put('operations', item, {
        expression: 'version = :v',
        values: { ':v': current.version },
      });
      if (written) return next;
      if (attempt >= this.ctx.options.maxConflictRetries)
        throw tooManyConflicts(`operation ${operationId}`, attempt);
    }
  }

  async listByWorkload(
    workloadId: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<Page<Operation>> {
    return this.newestFirst(INDEX.operationsByWorkload, 'workloadKey', workloadId, options);
  }

  async listRecent(options: { limit?: number; cursor?: string } = {}): Promise<Page<Operation>> {
    return this.newestFirst(INDEX.operationsRecent, 'listKey', OPERATION_LIST_KEY, options);
  }

  /** One page of operations from an index partitioned by `key` = `value`, newest first. */
  private async newestFirst(
    indexName: string,
    key: string,
    value: string,
    options: { limit?: number; cursor?: string },
  ): Promise<Page<Operation>> {
    const page = await this.ctx.queryPage(
      'operations',
      {
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': key },
        ExpressionAttributeValues: { ':v': value },
        ScanIndexForward: false,
      },
      { ...options, indexName },
    );
    return { items: page.items.map(records.operation), ...(page.next ? { next: page.next } : {}) };
  }

  /**
   * One conditional put decides the race: it succeeds only if no lease item exists, the stored
   * one has expired by our clock, or we already hold it (a rerun). DynamoDB serialises writes to
   * one item, so of two concurrent acquisitions exactly one condition holds.
   */
  async acquireLease(workloadId: string, holder: string, ttlMs: number): Promise<Lease> {
    checkTtlMs(ttlMs, `lease on ${workloadId}`);
    for (let attempt = 1; ; attempt++) {
      const now = this.ctx.clock.now();
      const lease = parseOrThrow(
        Lease,
        { workloadId, holder, acquiredAt: now, expiresAt: now + ttlMs },
        `lease on ${workloadId}`,
      );
      const written = await this.ctx.put('operations', items.lease(lease), {
        expression: 'attribute_not_exists(pk) OR expiresAt <= :now OR holder = :holder',
        values: { ':now': now, ':holder': holder },
      });
      if (written) return lease;
      const current = await this.getLease(workloadId);
      if (current) throw new LeaseHeldError(workloadId, current.holder, current.expiresAt);
      // Released or expired between our write and our read: try again.
      if (attempt >= this.ctx.options.maxConflictRetries)
        throw tooManyConflicts(`lease on ${workloadId}`, attempt);
    }
  }

  /** Only the holder renews, and only while the lease is live: an expired lease was lost. */
  async renewLease(workloadId: string, holder: string, ttlMs: number): Promise<Lease> {
    checkTtlMs(ttlMs, `lease on ${workloadId}`);
    const now = this.ctx.clock.now();
    const current = await this.getLease(workloadId);
    if (current && current.holder !== holder)
      throw new LeaseHeldError(workloadId, current.holder, current.expiresAt);
    if (!current)
      throw new ConflictError(
        `lease on ${workloadId} is not held by ${holder} (absent or expired): cannot renew`,
      );
    const lease = parseOrThrow(
      Lease,
      { ...current, expiresAt: Math.max(current.expiresAt, now + ttlMs) },
      `lease on ${workloadId}`,
    );
    const written = await this.ctx.put('operations', items.lease(lease), {
      expression: 'holder = :holder AND expiresAt > :now',
      values: { ':holder': holder, ':now': now },
    });
    if (written) return lease;
    const after = await this.getLease(workloadId);
    if (after && after.holder !== holder) throw new LeaseHeldError(workloadId, after.holder, after.expiresAt);
    throw new ConflictError(`lease on ${workloadId} is no longer held by ${holder}: cannot renew`);
  }

  async releaseLease(workloadId: string, holder: string): Promise<void> {
    // Condition on the holder: releasing someone else's lease is a no-op, never a theft.
    await this.ctx.delete(
      'operations',
      { pk: operationKeys.leasePk(workloadId) },
      { expression: 'holder = :holder', values: { ':holder': holder } },
    );
  }

  async getLease(workloadId: string): Promise<Lease | undefined> {
    const item = await this.ctx.get('operations', { pk: operationKeys.leasePk(workloadId) });
    if (!item) return undefined;
    const lease = records.lease(item);
    return lease.expiresAt <= this.ctx.clock.now() ? undefined : lease;
  }
}
