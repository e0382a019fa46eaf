import type { Signal } from '../schemas/signal';
import { DAY_MS, HOUR_MS } from './season';

/** Hourly means of the recent past, kept in the model state so uplift can be learned later. */
export interface HourlyHistory {
  /** Start of hour 0 (epoch ms, a multiple of one hour). */
  startMs: number;
  sums: number[];
  counts: number[];
}

/** 35 days: enough to learn from last month's events, small in JSON (~840 x 2 numbers). */
export const HOURLY_KEEP = 35 * 24;

export function emptyHourly(atMs: number): HourlyHistory {
  return { startMs: Math.floor(atMs / HOUR_MS) * HOUR_MS, sums: [], counts: [] };
}

/** Add one observation (mutates h); drops hours older than HOURLY_KEEP. */
export function addHourly(h: HourlyHistory, t: number, v: number): void {
  if (Number.isNaN(v)) return;
  let idx = Math.floor((t - h.startMs) / HOUR_MS);
  if (idx < 0) return;
  while (h.sums.length <= idx) {
    h.sums.push(0);
    h.counts.push(0);
  }
  const drop = h.sums.length - HOURLY_KEEP;
  if (drop > 0) {
    h.sums.splice(0, drop);
    h.counts.splice(0, drop);
    h.startMs += drop * HOUR_MS;
    idx -= drop;
  }
  h.sums[idx] = (h.sums[idx] as number) + v;
  h.counts[idx] = (h.counts[idx] as number) + 1;
}

function hourMean(h: HourlyHistory, hourStart: number): number {
  const idx = Math.round((hourStart - h.startMs) / HOUR_MS);
  const c = h.counts[idx];
  return c === undefined || c === 0 ? Number.NaN : (h.sums[idx] as number) / c;
}

function inAnyWindow(t: number, windows: readonly Signal[]): boolean {
  return windows.some((s) => t >= s.startsAt && t < s.endsAt);
}

/**
 * Uplift observed during one past signal: mean actual over its window against a baseline made of
 * the same hours on the previous 1-7 days that were not themselves inside any signal window (what a
 * seasonal forecast without the signal would have said). NaN when the history does not cover it.
 */
export function observedUplift(h: HourlyHistory, signal: Signal, allPast: readonly Signal[]): number {
  let actual = 0;
  let baseline = 0;
  let hours = 0;
  for (let t = Math.ceil(signal.startsAt / HOUR_MS) * HOUR_MS; t < signal.endsAt; t += HOUR_MS) {
    const a = hourMean(h, t);
    if (Number.isNaN(a)) continue;
    let bs = 0;
    let bn = 0;
    for (let k = 1; k <= 7; k++) {
      const tb = t - k * DAY_MS;
      if (inAnyWindow(tb, allPast)) continue;
      const b = hourMean(h, tb);
      if (!Number.isNaN(b)) {
        bs += b;
        bn++;
      }
    }
    if (bn === 0) continue;
    actual += a;
    baseline += bs / bn;
    hours++;
  }
  if (hours === 0 || !(baseline > 0)) return Number.NaN;
  return actual / baseline - 1;
}

/** Median observed uplift of past signals with this tag, or NaN when none can be measured. */
export function learnedUplift(h: HourlyHistory, tag: string, past: readonly Signal[]): number {
  const ups = past
    .filter((s) => s.tag === tag)
    .map((s) => observedUplift(h, s, past))
    .filter((u) => Number.isFinite(u))
    .sort((a, b) => a - b);
  if (ups.length === 0) return Number.NaN;
  const mid = Math.floor(ups.length / 2);
  const med =
    ups.length % 2 === 1 ? (ups[mid] as number) : ((ups[mid - 1] as number) + (ups[mid] as number)) / 2;
  return Math.max(-0.95, Math.min(100, med));
}

/**
 * Multipliers per forecast step (1 + uplift for every signal whose window covers the step; they
 * compound) and the ids of the signals that changed something.
 */
export function signalMultipliers(
  startMs: number,
  intervalMs: number,
  steps: number,
  signals: readonly Signal[],
  past: readonly Signal[],
  history: HourlyHistory,
): { mult: number[]; applied: string[] } {
  const mult = new Array<number>(steps).fill(1);
  const applied: string[] = [];
  const endMs = startMs + steps * intervalMs;
  for (const s of signals) {
    if (s.endsAt <= startMs || s.startsAt >= endMs) continue;
    const uplift = s.expectedUplift ?? learnedUplift(history, s.tag, past);
    if (!Number.isFinite(uplift) || uplift === 0) continue;
    let touched = false;
    for (let i = 0; i < steps; i++) {
      const t = startMs + i * intervalMs;
      if (t >= s.startsAt && t < s.endsAt) {
        mult[i] = (mult[i] as number) * (1 + uplift);
        touched = true;
      }
    }
    if (touched) applied.push(s.signalId);
  }
  return { mult, applied };
}
