import type { RegularSeries } from '../../../shared/model';
import { mulberry32 } from '../../../shared/sim/random';

export const MIN5 = 300_000;
export const DAY = 86_400_000;
/** A Monday 00:00 UTC, so daily and weekly phases are easy to reason about. */
export const T0 = Date.UTC(2026, 0, 5);

/** Deterministic PRNG (mulberry32) so every synthetic series is the same on every run. */
export const rng = mulberry32;

/** Standard normal draws (Box-Muller). */
export function gaussian(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export interface SynthOptions {
  days: number;
  intervalMs?: number;
  base?: number;
  /** Amplitude of a daily sine. */
  daily?: number;
  /** Extra on weekdays (Mon-Fri) between 09:00 and 17:00 UTC. */
  weekday?: number;
  /** Added per day (linear trend). */
  trendPerDay?: number;
  /** Level step at this day index. */
  stepAtDay?: number;
  stepBy?: number;
  noise?: number;
  seed?: number;
}

/** The noise-free value at time t (what a perfect model would forecast). */
export function truth(o: SynthOptions, t: number): number {
  const d = (t - T0) / DAY;
  const tod = (((t % DAY) + DAY) % DAY) / DAY;
  const dow = (Math.floor(t / DAY) + 3) % 7; // 1970-01-01 was a Thursday: 0 = Monday
  let v = o.base ?? 100;
  v += (o.daily ?? 0) * Math.sin(2 * Math.PI * tod);
  if (o.weekday && dow < 5 && tod >= 9 / 24 && tod < 17 / 24) v += o.weekday;
  v += (o.trendPerDay ?? 0) * d;
  if (o.stepAtDay !== undefined && d >= o.stepAtDay) v += o.stepBy ?? 0;
  return v;
}

export function synth(o: SynthOptions): RegularSeries {
  const intervalMs = o.intervalMs ?? MIN5;
  const n = Math.round((o.days * DAY) / intervalMs);
  const g = gaussian(o.seed ?? 1);
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(truth(o, T0 + i * intervalMs) + (o.noise ?? 0) * g());
  return { startMs: T0, intervalMs, values };
}

/** The next `steps` values after a synthetic series of `days` (same options, same noise stream). */
export function continuation(o: SynthOptions, steps: number): RegularSeries {
  const intervalMs = o.intervalMs ?? MIN5;
  const n = Math.round((o.days * DAY) / intervalMs);
  const longer = synth({ ...o, days: o.days + (steps * intervalMs) / DAY + 1 / 288 });
  return { startMs: T0 + n * intervalMs, intervalMs, values: longer.values.slice(n, n + steps) };
}

export function mae(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s / a.length;
}

/** a[i], failing the test (rather than going on with undefined) when it is missing. */
export function nth<T>(a: readonly T[] | undefined, i: number): T {
  const v = a?.[i];
  if (v === undefined) throw new Error(`no element ${i} (length ${a?.length ?? 'undefined'})`);
  return v;
}

/** Running sum (a random walk from its steps). */
export function cumsum(steps: readonly number[], from = 0): number[] {
  const out: number[] = [];
  let x = from;
  for (const s of steps) {
    x += s;
    out.push(x);
  }
  return out;
}
