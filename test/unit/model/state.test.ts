import { ForecastInputError } from '../../../shared/errors';
import { engine, type ModelState } from '../../../shared/model';
import { FIT_ONLY_FIELDS } from '../../../shared/model/engine';
import { continuation, DAY, MIN5, mae, nth, type SynthOptions, synth } from './synthetic';

const o: SynthOptions = { days: 21, base: 100, daily: 20, weekday: 10, noise: 2, seed: 5 };

describe('incremental state', () => {
  it('serialise -> update -> forecast matches a full fit on the same data within tolerance', () => {
    const series = synth(o);
    const state = engine.fit(series, { model: 'mseas-ets', horizonSteps: 288 });
    const json = JSON.parse(JSON.stringify(state)) as ModelState;
    const next = continuation(o, 36);
    let updated = json;
    for (let i = 0; i < next.values.length; i++)
      updated = engine.update(updated, {
        startMs: next.startMs + i * MIN5,
        intervalMs: MIN5,
        values: [next.values[i] as number],
      });
    const full = engine.fit(
      { ...series, values: [...series.values, ...next.values] },
      { model: 'mseas-ets', horizonSteps: 288 },
    );
    expect(updated.lastPointMs).toBe(full.lastPointMs);
    const q = { horizonSteps: 288, quantiles: [0.1, 0.5, 0.9] };
    const a = engine.forecast(updated, q);
    const b = engine.forecast(full, q);
    expect(a.startMs).toBe(b.startMs);
    // Within a tenth of the daily amplitude on average, and the bands about as wide.
    expect(mae(a.point, b.point)).toBeLessThan(2);
    const width = (r: typeof a) => mae(nth(r.quantiles, 2).values, nth(r.quantiles, 0).values);
    expect(width(a) / width(b)).toBeGreaterThan(0.8);
    expect(width(a) / width(b)).toBeLessThan(1.25);
  });

  it('absorbs a batch the same as the same points one by one, and skips points it already has', () => {
    const state = engine.fit(synth(o), { horizonSteps: 48 });
    const next = continuation(o, 24);
    const batch = engine.update(state, next);
    let single = state;
    for (let i = 0; i < 24; i++)
      single = engine.update(single, {
        startMs: next.startMs + i * MIN5,
        intervalMs: MIN5,
        values: [nth(next.values, i)],
      });
    const again = engine.update(batch, next);
    const q = { horizonSteps: 48, quantiles: [0.5] };
    expect(engine.forecast(single, q).point).toEqual(engine.forecast(batch, q).point);
    expect(engine.forecast(again, q).point).toEqual(engine.forecast(batch, q).point);
    expect(batch.lastPointMs).toBe(next.startMs + 23 * MIN5);
  });

  it.each([
    ['one point', 1],
    ['a batch of a day', 288],
    ['a gap then points', -12],
  ])(
    'leaves the fit-only fields as the fit set them after %s (the store writes them at a fit only)',
    (_what, n) => {
      const state = engine.fit(synth(o), { horizonSteps: 48 });
      const next = continuation(o, Math.abs(n));
      const newer =
        n < 0 ? { ...next, startMs: next.startMs + 6 * MIN5, values: next.values.slice(6) } : next;
      const updated = engine.update(state, newer) as Record<string, unknown>;
      expect(updated.lastPointMs).toBeGreaterThan(state.lastPointMs);
      for (const field of FIT_ONLY_FIELDS)
        expect(updated[field]).toEqual((state as Record<string, unknown>)[field]);
    },
  );

  it('does not mutate the state it is given', () => {
    const state = engine.fit(synth(o), { horizonSteps: 48 });
    const before = JSON.stringify(state);
    engine.update(state, continuation(o, 12));
    expect(JSON.stringify(state)).toBe(before);
  });

  it('treats skipped steps in an update as gaps and still forecasts', () => {
    const state = engine.fit(synth(o), { horizonSteps: 48 });
    const next = continuation(o, 24);
    const later = { startMs: next.startMs + 12 * MIN5, intervalMs: MIN5, values: next.values.slice(12) };
    const updated = engine.update(state, later);
    expect(updated.lastPointMs).toBe(next.startMs + 23 * MIN5);
    expect(
      engine.forecast(updated, { horizonSteps: 48, quantiles: [0.5] }).point.every(Number.isFinite),
    ).toBe(true);
  });

  it.each([
    ['14 days of 5-minute points', 14],
    ['60 days of 5-minute points', 60],
  ])('keeps the JSON state of %s well under 400 KB', (_name, days) => {
    const state = engine.fit(synth({ ...o, days }), { horizonSteps: 288 });
    const bytes = Buffer.byteLength(JSON.stringify(state));
    expect(bytes).toBeLessThan(100_000);
    expect(
      engine.forecast(JSON.parse(JSON.stringify(state)), { horizonSteps: 288, quantiles: [0.5] }).point,
    ).toHaveLength(288);
  });

  it('asks for a refit on schedule and when errors drift', () => {
    const state = engine.fit(synth(o), { horizonSteps: 48 });
    expect(engine.needsRefit(state, state.lastPointMs + 60_000)).toBe(false);
    expect(engine.needsRefit(state, state.fittedAtMs + DAY)).toBe(true);
    // The series jumps to ten times its level: the one-step errors drift far from the calibrated ones.
    const next = continuation(o, 24);
    const jumped = engine.update(state, { ...next, values: next.values.map((v) => v * 10) });
    expect(engine.needsRefit(jumped, jumped.lastPointMs)).toBe(true);
    const calm = engine.update(state, next);
    expect(engine.needsRefit(calm, calm.lastPointMs)).toBe(false);
  });

  it.each([
    ['a state of another format', { format: 99 }, /format 99/],
    ['an incomplete state', { format: 1, model: 'x', members: [] }, /incomplete/],
    [
      'a state whose segments name missing members',
      {
        format: 1,
        model: 'x',
        members: [{ kind: 'snaive', name: 'snaive-daily', period: 2 }],
        calib: {},
        segments: [{ to: 1, idx: [3] }],
      },
      /inconsistent horizon segments/,
    ],
  ])('rejects %s', (_name, bad, message) => {
    const s = bad as unknown as ModelState;
    expect(() => engine.forecast(s, { horizonSteps: 1, quantiles: [0.5] })).toThrow(message);
    expect(() => engine.update(s, synth({ days: 1 }))).toThrow(ForecastInputError);
    expect(() => engine.needsRefit(s, 0)).toThrow(ForecastInputError);
  });

  it('rejects an update at another interval', () => {
    const state = engine.fit(synth(o), { horizonSteps: 48 });
    expect(() =>
      engine.update(state, { startMs: state.lastPointMs + 60_000, intervalMs: 60_000, values: [1] }),
    ).toThrow(/differs from the model's/);
  });
});
