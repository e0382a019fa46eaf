import { engine } from '../../../shared/model';
import { Signal } from '../../../shared/schemas/signal';
import { DAY, MIN5, nth, type SynthOptions, synth } from './synthetic';

const HOUR = 3_600_000;
const o: SynthOptions = { days: 21, base: 100, daily: 20, noise: 1, seed: 12 };

function signal(id: string, tag: string, startsAt: number, hours: number, uplift?: number): Signal {
  return Signal.parse({
    signalId: id,
    tag,
    startsAt,
    endsAt: startsAt + hours * HOUR,
    expectedUplift: uplift,
  });
}

describe('signals', () => {
  const base = synth(o);
  const end = base.startMs + base.values.length * MIN5;

  it('applies an expected uplift multiplicatively over its window only', () => {
    const state = engine.fit(base, { horizonSteps: 288 });
    const q = { horizonSteps: 288, quantiles: [0.1, 0.5, 0.9] };
    const plain = engine.forecast(state, q);
    const s = signal('campaign-1', 'campaign', end + 2 * HOUR, 3, 0.5);
    const lifted = engine.forecast(state, { ...q, signals: [s] });
    expect(lifted.appliedSignals).toEqual(['campaign-1']);
    for (let h = 0; h < 288; h++) {
      const t = end + h * MIN5;
      const inside = t >= s.startsAt && t < s.endsAt;
      expect(lifted.point[h]).toBeCloseTo(nth(plain.point, h) * (inside ? 1.5 : 1), 9);
      expect(nth(lifted.quantiles, 2).values[h]).toBeCloseTo(
        nth(nth(plain.quantiles, 2).values, h) * (inside ? 1.5 : 1),
        9,
      );
    }
  });

  it('ignores a signal outside the horizon', () => {
    const state = engine.fit(base, { horizonSteps: 12 });
    const fc = engine.forecast(state, {
      horizonSteps: 12,
      quantiles: [0.5],
      signals: [signal('late', 'deploy', end + 5 * DAY, 1, 2)],
    });
    expect(fc.appliedSignals).toEqual([]);
  });

  it('learns the uplift of a tag from past events (actual vs the forecast without them)', () => {
    // Two past matches, each lifting demand by 40% for three hours.
    const past = [
      signal('m1', 'match', end - 6 * DAY + 14 * HOUR, 3),
      signal('m2', 'match', end - 3 * DAY + 14 * HOUR, 3),
    ];
    const values = base.values.map((v, i) => {
      const t = base.startMs + i * MIN5;
      return past.some((s) => t >= s.startsAt && t < s.endsAt) ? v * 1.4 : v;
    });
    const state = engine.fit({ ...base, values }, { horizonSteps: 288 });
    const next = signal('m3', 'match', end + 14 * HOUR, 3);
    const q = { horizonSteps: 288, quantiles: [0.5] };
    const plain = engine.forecast(state, q);
    const lifted = engine.forecast(state, { ...q, signals: [next], pastSignals: past });
    expect(lifted.appliedSignals).toEqual(['m3']);
    const h = (14 * HOUR + HOUR) / MIN5;
    expect(nth(lifted.point, h) / nth(plain.point, h)).toBeGreaterThan(1.3);
    expect(nth(lifted.point, h) / nth(plain.point, h)).toBeLessThan(1.5);
  });

  it('leaves the forecast alone when a tag has no uplift and no history', () => {
    const state = engine.fit(base, { horizonSteps: 288 });
    const q = { horizonSteps: 288, quantiles: [0.5] };
    const fc = engine.forecast(state, { ...q, signals: [signal('new', 'never-seen', end + HOUR, 2)] });
    expect(fc.appliedSignals).toEqual([]);
    expect(fc.point).toEqual(engine.forecast(state, q).point);
  });

  it('survives serialisation: uplift is still learned from the stored hourly history', () => {
    const past = [signal('d1', 'deploy', end - 2 * DAY + 10 * HOUR, 2)];
    const values = base.values.map((v, i) => {
      const t = base.startMs + i * MIN5;
      return t >= nth(past, 0).startsAt && t < nth(past, 0).endsAt ? v * 0.5 : v;
    });
    const state = JSON.parse(JSON.stringify(engine.fit({ ...base, values }, { horizonSteps: 288 })));
    const fc = engine.forecast(state, {
      horizonSteps: 288,
      quantiles: [0.5],
      signals: [signal('d2', 'deploy', end + 10 * HOUR, 2)],
      pastSignals: past,
    });
    expect(fc.appliedSignals).toEqual(['d2']);
  });
});
