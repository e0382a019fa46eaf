import { createHash } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { z } from 'zod';
import { SeriesAnomaly } from '../anomaly/series';
import { ConflictError, ItemTooLargeError, ValidationError } from '../errors';
import { FIT_ONLY_FIELDS } from '../model/engine';
import { LearnerState } from '../planning/learner';
import type {
  ContentionDecisionRecord,
  ModelStateRecord,
  RegionalDetectorRecord,
} from '../ports/repositories';
import { MetricFingerprint } from '../profile/fingerprint';
import { EpochMs, WorkloadId } from '../schemas/common';
import {
  Lease,
  Operation,
  type OperationStatus,
  type OperationStep,
  type TrafficWeights,
} from '../schemas/operation';
import { Prediction } from '../schemas/series';
import { Signal } from '../schemas/signal';
import { WorkloadRecord } from '../schemas/workload';
import { parseOrThrow } from '../validation';

/**
 * The pure half of the data layer, shared by the DynamoDB repositories (`./repositories.ts`) and
 * the in-memory ones (`shared/sim/memory-repositories.ts`) so both behave the same: the schemas
 * of records that have no schema in `shared/schemas`, the item size rule, TTL arithmetic, the
 * key layout and the options. No AWS SDK import here.
 */

// ---------------------------------------------------------------------------------------------
// Schemas for the port records that are plain interfaces in shared/ports/repositories.ts.

const isJsonValue = (value: unknown): boolean => {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
};

export const ModelStateRecordSchema = z.strictObject({
  workloadId: WorkloadId,
  metric: z.string().min(1),
  lastPointMs: EpochMs,
  fittedAt: EpochMs,
  state: z.unknown().refine(isJsonValue, 'must be JSON-serialisable (no functions, cycles or BigInt)'),
  anomaly: SeriesAnomaly.optional(),
  fingerprint: MetricFingerprint.optional(),
  learner: LearnerState.optional(),
  baseRef: z
    .strictObject({ slot: z.union([z.literal(0), z.literal(1)]), hash: z.string().regex(/^[0-9a-f]{16}$/) })
    .optional(),
});

export const ContentionDecisionRecordSchema = z.strictObject({
  workloadId: WorkloadId,
  contended: z.boolean(),
  score: z.number().finite().nonnegative(),
  since: EpochMs,
  updatedAt: EpochMs,
  shortageAt: EpochMs.optional(),
  recommendedShadowUnits: z.number().int().nonnegative().optional(),
  anomalyScore: z.number().min(0).max(1).optional(),
  anomalousMetrics: z.array(z.string().min(1)).min(1).optional(),
  nextRunAt: EpochMs.optional(),
  expectedHigh: z.record(z.string().min(1), z.number().finite()).optional(),
});

export const RegionalDetectorRecordSchema = z.strictObject({
  workloadId: WorkloadId,
  regions: z.record(
    z.string().min(1),
    z.strictObject({
      status: z.enum(['healthy', 'degraded']),
      streak: z.number().int().nonnegative(),
      since: EpochMs,
      reasons: z.array(z.string()),
      healthIssueOpen: z.boolean(),
    }),
  ),
  updatedAt: EpochMs,
});

// Compile-time check that the schemas and the port interfaces agree both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const modelStateAgrees: Same<z.infer<typeof ModelStateRecordSchema>, ModelStateRecord> = true;
const decisionAgrees: Same<z.infer<typeof ContentionDecisionRecordSchema>, ContentionDecisionRecord> = true;
void modelStateAgrees;
void decisionAgrees;
const regionalAgrees: Same<z.infer<typeof RegionalDetectorRecordSchema>, RegionalDetectorRecord> = true;
void regionalAgrees;

// ---------------------------------------------------------------------------------------------
// Options shared by both implementations.

export interface DataLayerOptions {
  /** Most forecasts `history()` returns per workload/metric (newest first); default 288. */
  predictionHistoryLimit?: number;
  /** A forecast item expires this long after `generatedAt` (TTL); default 8 days. */
  predictionTtlMs?: number;
  /** A signal is kept this long after it ends, for learning uplift per tag; default 180 days. */
  signalRetentionMs?: number;
  /** Attempts of a read-modify-write that lost its conditional write to a concurrent writer; default 8. */
  maxConflictRetries?: number;
}

export type ResolvedDataLayerOptions = Required<DataLayerOptions>;

export const DEFAULT_DATA_LAYER_OPTIONS: ResolvedDataLayerOptions = {
  predictionHistoryLimit: 288,
  predictionTtlMs: 8 * 86_400_000,
  signalRetentionMs: 180 * 86_400_000,
  maxConflictRetries: 8,
};

const OptionsSchema = z.strictObject({
  predictionHistoryLimit: z.number().int().min(1).max(10_000),
  predictionTtlMs: z.number().int().positive(),
  signalRetentionMs: z.number().int().nonnegative(),
  maxConflictRetries: z.number().int().min(1).max(100),
});

export function resolveOptions(options: DataLayerOptions = {}): ResolvedDataLayerOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return parseOrThrow(OptionsSchema, { ...DEFAULT_DATA_LAYER_OPTIONS, ...defined }, 'data layer options');
}

// ---------------------------------------------------------------------------------------------
// Keys. Workload ids and operation/signal ids cannot contain '#', so '#' separates safely.

export const WORKLOAD_LIST_KEY = 'workload';
export const OPERATION_LIST_KEY = 'operation';

export const predictionKeys = {
  /** Partition of one workload metric: model state and forecast (history) items. */
  metricPk: (workloadId: string, metric: string) => `${workloadId}#${metric}`,
  /** Partition of workload-wide items (the contention decision). */
  workloadPk: (workloadId: string) => workloadId,
  stateSk: 'state',
  /** The two slots of a series' fit-only state part (see `modelStateItems`). */
  stateBaseSk: (slot: 0 | 1) => `state#base#${slot}`,
  decisionSk: 'decision',
  regionalSk: 'regional',
  historyPrefix: 'h#',
  /** Sorts as a string in time order: zero-padded to 15 digits (good until year 33658). */
  historySk: (generatedAt: number) => `h#${String(generatedAt).padStart(15, '0')}`,
  /** Upper bound of every history key. */
  historyEnd: 'h#~',
} as const;

export const operationKeys = {
  operationPk: (operationId: string) => `op#${operationId}`,
  leasePk: (workloadId: string) => `lease#${workloadId}`,
} as const;

// ---------------------------------------------------------------------------------------------
// Time.

/** DynamoDB TTL is epoch SECONDS; round up so an item never expires before its time. */
export const ttlSeconds = (epochMs: number): number => Math.ceil(epochMs / 1000);

/** TTL deletion is lazy (up to days late): an item is gone for us once its TTL has passed. */
export function isExpired(ttl: unknown, nowMs: number): boolean {
  return typeof ttl === 'number' && ttl * 1000 <= nowMs;
}

/** Longest signal window the Signal schema allows: lets a window query bound `startsAt`. */
export const MAX_SIGNAL_WINDOW_MS = 31 * 86_400_000;

/** [startsAt, endsAt) overlaps [fromMs, toMs). */
export const overlaps = (s: { startsAt: number; endsAt: number }, fromMs: number, toMs: number): boolean =>
  s.startsAt < toMs && s.endsAt > fromMs;

export function checkWindow(fromMs: number, toMs: number): void {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs)
    throw new ValidationError(`signal window: toMs ${toMs} must be a time >= fromMs ${fromMs}`, [
      { path: 'toMs', message: 'must be >= fromMs', received: toMs },
    ]);
}

export function checkTtlMs(ttlMs: number, what: string): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)
    throw new ValidationError(`${what}: ttlMs ${ttlMs} must be a positive integer of milliseconds`, [
      { path: 'ttlMs', message: 'must be a positive integer', received: ttlMs },
    ]);
}

export function checkLimit(limit: number | undefined, max: number): number {
  if (limit === undefined) return max;
  if (!Number.isSafeInteger(limit) || limit <= 0)
    throw new ValidationError(`limit ${limit} must be a positive integer`, [
      { path: 'limit', message: 'must be a positive integer', received: limit },
    ]);
  return Math.min(limit, max);
}

// ---------------------------------------------------------------------------------------------
// Item size, counted the way DynamoDB counts it:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
// attribute names (UTF-8) + values; a string its UTF-8 length; a number about one byte per two
// significant digits plus one (exactly: see numberSize); a boolean or null one byte; a list or
// map 3 bytes plus one byte per element plus its elements (a map's keys count as names). This
// matches byte for byte the size dynalite computes to enforce the limit (an integration test
// writes an item of exactly 400 KB and one byte more); for non-ASCII text it is conservative.

export const MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * DynamoDB stores a number as base-100 digit pairs aligned on the decimal point, plus one byte
 * (and one more when negative): 1 + ceil(digits / 2), plus 1 when an even digit count is
 * misaligned. This is the rule dynalite applies when it enforces the limit; the marshaller writes
 * `String(n)`, whose significant digits are those of `toExponential()`.
 */
function numberSize(n: number): number {
  if (n === 0) return 1;
  // Counted on the characters of `toExponential()` ("d.ddde±x"): it runs for every number of every
  // item the meter sizes, so no splitting, replacing or regular expressions.
  const text = (n < 0 ? -n : n).toExponential();
  const e = text.indexOf('e');
  let last = e - 1;
  while (last > 0 && text.charCodeAt(last) === 48) last--; // trailing zeros of the mantissa
  if (text.charCodeAt(last) === 46) last--; // a bare decimal point
  const digits = last >= 2 ? last : last + 1; // the point sits at index 1 when there are decimals
  const exponent = Number(text.slice(e + 1));
  return 1 + Math.ceil(digits / 2) + (digits % 2 !== 0 || exponent % 2 !== 0 ? 0 : 1) + (n < 0 ? 1 : 0);
}

export function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return numberSize(value);
  if (Array.isArray(value)) {
    let size = 3;
    for (const element of value) size += 1 + valueSize(element);
    return size;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'object') {
    let size = 3;
    for (const [key, element] of Object.entries(value as Record<string, unknown>)) {
      if (element === undefined) continue;
      size += 1 + utf8(key) + valueSize(element);
    }
    return size;
  }
  return utf8(String(value));
}

export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += utf8(name) + valueSize(value);
  }
  return size;
}

/** ItemTooLargeError when `item` would exceed DynamoDB's 400 KB, naming what and how big. */
export function assertItemSize(item: Record<string, unknown>, what: string): void {
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES)
    throw new ItemTooLargeError(
      `${what} would be ${size} bytes, over DynamoDB's item limit of ${MAX_ITEM_BYTES} bytes (400 KB)`,
    );
}

// ---------------------------------------------------------------------------------------------
// Item <-> record: an item is the record's fields at top level plus key/meta attributes, so it
// reads well in the console and conditions can name `version`. Reads drop the meta attributes and
// parse the rest with the record's strict schema.

export function stripMeta(item: Record<string, unknown>, meta: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!meta.includes(key)) record[key] = value;
  return record;
}

export const META = {
  workload: ['pk', 'listKey'],
  prediction: ['pk', 'sk', 'ttl', 'historyKeys', 'latestVersion', 'pathsF64'],
  modelState: ['pk', 'sk', 'stateJson', 'stateBr', 'baseSlot', 'baseHash'],
  decision: ['pk', 'sk'],
  regional: ['pk', 'sk'],
  signal: ['pk', 'workloadKey', 'ttl'],
  operation: ['pk', 'workloadKey', 'listKey'],
  lease: ['pk', 'ttl'],
} as const;

/** A stored item that no longer parses is a bug or a hand edit: say which item. */
export function parseStored<S extends z.ZodType>(schema: S, record: unknown, what: string): z.infer<S> {
  return parseOrThrow(schema, record, `stored ${what}`);
}

/** Throw a ConflictError after `attempts` lost conditional writes on one item. */
export function tooManyConflicts(what: string, attempts: number, cause?: unknown): ConflictError {
  return new ConflictError(`${what}: still conflicting after ${attempts} attempts`, { cause });
}

// ---------------------------------------------------------------------------------------------
// Item builders: the exact items the DynamoDB repositories write. The in-memory repositories
// measure the same items, so both refuse the same records as too large.

type Item = Record<string, unknown>;

/**
 * The model state item's body: what only the forecaster reads (the engine's state, the anomaly
 * detector, the fingerprint, the learner) as Brotli-compressed JSON in one binary attribute.
 * DynamoDB bills writes per started KB of the item: this JSON (floats in full precision, repeated
 * keys) compresses about threefold, and the state is rewritten by every forecast of the series.
 * Keys and the attributes the conditional write and readers look at stay plain.
 */
const MODEL_STATE_BODY = 'stateBr';
/** Brotli quality 5: within a few per cent of the best ratio on these items, at a tenth of the CPU. */
const BROTLI_QUALITY = 5;

function compressJson(json: string): Uint8Array {
  const packed = brotliCompressSync(json, {
    params: {
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.BROTLI_PARAM_SIZE_HINT]: json.length,
    },
  });
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

function decompressObject(body: Uint8Array): Record<string, unknown> {
  const parsed: unknown = JSON.parse(brotliDecompressSync(body).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('the body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * The engine state's fit-only fields (`FIT_ONLY_FIELDS`), in that order so equal parts hash
 * equal, and the rest; no part when the state has none of them (not an engine state).
 */
function splitState(state: unknown): { run: unknown; base?: Record<string, unknown> } {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return { run: state };
  const run: Record<string, unknown> = { ...(state as Record<string, unknown>) };
  const base: Record<string, unknown> = {};
  for (const field of FIT_ONLY_FIELDS) {
    if (!(field in run)) continue;
    base[field] = run[field];
    delete run[field];
  }
  return Object.keys(base).length > 0 ? { run, base } : { run: state };
}

/** The items of one model state write: the fit-only part first when it must be written. */
export interface ModelStateItems {
  /** The fit-only part, in the slot the series' stored state does not name; absent: unchanged. */
  base?: Item;
  /** The per-run item (`state`): keys, guard attributes, the rest of the state, the part it goes with. */
  run: Item;
}

/**
 * A model state as its items. An engine state's fit-only fields (a third of the compressed body,
 * changed by a refit only) are an item of their own, `state#base#<slot>`, named with their content
 * hash by the per-run item, which every run rewrites. A changed part goes to the slot the stored
 * state does not name (`baseRef`), so the part that state goes with stays readable until the new
 * per-run item replaces it: a crash between the two writes leaves the old state whole, and a
 * rerun writes both again. DynamoDB here has no transactions; a reader that finds another hash in
 * the slot (two writers crossed) gets no engine state and refits.
 */
export function modelStateItems(s: ModelStateRecord): ModelStateItems {
  const { state, anomaly, fingerprint, learner, baseRef, ...rest } = s;
  const key = { pk: predictionKeys.metricPk(s.workloadId, s.metric), sk: predictionKeys.stateSk };
  const split = splitState(state);
  const body = (st: unknown): Uint8Array =>
    compressJson(JSON.stringify({ state: st, anomaly, fingerprint, learner }));
  if (!split.base) return { run: { ...key, ...rest, [MODEL_STATE_BODY]: body(state) } };
  const baseJson = JSON.stringify(split.base);
  const hash = createHash('sha256').update(baseJson).digest('hex').slice(0, 16);
  const unchanged = baseRef?.hash === hash;
  const slot: 0 | 1 = baseRef ? (unchanged ? baseRef.slot : baseRef.slot === 0 ? 1 : 0) : 0;
  const run = { ...key, ...rest, baseSlot: slot, baseHash: hash, [MODEL_STATE_BODY]: body(split.run) };
  if (unchanged) return { run };
  const base = {
    pk: key.pk,
    sk: predictionKeys.stateBaseSk(slot),
    // The same guard as the per-run item's: a slow writer does not replace a newer state's part.
    lastPointMs: s.lastPointMs,
    baseHash: hash,
    [MODEL_STATE_BODY]: compressJson(baseJson),
  };
  return { base, run };
}

/** The key of the fit-only part a per-run item goes with (none for items without one). */
export function modelStateBaseKey(item: Item): { pk: string; sk: string } | undefined {
  const slot = item.baseSlot;
  if (slot !== 0 && slot !== 1) return undefined;
  return { pk: String(item.pk), sk: predictionKeys.stateBaseSk(slot) };
}

/**
 * A stored model state item as an unvalidated record: the compressed body unpacked with the
 * fit-only part it names (`baseItem`, read apart), or an item written before the part was apart
 * (the whole state in the body), or before the body was compressed (`stateJson` text beside plain
 * attributes), read as it was. A missing part, or a part with another hash, gives `state: null`,
 * which the forecaster refits (anomaly detector and learner kept). ValidationError naming the item
 * when the body cannot be read.
 */
export function unpackModelState(item: Item, what: string, baseItem?: Item): Record<string, unknown> {
  const record = stripMeta(item, META.modelState);
  const body = item[MODEL_STATE_BODY];
  let field = body instanceof Uint8Array ? MODEL_STATE_BODY : 'stateJson';
  try {
    if (!(body instanceof Uint8Array)) return { ...record, state: JSON.parse(String(item.stateJson)) };
    const parsed = decompressObject(body);
    const slot = item.baseSlot;
    if (slot !== 0 && slot !== 1) return { ...record, ...parsed };
    const hash = String(item.baseHash);
    if (baseItem?.baseHash !== hash || !(baseItem[MODEL_STATE_BODY] instanceof Uint8Array))
      return { ...record, ...parsed, state: null };
    field = `${MODEL_STATE_BODY}\` of \`${String(baseItem.sk)}`;
    const base = decompressObject(baseItem[MODEL_STATE_BODY]);
    return { ...record, ...parsed, state: { ...(parsed.state as object), ...base }, baseRef: { slot, hash } };
  } catch (error) {
    throw new ValidationError(`stored ${what}: field \`${field}\` is not readable JSON`, [], {
      cause: error,
    });
  }
}

/**
 * The learned profile (fingerprints, accuracy, correlations) is its own item of the workloads
 * table, `<workloadId>#profile` (a workload id cannot hold `#`), without `listKey`: the forecaster
 * rewrites it on every run, and inside the workload item each rewrite also rewrote the definition's
 * bytes and the item's entry in the `byList` index (projection ALL) — two writes of the whole
 * item. Items written before kept the profile inside the workload item; they are still read so.
 */
export const workloadProfileKey = (workloadId: string): { pk: string } => ({ pk: `${workloadId}#profile` });

/**
 * A forecast's paths — every quantile's values, and the point forecast unless it is the median's
 * path (as the forecaster writes it) — as one binary attribute of little-endian float64s:
 * `[k, n, pointIsMedian, q_1..q_k, point (n, when not the median), values of q_1 (n) .. q_k (n)]`.
 * DynamoDB stores a number as about one byte per two significant digits (~10 bytes for these
 * full-precision floats) inside list and map overhead; eight bytes each brings a 12-step forecast
 * with six quantiles under 1 KB, one write unit instead of two, and reads back bit for bit.
 * Items written before hold `point` and `quantiles` as plain attributes and are read as they are.
 */
const PREDICTION_PATHS = 'pathsF64';

function packPaths(point: readonly number[], quantiles: Prediction['quantiles']): Uint8Array {
  const n = point.length;
  const median = quantiles.find((q) => q.q === 0.5)?.values;
  const pointIsMedian =
    median !== undefined && median.length === n && median.every((v, i) => Object.is(v, point[i]));
  const k = quantiles.length;
  const out = new Float64Array(3 + k + (pointIsMedian ? 0 : n) + k * n);
  out[0] = k;
  out[1] = n;
  out[2] = pointIsMedian ? 1 : 0;
  let at = 3;
  for (const q of quantiles) out[at++] = q.q;
  if (!pointIsMedian) for (const v of point) out[at++] = v;
  for (const q of quantiles) {
    if (q.values.length !== n)
      throw new ValidationError(
        `prediction: quantile ${q.q} has ${q.values.length} values, point has ${n}`,
        [],
      );
    for (const v of q.values) out[at++] = v;
  }
  return new Uint8Array(littleEndian(out.buffer));
}

/** Float64Array bytes are in the platform's order; the stored order is little-endian. */
function littleEndian(buffer: ArrayBuffer): ArrayBuffer {
  if (new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f) return buffer;
  const view = new DataView(buffer);
  const out = new ArrayBuffer(buffer.byteLength);
  const le = new DataView(out);
  for (let i = 0; i < buffer.byteLength; i += 8) le.setFloat64(i, view.getFloat64(i, false), true);
  return out;
}

function unpackPaths(bytes: Uint8Array): Pick<Prediction, 'point' | 'quantiles'> {
  if (bytes.byteLength % 8 !== 0)
    throw new Error(`${bytes.byteLength} bytes is not a whole number of float64s`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = (i: number) => view.getFloat64(i * 8, true);
  const k = f(0);
  const n = f(1);
  const pointIsMedian = f(2) === 1;
  if (
    !Number.isInteger(k) ||
    !Number.isInteger(n) ||
    bytes.byteLength / 8 !== 3 + k + (pointIsMedian ? 0 : n) + k * n
  )
    throw new Error('the paths do not match their header');
  const levels = Array.from({ length: k }, (_, i) => f(3 + i));
  let at = 3 + k;
  let point: number[] = [];
  if (!pointIsMedian) {
    point = Array.from({ length: n }, (_, i) => f(at + i));
    at += n;
  }
  const quantiles = levels.map((q, j) => ({
    q,
    values: Array.from({ length: n }, (_, i) => f(at + j * n + i)),
  }));
  if (pointIsMedian) point = [...(quantiles.find((q) => q.q === 0.5)?.values ?? [])];
  return { point, quantiles };
}

/**
 * A stored prediction item as an unvalidated record: the binary paths unpacked, or an item
 * written before them read as it was. ValidationError naming the item when they cannot be read.
 */
export function unpackPrediction(item: Item, what: string): Record<string, unknown> {
  const record = stripMeta(item, META.prediction);
  const paths = item[PREDICTION_PATHS];
  if (!(paths instanceof Uint8Array)) return record;
  try {
    return { ...record, ...unpackPaths(paths) };
  } catch (error) {
    throw new ValidationError(`stored ${what}: field \`${PREDICTION_PATHS}\` is not readable`, [], {
      cause: error,
    });
  }
}

export const items = {
  /** The definition and its version; the profile lives in `items.workloadProfile`. */
  workload: (record: WorkloadRecord): Item => ({
    pk: record.workload.workloadId,
    listKey: WORKLOAD_LIST_KEY,
    workload: record.workload,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  }),
  workloadProfile: (workloadId: string, profile: WorkloadRecord['profile']): Item => ({
    ...workloadProfileKey(workloadId),
    profile,
  }),
  predictionHistory: (p: Prediction, ttlMs: number): Item => {
    const { point, quantiles, ...rest } = p;
    return {
      pk: predictionKeys.metricPk(p.workloadId, p.metric),
      sk: predictionKeys.historySk(p.generatedAt),
      ttl: ttlSeconds(p.generatedAt + ttlMs),
      ...rest,
      [PREDICTION_PATHS]: packPaths(point, quantiles),
    };
  },
  decision: (d: ContentionDecisionRecord): Item => ({
    pk: predictionKeys.workloadPk(d.workloadId),
    sk: predictionKeys.decisionSk,
    ...d,
  }),
  regional: (r: RegionalDetectorRecord): Item => ({
    pk: predictionKeys.workloadPk(r.workloadId),
    sk: predictionKeys.regionalSk,
    ...r,
  }),
  signal: (s: Signal, retentionMs: number): Item => ({
    pk: s.signalId,
    ...(s.workloadId ? { workloadKey: s.workloadId } : {}),
    ttl: ttlSeconds(s.endsAt + retentionMs),
    ...s,
  }),
  operation: (op: Operation): Item => ({
    pk: operationKeys.operationPk(op.operationId),
    workloadKey: op.workloadId,
    listKey: OPERATION_LIST_KEY,
    ...op,
  }),
  lease: (lease: Lease): Item => ({
    pk: operationKeys.leasePk(lease.workloadId),
    ttl: ttlSeconds(lease.expiresAt),
    ...lease,
  }),
} as const;

/**
 * Item -> record: drop the key/meta attributes and parse with the record's strict schema, so a
 * hand-edited or corrupt item is reported (ValidationError naming the item) instead of leaking.
 */
export const records = {
  /** The workload item with its profile item (absent: the profile an older item holds, or none). */
  workload: (item: Item, profileItem?: Item): WorkloadRecord =>
    parseStored(
      WorkloadRecord,
      { ...stripMeta(item, META.workload), ...(profileItem ? { profile: profileItem.profile } : {}) },
      `workload ${String(item.pk)}`,
    ),
  prediction: (item: Item): Prediction => {
    const what = `prediction ${String(item.pk)} ${String(item.sk)}`;
    return parseStored(Prediction, unpackPrediction(item, what), what);
  },
  /** The per-run item with the fit-only part it names, when it names one (`modelStateBaseKey`). */
  modelState: (item: Item, baseItem?: Item): ModelStateRecord => {
    const what = `model state ${String(item.pk)}`;
    return parseStored(ModelStateRecordSchema, unpackModelState(item, what, baseItem), what);
  },
  decision: (item: Item): ContentionDecisionRecord =>
    parseStored(
      ContentionDecisionRecordSchema,
      stripMeta(item, META.decision),
      `contention decision ${String(item.pk)}`,
    ),
  regional: (item: Item): RegionalDetectorRecord =>
    parseStored(
      RegionalDetectorRecordSchema,
      stripMeta(item, META.regional),
      `regional detector state ${String(item.pk)}`,
    ),
  signal: (item: Item): Signal =>
    parseStored(Signal, stripMeta(item, META.signal), `signal ${String(item.pk)}`),
  operation: (item: Item): Operation =>
    parseStored(Operation, stripMeta(item, META.operation), `operation ${String(item.pk)}`),
  lease: (item: Item): Lease => parseStored(Lease, stripMeta(item, META.lease), `lease ${String(item.pk)}`),
} as const;

// ---------------------------------------------------------------------------------------------
// Rules both implementations apply in the same way.

/** Steps compare by content (key order ignored): a retried task appends nothing new. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}

/** Signals by start time, then id: the order both implementations return. */
export function sortSignals(signals: Signal[]): Signal[] {
  return signals.sort((a, b) => a.startsAt - b.startsAt || (a.signalId < b.signalId ? -1 : 1));
}

export function dedupeSignals(signals: readonly Signal[]): Signal[] {
  return [...new Map(signals.map((s) => [s.signalId, s])).values()];
}

/** The operation after appending `step`; undefined when nothing changes (the step is there). */
export function withStep(
  op: Operation,
  step: OperationStep,
  verifiedWeights: TrafficWeights | undefined,
): Operation | undefined {
  if (op.steps.some((existing) => sameJson(existing, step))) return undefined;
  if (op.status !== 'running')
    throw new ConflictError(`operation ${op.operationId} is already ${op.status}: no more steps`);
  return {
    ...op,
    steps: [...op.steps, step],
    ...(verifiedWeights ? { lastVerifiedWeights: verifiedWeights } : {}),
  };
}

/** The operation after finishing; undefined when it already finished that way. */
export function withFinish(
  op: Operation,
  status: Exclude<OperationStatus, 'running'>,
  error: { name: string; message: string } | undefined,
): Operation | undefined {
  if (op.status === status) return undefined;
  if (op.status !== 'running')
    throw new ConflictError(`operation ${op.operationId} already finished as ${op.status}, not ${status}`);
  return { ...op, status, ...(error ? { error: { name: error.name, message: error.message } } : {}) };
}

export function checkVersion(expectedVersion: number): void {
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1)
    throw new ValidationError(`expectedVersion ${expectedVersion} must be a positive integer`, [
      { path: 'expectedVersion', message: 'must be a positive integer', received: expectedVersion },
    ]);
}
