import { EVENT_SOURCE } from '../schemas/events';
import type {
  ContentFilter,
  DAYS,
  EventPattern,
  LifecycleConditions,
  LifecycleRule,
  LifecycleWhen,
} from '../schemas/lifecycle';

/**
 * Pure rule matching: does an event trigger a rule, and does the workload's state satisfy the
 * rule's conditions. The same functions decide in the deployed `lifecycle` state machine (which
 * re-checks what EventBridge delivered, so a run started by hand is held to the rule too) and in
 * the local run (which has no EventBridge).
 */

/** The EventBridge envelope as rules see it. */
export interface TriggerEvent {
  id: string;
  source: string;
  'detail-type': string;
  /** ISO time of the event. */
  time: string;
  detail: Record<string, unknown>;
  account?: string;
  region?: string;
  resources?: string[];
}

/** EventBridge's own source and detail type for scheduled rules. */
export const SCHEDULE_SOURCE = 'aws.events';
export const SCHEDULE_DETAIL_TYPE = 'Scheduled Event';

/** The EventBridge pattern that selects a rule's trigger for one workload (what CDK deploys). */
export function ruleEventPattern(when: LifecycleWhen, workloadId: string): EventPattern | undefined {
  if (when.events)
    return { source: [EVENT_SOURCE], 'detail-type': [...when.events], detail: { workloadId: [workloadId] } };
  return when.pattern;
}

/** Whether `event` is one `when` asks for, for this workload. */
export function triggerMatches(when: LifecycleWhen, event: TriggerEvent, workloadId: string): boolean {
  if (when.schedule !== undefined)
    return event.source === SCHEDULE_SOURCE && event['detail-type'] === SCHEDULE_DETAIL_TYPE;
  const pattern = ruleEventPattern(when, workloadId);
  return pattern !== undefined && matchesPattern(pattern, event as unknown as Record<string, unknown>);
}

/**
 * EventBridge pattern matching for the filters the schema allows: every key of the pattern must
 * match; a leaf matches when any of its filters matches the value, or (for an array value) any of
 * its elements. `{exists: false}` matches an absent field; other filters never do.
 */
export function matchesPattern(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const value = event[key];
    if (Array.isArray(sub)) return sub.some((filter) => filterMatches(filter, value));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    return matchesPattern(sub, value as Record<string, unknown>);
  });
}

function filterMatches(filter: ContentFilter, value: unknown): boolean {
  if (filter !== null && typeof filter === 'object' && 'exists' in filter)
    return (value !== undefined) === filter.exists;
  if (value === undefined) return false;
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (filter !== null && typeof filter === 'object' && 'anything-but' in filter) {
    const but = filter['anything-but'];
    return values.every((v) => {
      if (but !== null && typeof but === 'object' && !Array.isArray(but))
        return !(typeof v === 'string' && v.startsWith(but.prefix));
      return !(Array.isArray(but) ? but : [but]).some((b) => b === v);
    });
  }
  return values.some((v) => scalarMatches(filter, v));
}

function scalarMatches(filter: ContentFilter, v: unknown): boolean {
  if (filter === null || typeof filter !== 'object') return filter === v;
  if ('prefix' in filter) return typeof v === 'string' && v.startsWith(filter.prefix);
  if ('suffix' in filter) return typeof v === 'string' && v.endsWith(filter.suffix);
  if ('equals-ignore-case' in filter)
    return typeof v === 'string' && v.toLowerCase() === filter['equals-ignore-case'].toLowerCase();
  if ('numeric' in filter) {
    if (typeof v !== 'number') return false;
    const ops = filter.numeric;
    for (let i = 0; i + 1 < ops.length; i += 2)
      if (!compare(v, ops[i] as string, ops[i + 1] as number)) return false;
    return true;
  }
  return false;
}

function compare(v: number, op: string, bound: number): boolean {
  switch (op) {
    case '<':
      return v < bound;
    case '<=':
      return v <= bound;
    case '=':
      return v === bound;
    case '>=':
      return v >= bound;
    default:
      return v > bound;
  }
}

/** What the conditions read: the workload's state when the trigger arrives. */
export interface LifecycleState {
  /** Latest contention score; undefined before the first forecast. */
  score?: number;
  anomaly: { active: boolean; score?: number };
  /** Share of traffic on the shadow pool (percent); undefined when it could not be read. */
  shadowWeight?: number;
  priority: number;
  /** When the trigger happened (epoch ms): time-of-day conditions read it. */
  atMs: number;
}

export type ConditionVerdict = { holds: true } | { holds: false; reason: string };

const inRange = (v: number, r: { min?: number; max?: number }) =>
  (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
const showRange = (r: { min?: number; max?: number }) =>
  r.min !== undefined && r.max !== undefined
    ? `${r.min}..${r.max}`
    : r.min !== undefined
      ? `>= ${r.min}`
      : `<= ${r.max}`;

/** Whether every condition holds; the first that does not is named, with the value it saw. */
export function conditionsHold(conditions: LifecycleConditions, state: LifecycleState): ConditionVerdict {
  const fail = (reason: string): ConditionVerdict => ({ holds: false, reason });
  if (conditions.score) {
    if (state.score === undefined) return fail('score: no contention score yet');
    if (!inRange(state.score, conditions.score))
      return fail(`score: ${round(state.score)} is not ${showRange(conditions.score)}`);
  }
  if (conditions.anomaly) {
    const { active, score } = conditions.anomaly;
    if (active !== undefined && state.anomaly.active !== active)
      return fail(
        `anomaly: ${state.anomaly.active ? 'in an anomaly' : 'no anomaly'}, rule wants ${active ? 'one' : 'none'}`,
      );
    if (score) {
      if (state.anomaly.score === undefined) return fail('anomaly.score: no anomaly score yet');
      if (!inRange(state.anomaly.score, score))
        return fail(`anomaly.score: ${round(state.anomaly.score)} is not ${showRange(score)}`);
    }
  }
  if (conditions.timeOfDay) {
    const t = conditions.timeOfDay;
    const local = localTime(state.atMs, t.timeZone);
    if (t.days && !t.days.includes(local.day))
      return fail(`timeOfDay.days: ${local.day} in ${t.timeZone} is not one of ${t.days.join(', ')}`);
    if (!withinWindow(local.minutes, minutesOf(t.from), minutesOf(t.to)))
      return fail(`timeOfDay: ${local.hhmm} in ${t.timeZone} is not within ${t.from}-${t.to}`);
  }
  if (conditions.shadowWeight) {
    if (state.shadowWeight === undefined) return fail('shadowWeight: the current weights could not be read');
    if (!inRange(state.shadowWeight, conditions.shadowWeight))
      return fail(`shadowWeight: ${state.shadowWeight} is not ${showRange(conditions.shadowWeight)}`);
  }
  if (conditions.priority && !inRange(state.priority, conditions.priority))
    return fail(`priority: ${state.priority} is not ${showRange(conditions.priority)}`);
  return { holds: true };
}

const round = (v: number) => Math.round(v * 1_000) / 1_000;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** [from, to) in minutes of the day; a window with from > to spans midnight. */
export function withinWindow(minutes: number, from: number, to: number): boolean {
  return from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

/** Day of week and minute of day of `ms` in an IANA time zone. */
export function localTime(
  ms: number,
  timeZone: string,
): { day: (typeof DAYS)[number]; minutes: number; hhmm: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as (typeof DAYS)[number];
  const hour = Number(get('hour')) % 24;
  const minute = Number(get('minute'));
  return {
    day,
    minutes: hour * 60 + minute,
    hhmm: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
  };
}

/** The rules a trigger starts, for the local run (in AWS each rule has its own EventBridge rule). */
export function rulesTriggeredBy(
  rules: readonly LifecycleRule[],
  event: TriggerEvent,
  workloadId: string,
): LifecycleRule[] {
  return rules.filter((r) => r.when.schedule === undefined && triggerMatches(r.when, event, workloadId));
}
