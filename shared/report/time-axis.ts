/**
 * Time-axis ticks a person reads at a glance: on round clock times (every 30 min, 2 h, a day, the
 * first of a month…) in UTC, the zone every trace, log line and report of Shadowscale uses.
 *
 *   timeTicks(t0, t1, maxTicks) -> [{ ms, label }]   ms ascending, all within [t0, t1]
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
export const DAY_MS = 86_400_000;

/** Steps below a month, smallest first. */
const STEPS_MS = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY_MS,
  2 * DAY_MS,
  7 * DAY_MS,
  14 * DAY_MS,
] as const;
const MONTH_STEPS = [1, 2, 3, 6, 12] as const;

/** Weekly ticks fall on Mondays: 1970-01-05 was one (the epoch itself was a Thursday). */
const MONDAY_OFFSET_MS = 4 * DAY_MS;

export interface TimeTick {
  ms: number;
  label: string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const hhmm = (d: Date): string => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
const mmdd = (d: Date): string => `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
const yyyymm = (d: Date): string => `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}`;

/** The UTC minute of `ms`, as YYYY-MM-DD HH:MM. */
export function utcMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** The UTC calendar date of `ms`, as YYYY-MM-DD. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Ticks on round UTC times within [t0, t1], at most `maxTicks` of them: the smallest round step
 * (1 min … 14 days, then 1, 2, 3, 6 or 12 months) that fits. Labels are `HH:MM` below a day (a
 * tick at midnight of a range spanning several days shows the date, `MM-DD`, where the day
 * changes), `MM-DD` for day and week steps, `YYYY-MM` for month steps.
 */
export function timeTicks(t0: number, t1: number, maxTicks = 8): TimeTick[] {
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 < t0) return [];
  const most = Math.max(2, Math.floor(maxTicks));
  const span = t1 - t0;
  const step = STEPS_MS.find((s) => countFixed(t0, t1, s) <= most);
  if (step === undefined) return monthTicks(t0, t1, most);
  const offset = step >= 7 * DAY_MS ? MONDAY_OFFSET_MS : 0;
  const multiDay = utcDate(t0) !== utcDate(t1);
  const out: TimeTick[] = [];
  for (let ms = Math.ceil((t0 - offset) / step) * step + offset; ms <= t1; ms += step) {
    const d = new Date(ms);
    const midnight = ms % DAY_MS === 0;
    const label = step >= DAY_MS || (multiDay && midnight && span > step) ? mmdd(d) : hhmm(d);
    out.push({ ms, label });
  }
  return out;
}

function countFixed(t0: number, t1: number, step: number): number {
  const offset = step >= 7 * DAY_MS ? MONDAY_OFFSET_MS : 0;
  return Math.floor((t1 - offset) / step) - Math.ceil((t0 - offset) / step) + 1;
}

/** Ticks on the first of a month, every 1, 2, 3, 6 or 12 months (or 2, 5, 10… years), Jan-aligned. */
function monthTicks(t0: number, t1: number, most: number): TimeTick[] {
  for (const every of MONTH_STEPS) {
    const ticks = monthsEvery(t0, t1, every);
    if (ticks.length <= most) return ticks;
  }
  return monthsEvery(t0, t1, 12 * roundYears(t0, t1, most));
}

/** 2, 5, 10, 20, 50… years: the first that puts at most `most` ticks in the range. */
function roundYears(t0: number, t1: number, most: number): number {
  for (let scale = 1; ; scale *= 10)
    for (const y of [2, 5, 10].map((m) => m * scale))
      if (monthsEvery(t0, t1, 12 * y).length <= most) return y;
}

function monthsEvery(t0: number, t1: number, every: number): TimeTick[] {
  const start = new Date(t0);
  const out: TimeTick[] = [];
  // Months counted from year 0, so "every 6" falls on January and July of every year.
  let m = Math.ceil((start.getUTCFullYear() * 12 + start.getUTCMonth()) / every) * every;
  for (;;) {
    const ms = Date.UTC(Math.floor(m / 12), m % 12, 1);
    if (ms > t1) return out;
    if (ms >= t0) out.push({ ms, label: yyyymm(new Date(ms)) });
    m += every;
  }
}

/** "2014-07-15" or "2014-07-01 – 2014-09-30": the dates a time axis covers, for its caption. */
export function dateRange(t0: number, t1: number): string {
  const a = utcDate(t0);
  const b = utcDate(t1);
  return a === b ? a : `${a} – ${b}`;
}
