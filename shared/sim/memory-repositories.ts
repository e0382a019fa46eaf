import { type Clock, systemClock } from '../clock';
import { meterDelete, meterGet, meterQuery, meterWrite } from '../cost/dynamodb';
import { decodeCursor, encodeCursor } from '../data/client';
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
  itemSize,
  items,
  MAX_SIGNAL_WINDOW_MS,
  META,
  ModelStateRecordSchema,
  modelStateBaseKey,
  modelStateItems,
  operationKeys,
  overlaps,
  predictionKeys,
  RegionalDetectorRecordSchema,
  type ResolvedDataLayerOptions,
  resolveOptions,
  sortSignals,
  stripMeta,
  unpackModelState,
  unpackPrediction,
  withFinish,
  withStep,
} from '../data/records';
import { TABLES } from '../data/tables';
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
import { Lease, Operation, type OperationStatus, OperationStep, TrafficWeights } from '../schemas/operation';
import { Prediction } from '../schemas/series';
import { Signal } from '../schemas/signal';
import { Workload, WorkloadProfile, WorkloadRecord } from '../schemas/workload';
import { parseOrThrow } from '../validation';

/**
 * The repository ports in memory, for the backtester, the local run and unit tests. It keeps the
 * very items the DynamoDB repositories would write (same builders, same size limit, same TTL
 * attribute, same schemas on the way in and out) and applies the same rules, and it passes the
 * same contract suite (`test/unit/data/repository-contract.ts`, run by `test/unit/data` here and
 * by `test/integration/data` against dynalite or another endpoint).
 *
 * Items are deep-copied in and out (JSON round trip, as DynamoDB marshalling drops `undefined`),
 * so callers can never mutate what is stored. Time comes from the injected clock, so a simulated
 * clock expires leases, forecasts and signals the same way DynamoDB reads do.
 */
export interface MemoryRepositoriesConfig {
  clock?: Clock;
  options?: DataLayerOptions;
  /**
   * Counts the request units the DynamoDB repositories would consume for the same calls: the same
   * items, reads and writes in the same order (shared/cost/dynamodb.ts).
   */
  meter?: Meter;
}

export interface MemoryRepositories extends Repositories {
  /** Number of stored items per logical table (expired ones included until overwritten). */
  itemCounts(): { workloads: number; predictions: number; signals: number; operations: number };
  /** Sizes of a workload's stored items (bytes as DynamoDB counts them; 0 when absent), unmetered. */
  workloadItemBytes(workloadId: string): { workload: number; profile: number };
}

export function makeMemoryRepositories(config: MemoryRepositoriesConfig = {}): MemoryRepositories {
  const store = new Store(
    config.clock ?? systemClock,
    resolveOptions(config.options),
    config.meter ?? noMeter,
  );
  return {
    workloads: new MemoryWorkloadRepository(store),
    predictions: new MemoryPredictionRepository(store),
    signals: new MemorySignalRepository(store),
    operations: new MemoryOperationRepository(store),
    itemCounts: () => ({
      workloads: store.workloads.size,
      predictions: [...store.predictions.values()].reduce((n, partition) => n + partition.size, 0),
      signals: store.signals.size,
      operations: store.operations.size,
    }),
    workloadItemBytes: (workloadId) => {
      const workload = store.workloads.get(workloadId);
      const profile = store.profiles.get(workloadId);
      return { workload: workload ? itemSize(workload) : 0, profile: profile ? itemSize(profile) : 0 };
    },
  };
}

type Item = Record<string, unknown>;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;

/** A deep copy of a stored value; top-level binary attributes (Uint8Array) are copied as bytes. */
const copy = <T>(value: T): T => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return JSON.parse(JSON.stringify(value)) as T;
  let bytes: [string, Uint8Array][] | undefined;
  let plain: Record<string, unknown> = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(plain)) {
    if (!(v instanceof Uint8Array)) continue;
    if (!bytes) {
      bytes = [];
      plain = { ...plain };
    }
    bytes.push([key, v.slice()]);
    delete plain[key];
  }
  const out = JSON.parse(JSON.stringify(plain)) as Record<string, unknown>;
  for (const [key, v] of bytes ?? []) out[key] = v;
  return out as T;
};

/**
 * Readers. Only this module writes the store, and it writes items it has just validated and
 * copied, so a read needs no re-validation (DynamoDB reads do parse: anything can write there);
 * it strips the meta attributes from a deep copy, as `records.*` does before parsing.
 */
const strip = <T>(item: Item, meta: readonly string[]): T => stripMeta(copy(item), meta) as unknown as T;

const read = {
  /** The workload item with its profile item (absent: the profile an older item holds, or none). */
  workload: (item: Item, profileItem?: Item): WorkloadRecord => {
    const record = strip<WorkloadRecord>(item, META.workload);
    if (profileItem) record.profile = copy(profileItem.profile) as WorkloadRecord['profile'];
    else record.profile ??= { demand: {} };
    return record;
  },
  prediction: (item: Item): Prediction =>
    unpackPrediction(copy(item), `prediction ${String(item.pk)} ${String(item.sk)}`) as unknown as Prediction,
  modelState: (item: Item, baseItem?: Item): ModelStateRecord =>
    unpackModelState(
      copy(item),
      `model state ${String(item.pk)}`,
      baseItem ? copy(baseItem) : undefined,
    ) as unknown as ModelStateRecord,
  decision: (item: Item) => strip<ContentionDecisionRecord>(item, META.decision),
  regional: (item: Item) => strip<RegionalDetectorRecord>(item, META.regional),
  signal: (item: Item) => strip<Signal>(item, META.signal),
  operation: (item: Item) => strip<Operation>(item, META.operation),
  lease: (item: Item) => strip<Lease>(item, META.lease),
};

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

class Store {
  /** pk -> item */
  readonly workloads = new Map<string, Item>();
  /** workloadId -> the workload's profile item (`<workloadId>#profile` in the workloads table) */
  readonly profiles = new Map<string, Item>();
  /** pk -> (sk -> item) */
  readonly predictions = new Map<string, Map<string, Item>>();
  /** signalId -> item */
  readonly signals = new Map<string, Item>();
  /** pk (`op#id` or `lease#workload`) -> item */
  readonly operations = new Map<string, Item>();

  constructor(
    readonly clock: Clock,
    readonly options: ResolvedDataLayerOptions,
    readonly meter: Meter,
  ) {}

  predictionPartition(pk: string): Map<string, Item> {
    let partition = this.predictions.get(pk);
    if (!partition) {
      partition = new Map();
      this.predictions.set(pk, partition);
    }
    return partition;
  }
}

/**
 * A page of `sorted` starting after the item the cursor names, with a cursor only when more
 * items follow. Cursors have the same shape as the DynamoDB ones (the item's key attributes).
 */
function pageOf<T>(
  items: readonly Item[],
  order: (a: Item, b: Item) => number,
  keyOf: (item: Item) => Record<string, string | number>,
  options: { limit?: number; cursor?: string },
  toRecord: (item: Item) => T,
  meter: Meter,
): Page<T> {
  const limit = checkLimit(options.limit ?? DEFAULT_PAGE, MAX_PAGE);
  const sorted = [...items].sort(order);
  let start = 0;
  if (options.cursor !== undefined) {
    // The key names the sort position, so this also works when that item was deleted since.
    const after = decodeCursor(options.cursor);
    start = sorted.findIndex((item) => order(item, after) > 0);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + limit);
  // The DynamoDB page reads one item more than it returns (to know whether a next page exists).
  meterQuery(meter, sorted.slice(start, start + limit + 1), false);
  const last = page[page.length - 1];
  const more = start + limit < sorted.length;
  return {
    items: page.map((item) => toRecord(item)),
    ...(more && last ? { next: encodeCursor(keyOf(last)) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

class MemoryWorkloadRepository implements WorkloadRepository {
  constructor(private readonly store: Store) {}

  async create(workload: Workload): Promise<WorkloadRecord> {
    const parsed = parseOrThrow(Workload, workload, 'workload');
    const now = this.store.clock.now();
    const record = parseOrThrow(
      WorkloadRecord,
      { workload: parsed, profile: { demand: {} }, version: 1, createdAt: now, updatedAt: now },
      `workload record ${parsed.workloadId}`,
    );
    const item = items.workload(record);
    assertItemSize(item, `workload ${parsed.workloadId}`);
    const exists = this.store.workloads.has(parsed.workloadId);
    meterWrite(this.store.meter, TABLES.workloads, { item, written: !exists });
    if (exists) throw new ConflictError(`workload ${parsed.workloadId} already exists`);
    this.store.workloads.set(parsed.workloadId, copy(item));
    return copy(record);
  }

  async update(workload: Workload, expectedVersion: number): Promise<WorkloadRecord> {
    const parsed = parseOrThrow(Workload, workload, 'workload');
    return this.replace(parsed.workloadId, expectedVersion, { workload: parsed });
  }

  async updateProfile(
    workloadId: string,
    profile: WorkloadProfile,
    expectedVersion: number,
  ): Promise<WorkloadRecord> {
    const parsed = parseOrThrow(WorkloadProfile, profile, `profile of workload ${workloadId}`);
    return this.replace(workloadId, expectedVersion, { profile: parsed });
  }

  async putProfile(workloadId: string, profile: WorkloadProfile): Promise<void> {
    const parsed = parseOrThrow(WorkloadProfile, profile, `profile of workload ${workloadId}`);
    const item = items.workloadProfile(workloadId, copy(parsed));
    assertItemSize(item, `profile of workload ${workloadId}`);
    const stored = this.store.workloads.get(workloadId);
    meterGet(this.store.meter, stored, true);
    if (!stored) throw new NotFoundError(`workload ${workloadId} does not exist`);
    meterWrite(this.store.meter, TABLES.workloads, { item, old: this.store.profiles.get(workloadId) });
    this.store.profiles.set(workloadId, item);
  }

  private async replace(
    workloadId: string,
    expectedVersion: number,
    change: Partial<Pick<WorkloadRecord, 'workload' | 'profile'>>,
  ): Promise<WorkloadRecord> {
    checkVersion(expectedVersion);
    // No await between this read and the write below: concurrent callers see each other's writes.
    const stored = this.store.workloads.get(workloadId);
    const storedProfile = this.store.profiles.get(workloadId);
    meterGet(this.store.meter, stored, true);
    meterGet(this.store.meter, storedProfile, true);
    const current = stored ? read.workload(stored, storedProfile) : undefined;
    if (!current) throw new NotFoundError(`workload ${workloadId} does not exist`);
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
        updatedAt: Math.max(this.store.clock.now(), current.updatedAt),
      },
      `workload record ${workloadId}`,
    );
    const item = items.workload(record);
    assertItemSize(item, `workload ${workloadId}`);
    const profileItem = items.workloadProfile(workloadId, record.profile);
    assertItemSize(profileItem, `profile of workload ${workloadId}`);
    meterWrite(this.store.meter, TABLES.workloads, { item, old: stored });
    this.store.workloads.set(workloadId, copy(item));
    // A changed profile, or one an older item held inside the workload item, moves to its own item.
    if (change.profile || (!storedProfile && stored?.profile !== undefined)) {
      meterWrite(this.store.meter, TABLES.workloads, { item: profileItem, old: storedProfile });
      this.store.profiles.set(workloadId, copy(profileItem));
    }
    return copy(record);
  }

  async get(workloadId: string): Promise<WorkloadRecord | undefined> {
    const item = this.store.workloads.get(workloadId);
    const profile = this.store.profiles.get(workloadId);
    meterGet(this.store.meter, item, true);
    meterGet(this.store.meter, profile, true);
    return item ? read.workload(item, profile) : undefined;
  }

  async list(options: WorkloadListOptions = {}): Promise<Page<WorkloadRecord>> {
    const page = pageOf(
      [...this.store.workloads.values()],
      (a, b) => compareStrings(String(a.pk), String(b.pk)),
      (item) => ({ pk: String(item.pk), listKey: String(item.listKey) }),
      options,
      (item) => item,
      this.store.meter,
    );
    const withProfiles = options.profiles !== false;
    return {
      ...page,
      items: page.items.map((item) => {
        const id = String(item.pk);
        const profile = withProfiles ? this.store.profiles.get(id) : undefined;
        // BatchGetItem, eventually consistent: each key billed as a GetItem of its item.
        if (withProfiles) meterGet(this.store.meter, profile, false);
        return read.workload(item, profile);
      }),
    };
  }

  async delete(workloadId: string): Promise<void> {
    meterDelete(this.store.meter, TABLES.workloads, this.store.workloads.get(workloadId));
    this.store.workloads.delete(workloadId);
    meterDelete(this.store.meter, TABLES.workloads, this.store.profiles.get(workloadId));
    this.store.profiles.delete(workloadId);
  }
}

// ---------------------------------------------------------------------------------------------

class MemoryPredictionRepository implements PredictionRepository {
  constructor(private readonly store: Store) {}

  /** As DynamoDB: one item per forecast; the newest is the latest, TTL removes the old ones. */
  async putPrediction(prediction: Prediction): Promise<void> {
    const p = parseOrThrow(Prediction, prediction, 'prediction');
    const item = items.predictionHistory(p, this.store.options.predictionTtlMs);
    assertItemSize(item, `prediction ${p.workloadId}/${p.metric} at ${p.generatedAt}`);
    const partition = this.store.predictionPartition(predictionKeys.metricPk(p.workloadId, p.metric));
    meterWrite(this.store.meter, TABLES.predictions, { item, old: partition.get(item.sk as string) });
    partition.set(item.sk as string, copy(item));
    this.evictExpired(partition);
  }

  /**
   * DynamoDB's TTL deletes expired items in the background (not billed); dropping them here keeps
   * a replay of months from holding every forecast ever made.
   */
  private evictExpired(partition: Map<string, Record<string, unknown>>): void {
    const now = this.store.clock.now();
    for (const [key, item] of partition)
      if (key.startsWith(predictionKeys.historyPrefix) && isExpired(item.ttl, now)) partition.delete(key);
  }

  async getLatest(workloadId: string, metric: string): Promise<Prediction | undefined> {
    const partition = this.store.predictions.get(predictionKeys.metricPk(workloadId, metric));
    let newest: [string, Record<string, unknown>] | undefined;
    for (const entry of partition ?? [])
      if (entry[0].startsWith(predictionKeys.historyPrefix) && (!newest || entry[0] > newest[0]))
        newest = entry;
    meterQuery(this.store.meter, newest ? [newest[1]] : [], true);
    if (!newest || isExpired(newest[1].ttl, this.store.clock.now())) return undefined;
    return read.prediction(newest[1]);
  }

  async history(
    workloadId: string,
    metric: string,
    options: { sinceMs?: number; limit?: number } = {},
  ): Promise<Prediction[]> {
    const limit = checkLimit(options.limit, this.store.options.predictionHistoryLimit);
    const partition = this.store.predictions.get(predictionKeys.metricPk(workloadId, metric));
    if (!partition) {
      meterQuery(this.store.meter, [], false);
      return [];
    }
    const from = predictionKeys.historySk(Math.max(0, options.sinceMs ?? 0));
    const now = this.store.clock.now();
    const scanned = [...partition.entries()]
      .filter(
        ([sk]) =>
          sk.startsWith(predictionKeys.historyPrefix) && sk >= from && sk <= predictionKeys.historyEnd,
      )
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .map(([, item]) => item)
      .slice(0, limit);
    meterQuery(this.store.meter, scanned, false);
    return scanned.filter((item) => !isExpired(item.ttl, now)).map((item) => read.prediction(item));
  }

  async putModelState(state: ModelStateRecord): Promise<void> {
    const s = parseOrThrow(ModelStateRecordSchema, state, 'model state');
    const what = `model state ${s.workloadId}/${s.metric}`;
    const { base, run } = modelStateItems(s);
    if (base) assertItemSize(base, `${what} (fit-only part)`);
    assertItemSize(run, what);
    const partition = this.store.predictionPartition(predictionKeys.metricPk(s.workloadId, s.metric));
    // The fit-only part first, under the same guard, as the DynamoDB repository writes them.
    for (const item of base ? [base, run] : [run]) {
      const sk = String(item.sk);
      const current = partition.get(sk);
      const newer = typeof current?.lastPointMs === 'number' && current.lastPointMs > s.lastPointMs;
      meterWrite(this.store.meter, TABLES.predictions, { item, old: current, written: !newer });
      if (newer)
        throw new ConflictError(`${what}: a newer state is stored (this one ends at ${s.lastPointMs})`);
      partition.set(sk, copy(item));
    }
  }

  async getModelState(workloadId: string, metric: string): Promise<ModelStateRecord | undefined> {
    const partition = this.store.predictions.get(predictionKeys.metricPk(workloadId, metric));
    const item = partition?.get(predictionKeys.stateSk);
    meterGet(this.store.meter, item, true);
    if (!item) return undefined;
    const baseKey = modelStateBaseKey(item);
    if (!baseKey) return read.modelState(item);
    const baseItem = partition?.get(baseKey.sk);
    meterGet(this.store.meter, baseItem, true);
    return read.modelState(item, baseItem);
  }

  async putDecision(decision: ContentionDecisionRecord): Promise<void> {
    const d = parseOrThrow(ContentionDecisionRecordSchema, decision, 'contention decision');
    const item = items.decision(d);
    assertItemSize(item, `contention decision ${d.workloadId}`);
    const partition = this.store.predictionPartition(predictionKeys.workloadPk(d.workloadId));
    const current = partition.get(predictionKeys.decisionSk);
    const newer = typeof current?.updatedAt === 'number' && current.updatedAt > d.updatedAt;
    meterWrite(this.store.meter, TABLES.predictions, { item, old: current, written: !newer });
    if (newer)
      throw new ConflictError(
        `contention decision ${d.workloadId}: a newer decision is stored (this one is from ${d.updatedAt})`,
      );
    partition.set(predictionKeys.decisionSk, copy(item));
  }

  async getDecision(workloadId: string): Promise<ContentionDecisionRecord | undefined> {
    const item = this.store.predictions
      .get(predictionKeys.workloadPk(workloadId))
      ?.get(predictionKeys.decisionSk);
    meterGet(this.store.meter, item, true);
    return item ? read.decision(item) : undefined;
  }

  async putRegionalState(record: RegionalDetectorRecord): Promise<void> {
    const r = parseOrThrow(RegionalDetectorRecordSchema, record, 'regional detector state');
    const item = items.regional(r);
    assertItemSize(item, `regional detector state ${r.workloadId}`);
    const partition = this.store.predictionPartition(predictionKeys.workloadPk(r.workloadId));
    const current = partition.get(predictionKeys.regionalSk);
    const newer = typeof current?.updatedAt === 'number' && current.updatedAt > r.updatedAt;
    meterWrite(this.store.meter, TABLES.predictions, { item, old: current, written: !newer });
    if (newer)
      throw new ConflictError(
        `regional detector state ${r.workloadId}: a newer state is stored (this one is from ${r.updatedAt})`,
      );
    partition.set(predictionKeys.regionalSk, copy(item));
  }

  async getRegionalState(workloadId: string): Promise<RegionalDetectorRecord | undefined> {
    const item = this.store.predictions
      .get(predictionKeys.workloadPk(workloadId))
      ?.get(predictionKeys.regionalSk);
    meterGet(this.store.meter, item, true);
    return item ? read.regional(item) : undefined;
  }
}

// ---------------------------------------------------------------------------------------------

class MemorySignalRepository implements SignalRepository {
  constructor(private readonly store: Store) {}

  async put(signal: Signal): Promise<void> {
    const s = parseOrThrow(Signal, signal, 'signal');
    const item = items.signal(s, this.store.options.signalRetentionMs);
    assertItemSize(item, `signal ${s.signalId}`);
    meterWrite(this.store.meter, TABLES.signals, { item, old: this.store.signals.get(s.signalId) });
    this.store.signals.set(s.signalId, copy(item));
  }

  async forWorkload(
    workloadId: string,
    tags: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<Signal[]> {
    checkWindow(fromMs, toMs);
    const wanted = new Set(tags);
    // DynamoDB asks the workload index and each tag's index: one query each.
    this.meterWindow((item) => item.workloadKey === workloadId, fromMs, toMs);
    for (const tag of wanted) this.meterWindow((item) => item.tag === tag, fromMs, toMs);
    return sortSignals(
      dedupeSignals(
        this.window(fromMs, toMs).filter((s) =>
          s.workloadId === undefined ? wanted.has(s.tag) : s.workloadId === workloadId,
        ),
      ),
    );
  }

  async byTag(tag: string, fromMs: number, toMs: number): Promise<Signal[]> {
    checkWindow(fromMs, toMs);
    this.meterWindow((item) => item.tag === tag, fromMs, toMs);
    return sortSignals(this.window(fromMs, toMs).filter((s) => s.tag === tag));
  }

  /** The items one index query reads: its key, starting within the 31 days before the window. */
  private meterWindow(key: (item: Item) => boolean, fromMs: number, toMs: number): void {
    if (toMs <= fromMs) return;
    const lo = Math.max(0, fromMs - MAX_SIGNAL_WINDOW_MS);
    const read = [...this.store.signals.values()].filter(
      (item) => key(item) && Number(item.startsAt) >= lo && Number(item.startsAt) <= toMs - 1,
    );
    meterQuery(this.store.meter, read, false);
  }

  private window(fromMs: number, toMs: number): Signal[] {
    const now = this.store.clock.now();
    return [...this.store.signals.values()]
      .filter((item) => !isExpired(item.ttl, now))
      .map((item) => read.signal(item))
      .filter((s) => overlaps(s, fromMs, toMs));
  }
}

// ---------------------------------------------------------------------------------------------

class MemoryOperationRepository implements OperationRepository {
  constructor(private readonly store: Store) {}

  async createOrGet(operation: Operation): Promise<Operation> {
    const op = parseOrThrow(Operation, operation, 'operation');
    const item = items.operation(op);
    assertItemSize(item, `operation ${op.operationId}`);
    const existing = this.read(op.operationId);
    meterWrite(this.store.meter, TABLES.operations, { item, written: !existing });
    if (existing) {
      this.meterRead(op.operationId);
      return existing;
    }
    this.store.operations.set(operationKeys.operationPk(op.operationId), copy(item));
    return copy(op);
  }

  async get(operationId: string): Promise<Operation | undefined> {
    this.meterRead(operationId);
    return this.read(operationId);
  }

  private meterRead(operationId: string): void {
    meterGet(this.store.meter, this.store.operations.get(operationKeys.operationPk(operationId)), true);
  }

  /** Synchronous reads: no await between a read and its write, so concurrent calls serialise. */
  private read(operationId: string): Operation | undefined {
    const item = this.store.operations.get(operationKeys.operationPk(operationId));
    return item ? read.operation(item) : undefined;
  }

  private liveLease(workloadId: string): Lease | undefined {
    const item = this.store.operations.get(operationKeys.leasePk(workloadId));
    if (!item) return undefined;
    const lease = read.lease(item);
    return lease.expiresAt <= this.store.clock.now() ? undefined : lease;
  }

  async appendStep(
    operationId: string,
    step: OperationStep,
    verifiedWeights?: TrafficWeights,
  ): Promise<Operation> {
    const s = parseOrThrow(OperationStep, step, `step of operation ${operationId}`);
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
    this.meterRead(operationId);
    const current = this.read(operationId);
    if (!current) throw new NotFoundError(`operation ${operationId} does not exist`);
    const changed = apply(current);
    if (!changed) return current;
    const next = parseOrThrow(
      Operation,
      {
        ...changed,
        version: current.version + 1,
        updatedAt: Math.max(this.store.clock.now(), current.updatedAt),
      },
      `operation ${operationId}`,
    );
    const item = items.operation(next);
    assertItemSize(item, `operation ${operationId}`);
    meterWrite(this.store.meter, TABLES.operations, {
      item,
      old: this.store.operations.get(operationKeys.operationPk(operationId)),
    });
    this.store.operations.set(operationKeys.operationPk(operationId), copy(item));
    return copy(next);
  }

  async listByWorkload(
    workloadId: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<Page<Operation>> {
    return this.list((item) => item.workloadKey === workloadId, options, 'workloadKey');
  }

  async listRecent(options: { limit?: number; cursor?: string } = {}): Promise<Page<Operation>> {
    return this.list(() => true, options, 'listKey');
  }

  /** Newest first by `startedAt` (ties: operation id, descending), as the DynamoDB indexes return. */
  private list(
    accept: (item: Item) => boolean,
    options: { limit?: number; cursor?: string },
    indexKey: 'workloadKey' | 'listKey',
  ): Page<Operation> {
    return pageOf(
      [...this.store.operations.values()].filter((item) => item.listKey !== undefined && accept(item)),
      (a, b) => Number(b.startedAt) - Number(a.startedAt) || compareStrings(String(b.pk), String(a.pk)),
      (item) => ({
        pk: String(item.pk),
        [indexKey]: String(item[indexKey]),
        startedAt: Number(item.startedAt),
      }),
      options,
      read.operation,
      this.store.meter,
    );
  }

  async acquireLease(workloadId: string, holder: string, ttlMs: number): Promise<Lease> {
    checkTtlMs(ttlMs, `lease on ${workloadId}`);
    const now = this.store.clock.now();
    const lease = parseOrThrow(
      Lease,
      { workloadId, holder, acquiredAt: now, expiresAt: now + ttlMs },
      `lease on ${workloadId}`,
    );
    const current = this.liveLease(workloadId);
    const stored = this.store.operations.get(operationKeys.leasePk(workloadId));
    const held = current !== undefined && current.holder !== holder;
    meterWrite(this.store.meter, TABLES.operations, {
      item: items.lease(lease),
      old: stored,
      written: !held,
    });
    if (held) {
      meterGet(this.store.meter, stored, true);
      throw new LeaseHeldError(workloadId, current.holder, current.expiresAt);
    }
    this.store.operations.set(operationKeys.leasePk(workloadId), copy(items.lease(lease)));
    return lease;
  }

  async renewLease(workloadId: string, holder: string, ttlMs: number): Promise<Lease> {
    checkTtlMs(ttlMs, `lease on ${workloadId}`);
    const now = this.store.clock.now();
    const current = this.liveLease(workloadId);
    meterGet(this.store.meter, this.store.operations.get(operationKeys.leasePk(workloadId)), true);
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
    meterWrite(this.store.meter, TABLES.operations, {
      item: items.lease(lease),
      old: this.store.operations.get(operationKeys.leasePk(workloadId)),
    });
    this.store.operations.set(operationKeys.leasePk(workloadId), copy(items.lease(lease)));
    return lease;
  }

  async releaseLease(workloadId: string, holder: string): Promise<void> {
    const key = operationKeys.leasePk(workloadId);
    const stored = this.store.operations.get(key);
    meterDelete(this.store.meter, TABLES.operations, stored?.holder === holder ? stored : undefined);
    if (stored?.holder === holder) this.store.operations.delete(key);
  }

  async getLease(workloadId: string): Promise<Lease | undefined> {
    meterGet(this.store.meter, this.store.operations.get(operationKeys.leasePk(workloadId)), true);
    return this.liveLease(workloadId);
  }
}
