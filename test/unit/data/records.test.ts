import { brotliCompressSync } from 'node:zlib';
import {
  assertItemSize,
  isExpired,
  itemSize,
  items,
  MAX_ITEM_BYTES,
  modelStateItems,
  predictionKeys,
  records,
  resolveOptions,
  ttlSeconds,
  valueSize,
} from '../../../shared/data/records';
import { ItemTooLargeError, ValidationError } from '../../../shared/errors';

describe('item size (as DynamoDB counts it)', () => {
  it.each([
    ['a string: its UTF-8 length', 'abc', 3],
    ['a multi-byte string', 'é€', 5],
    ['a boolean', true, 1],
    ['null', null, 1],
    ['zero', 0, 1],
    ['a 1-digit number', 7, 2],
    ['a 2-digit number (one aligned pair)', 12, 2],
    ['a 4-digit number', 1_234, 3],
    ['a 5-digit number', 12_345, 4],
    ['a misaligned pair', 1.2, 3],
    ['an aligned fraction', 0.12, 2],
    ['a negative number', -5, 3],
    ['trailing zeros do not count', 1_000_000, 2],
    ['a fraction', 0.125, 3],
    ['a list: 3 + 1 per element + elements', [1, 'ab'], 3 + (1 + 2) + (1 + 2)],
    ['a map: 3 + 1 per entry + key names + values', { ab: 'c' }, 3 + 1 + 2 + 1],
  ])('%s', (_what, value, size) => {
    expect(valueSize(value)).toBe(size);
  });

  it('adds attribute names and skips undefined attributes', () => {
    expect(itemSize({ pk: 'abc', n: 12_345, gone: undefined })).toBe(2 + 3 + 1 + 4);
  });

  it('refuses an item over 400 KB naming what and how big', () => {
    const fits = { pk: 'x'.repeat(MAX_ITEM_BYTES - 2) };
    expect(itemSize(fits)).toBe(MAX_ITEM_BYTES);
    expect(() => assertItemSize(fits, 'workload w')).not.toThrow();
    const tooBig = { pk: 'x'.repeat(MAX_ITEM_BYTES - 1) };
    expect(() => assertItemSize(tooBig, 'workload w')).toThrow(ItemTooLargeError);
    expect(() => assertItemSize(tooBig, 'workload w')).toThrow(
      `workload w would be ${MAX_ITEM_BYTES + 1} bytes`,
    );
  });
});

describe('model state items', () => {
  // A state shaped like the engine's: arrays of full-precision floats under repeated keys, fit-only
  // fields (profile, calibration, scales) beside the fields every run changes.
  const wave = (n: number, phase: number) =>
    Array.from({ length: n }, (_, i) => 100 + 40 * Math.sin(i / 9 + phase));
  const engineState = (level: number) => ({
    format: 1,
    model: 'mseas-ets',
    intervalMs: 300_000,
    lastPointMs: 1_700_000_000_000,
    fittedAtMs: 1_699_990_000_000,
    confidence: 'high',
    profile: { bucketMs: 300_000, daily: wave(288, 0), weekly: [] },
    calib: { knots: [1, 2, 4], qs: [0.5, 0.95], offsets: [wave(3, 1), wave(3, 2)], mae1: 1.5, samples1: 200 },
    diffScale: 2.25,
    refitEveryMs: 86_400_000,
    horizonSteps: 12,
    members: [0, 1, 2].map((k) => ({ level: level / 3 + k, recent: wave(48, k) })),
    buffer: wave(24, level),
  });
  const record = {
    workloadId: 'checkout',
    metric: 'requests',
    lastPointMs: 1_700_000_000_000,
    fittedAt: 1_699_990_000_000,
    state: engineState(1),
    learner: {
      arm: 3,
      since: 1_699_000_000_000,
      loss: [[0.5, 1.25]],
      hours: [30],
      evaluatedHours: 30,
      decayedTo: 1_700_000_000_000,
      recent: { startMs: 1_699_999_700_000, intervalMs: 300_000, values: [4, null] },
      pending: [{ madeAt: 1_699_999_700_000, floors: [4, 5] }],
    },
  };
  const opaque = { ...record, state: { models: [1, 2], profile2: wave(10, 0) } };
  delete (opaque as { learner?: unknown }).learner;

  it("stores a state that is not the engine's as one item, the body compressed", () => {
    const { base, run } = modelStateItems(opaque);
    expect(base).toBeUndefined();
    expect(Object.keys(run).sort()).toEqual([
      'fittedAt',
      'lastPointMs',
      'metric',
      'pk',
      'sk',
      'stateBr',
      'workloadId',
    ]);
    expect(run.stateBr).toBeInstanceOf(Uint8Array);
    expect(records.modelState(run)).toEqual(opaque);
  });

  it('writes the fit-only part apart, named by the per-run item, and reads the two back as one', () => {
    const { base, run } = modelStateItems(record);
    expect(base).toBeDefined();
    expect(base?.sk).toBe('state#base#0');
    expect(Object.keys(run).sort()).toEqual([
      'baseHash',
      'baseSlot',
      'fittedAt',
      'lastPointMs',
      'metric',
      'pk',
      'sk',
      'stateBr',
      'workloadId',
    ]);
    expect(run).toMatchObject({ sk: 'state', baseSlot: 0, baseHash: base?.baseHash });
    // Smaller than the one item holding the whole state, by most of the part's size.
    const whole = brotliCompressSync(JSON.stringify({ state: record.state, learner: record.learner }));
    const saved = itemSize({ ...run, stateBr: new Uint8Array(whole) }) - itemSize(run);
    expect(saved).toBeGreaterThan(itemSize(base ?? {}) / 2);
    const back = records.modelState(run, base);
    expect(back).toEqual({ ...record, baseRef: { slot: 0, hash: base?.baseHash } });
    // The same values, field by field, as JSON would give them.
    expect(JSON.parse(JSON.stringify(back.state))).toEqual(JSON.parse(JSON.stringify(record.state)));
  });

  it.each([
    ['an unchanged part is not written again', 1, 'same', undefined],
    ['a changed part goes to the other slot', 1, 'other', 'state#base#0'],
    ['a changed part goes to the other slot (from 0)', 0, 'other', 'state#base#1'],
  ] as const)('%s', (_what, slot, hash, baseSk) => {
    const first = modelStateItems(record);
    const ref = { slot, hash: hash === 'same' ? String(first.base?.baseHash) : '0123456789abcdef' } as const;
    const next = modelStateItems({
      ...record,
      state: engineState(2),
      lastPointMs: record.lastPointMs + 300_000,
      baseRef: ref,
    });
    expect(next.base?.sk).toBe(baseSk);
    expect(next.run.baseSlot).toBe(baseSk === undefined ? slot : 1 - slot);
    expect(next.run.baseHash).toBe(first.base?.baseHash);
  });

  it("gives no engine state (a refit) when the part is missing or is another state's, keeping the rest", () => {
    const { base, run } = modelStateItems(record);
    const other = modelStateItems({ ...record, state: { ...record.state, diffScale: 9 } }).base;
    for (const found of [undefined, other]) {
      const back = records.modelState(run, found);
      expect(back.state).toBeNull();
      expect(back.baseRef).toBeUndefined();
      expect(back.learner).toEqual(record.learner);
    }
    expect(records.modelState(run, base).state).not.toBeNull();
  });

  it('reads an item written before the part was apart: the whole state in the body', () => {
    const { state, learner, ...rest } = record;
    const body = brotliCompressSync(JSON.stringify({ state, learner }));
    const legacy = { pk: 'checkout#requests', sk: 'state', ...rest, stateBr: new Uint8Array(body) };
    expect(records.modelState(legacy)).toEqual(record);
  });

  it('reads an item written before the body was compressed', () => {
    const { state, ...rest } = opaque;
    const legacy = { pk: 'x', sk: 'state', ...rest, stateJson: JSON.stringify(state) };
    expect(records.modelState(legacy)).toEqual(opaque);
  });

  it.each([
    ['a body that is not Brotli', { stateBr: Uint8Array.from([1, 2, 3]) }, 'stateBr'],
    ['legacy text that is not JSON', { stateJson: '{' }, 'stateJson'],
  ])('refuses %s, naming the field', (_what, body, field) => {
    const item = { pk: 'm#checkout#requests', sk: 'state', ...record, state: undefined, ...body };
    expect(() => records.modelState(item)).toThrow(ValidationError);
    expect(() => records.modelState(item)).toThrow(field);
  });

  it('refuses a fit-only part that is not Brotli, naming its item', () => {
    const { base, run } = modelStateItems(record);
    const broken = { ...base, stateBr: Uint8Array.from([1, 2, 3]) };
    expect(() => records.modelState(run, broken)).toThrow('state#base#0');
  });
});

describe('prediction items', () => {
  const values = (seed: number) =>
    Array.from({ length: 12 }, (_, i) => 40 + Math.sin(seed + i) * 7.123456789012345);
  const levels = [0.5, 0.8, 0.9, 0.95, 0.99, 0.999];
  const prediction = (point: number[]) => ({
    workloadId: 'checkout-api',
    metric: 'requests',
    generatedAt: 600_000,
    startMs: 900_000,
    intervalMs: 300_000,
    point,
    quantiles: levels.map((q, j) => ({ q, values: values(j) })),
    model: 'ensemble(ets-damped+mseas-ets)',
    confidence: 'high' as const,
    signals: [],
    planning: { quantile: 0.99, maxHeadroom: 0.2, minQuantile: 0.8 },
  });

  it('packs the paths into one binary attribute under 1 KB and reads them back bit for bit', () => {
    const p = prediction(values(0));
    const item = items.predictionHistory(p, 8 * 86_400_000);
    expect(item.quantiles).toBeUndefined();
    expect(item.point).toBeUndefined();
    expect(item.pathsF64).toBeInstanceOf(Uint8Array);
    expect(itemSize(item)).toBeLessThanOrEqual(1024);
    expect(records.prediction(item)).toEqual(p);
  });

  it('keeps a point path that is not the median', () => {
    const p = prediction(values(9));
    expect(records.prediction(items.predictionHistory(p, 86_400_000))).toEqual(p);
  });

  it('reads an item written before the paths were packed', () => {
    const p = prediction(values(0));
    const old = { pk: 'checkout-api#requests', sk: predictionKeys.historySk(600_000), ttl: 1, ...p };
    expect(records.prediction(old)).toEqual(p);
  });

  it('reports unreadable paths naming the item', () => {
    const item = { ...items.predictionHistory(prediction(values(0)), 1), pathsF64: new Uint8Array(12) };
    expect(() => records.prediction(item)).toThrow(/pathsF64/);
  });
});

describe('time', () => {
  it('rounds TTL seconds up so an item never expires early', () => {
    expect(ttlSeconds(1_000)).toBe(1);
    expect(ttlSeconds(1_001)).toBe(2);
  });

  it.each([
    [undefined, 5_000, false],
    [5, 4_999, false],
    [5, 5_000, true],
    [5, 9_000, true],
  ])('ttl %p at %p ms expired: %p', (ttl, now, expired) => {
    expect(isExpired(ttl, now)).toBe(expired);
  });
});

describe('prediction history keys', () => {
  it('sort as time', () => {
    expect(predictionKeys.historySk(99) < predictionKeys.historySk(100)).toBe(true);
    expect(predictionKeys.historySk(Date.UTC(2100, 0, 1)) < predictionKeys.historyEnd).toBe(true);
  });
});

describe('options', () => {
  it('fills defaults and refuses nonsense naming the field', () => {
    expect(resolveOptions({ predictionHistoryLimit: 3 }).predictionHistoryLimit).toBe(3);
    expect(() => resolveOptions({ predictionHistoryLimit: 0 })).toThrow(ValidationError);
    expect(() => resolveOptions({ predictionHistoryLimit: 0 })).toThrow('predictionHistoryLimit');
  });
});
