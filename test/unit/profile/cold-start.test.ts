import {
  coldStartChoice,
  type FingerprintCandidate,
  fitModelOf,
  isMature,
} from '../../../shared/profile/cold-start';
import { type MetricFingerprint, updateFingerprint } from '../../../shared/profile/fingerprint';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STEP = 5 * 60_000;
const T0 = Date.UTC(2026, 0, 4);
const series = (fromDay: number, days: number, f: (t: number) => number) =>
  Array.from({ length: (days * DAY) / STEP }, (_, i) => {
    const t = T0 + fromDay * DAY + i * STEP;
    return { t, v: f(t) };
  });
const fp = (points: { t: number; v: number }[]) => updateFingerprint(undefined, points) as MetricFingerprint;

/** Demand shapes: a daytime peak, a night-time peak, flat. */
const dayPeak = (scale: number) => (t: number) =>
  scale * (100 + 60 * Math.sin((2 * Math.PI * (t % DAY)) / DAY - Math.PI / 2));
const nightPeak = (scale: number) => (t: number) =>
  scale * (100 - 60 * Math.sin((2 * Math.PI * (t % DAY)) / DAY - Math.PI / 2));
const flat = (scale: number) => (t: number) => scale * (100 + ((t / STEP) % 7) - 3);

describe('cold start: the nearest known fingerprint chooses the model', () => {
  const known: FingerprintCandidate[] = [
    {
      workloadId: 'batch',
      metric: 'requests',
      fingerprint: fp(series(0, 14, nightPeak(3))),
      model: 'snaive-daily',
    },
    {
      workloadId: 'web',
      metric: 'requests',
      fingerprint: fp(series(0, 14, dayPeak(5))),
      model: 'horizon(1-6:ets-damped|7+:mseas-ets)',
    },
    {
      workloadId: 'queue',
      metric: 'depth',
      fingerprint: fp(series(0, 14, flat(0.2))),
      model: 'ensemble(naive+ets-damped)',
    },
  ];

  it.each([
    {
      name: 'a day-peaking newcomer (one day, other size)',
      shape: dayPeak(0.1),
      from: 'web',
      fitModel: 'mseas-ets',
    },
    { name: 'a night-peaking newcomer', shape: nightPeak(20), from: 'batch', fitModel: 'snaive-daily' },
    { name: 'a flat newcomer', shape: flat(50), from: 'queue', fitModel: 'ensemble' },
  ])('$name starts from $from', ({ shape, from, fitModel }) => {
    const target = fp(series(20, 1, shape));
    const choice = coldStartChoice(target, { workloadId: 'new' }, known);
    expect(choice?.from.workloadId).toBe(from);
    expect(choice?.fitModel).toBe(fitModel);
  });

  it('never picks the workload itself, an immature fingerprint, or a model it cannot reproduce', () => {
    const target = fp(series(20, 1, dayPeak(1)));
    const young = {
      workloadId: 'young',
      metric: 'r',
      fingerprint: fp(series(0, 2, dayPeak(1))),
      model: 'snaive-daily',
    };
    const odd = {
      workloadId: 'odd',
      metric: 'r',
      fingerprint: fp(series(0, 14, dayPeak(1))),
      model: 'prophet',
    };
    expect(isMature(young.fingerprint)).toBe(false);
    expect(
      coldStartChoice(target, { workloadId: 'web' }, [known[1] as FingerprintCandidate]),
    ).toBeUndefined();
    expect(coldStartChoice(target, { workloadId: 'new' }, [young, odd])).toBeUndefined();
    expect(coldStartChoice(target, { workloadId: 'new' }, [])).toBeUndefined();
  });

  it.each([
    ['ets-damped', 'ets-damped'],
    ['ensemble(snaive-daily+mseas-ets)', 'ensemble'],
    ['horizon(1-12:naive|13+:ensemble(a+b))', 'ensemble'],
    ['horizon(1-12:naive|13+:snaive-weekly)', 'snaive-weekly'],
    ['last-value', undefined],
  ])('model %s fits again as %s', (model, want) => {
    expect(fitModelOf(model)).toBe(want);
  });
});
