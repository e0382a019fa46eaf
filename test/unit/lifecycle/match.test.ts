import {
  conditionsHold,
  type LifecycleState,
  localTime,
  matchesPattern,
  ruleEventPattern,
  rulesTriggeredBy,
  type TriggerEvent,
  triggerMatches,
  withinWindow,
} from '../../../shared/lifecycle/match';
import {
  type EventPattern,
  LifecycleConditions,
  LifecycleRule,
  LifecycleWhen,
} from '../../../shared/schemas/lifecycle';

const T0 = Date.UTC(2026, 10, 23, 14, 30); // Monday 14:30 UTC

function event(
  detailType: string,
  detail: Record<string, unknown> = {},
  source = 'shadowscale',
): TriggerEvent {
  return { id: 'e-1', source, 'detail-type': detailType, time: new Date(T0).toISOString(), detail };
}

const state = (patch: Partial<LifecycleState> = {}): LifecycleState => ({
  score: 0.2,
  anomaly: { active: false, score: 0.1 },
  shadowWeight: 0,
  priority: 50,
  atMs: T0,
  ...patch,
});

describe('triggerMatches', () => {
  const onAnomaly = LifecycleWhen.parse({ events: ['Anomaly Detected', 'Contention Predicted'] });
  const nightly = LifecycleWhen.parse({ schedule: 'cron(0 3 * * ? *)' });
  const pattern = LifecycleWhen.parse({
    pattern: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: { lastStatus: ['STOPPED'] },
    },
    bus: 'default',
  });
  it.each([
    ['a named event of this workload', onAnomaly, event('Anomaly Detected', { workloadId: 'api' }), true],
    ['the other named event', onAnomaly, event('Contention Predicted', { workloadId: 'api' }), true],
    ['a named event of another workload', onAnomaly, event('Anomaly Detected', { workloadId: 'web' }), false],
    ['an event not named', onAnomaly, event('Anomaly Cleared', { workloadId: 'api' }), false],
    [
      'a named detail type from another source',
      onAnomaly,
      event('Anomaly Detected', { workloadId: 'api' }, 'evil'),
      false,
    ],
    ['a scheduled event for a schedule rule', nightly, event('Scheduled Event', {}, 'aws.events'), true],
    [
      'a Shadowscale event for a schedule rule',
      nightly,
      event('Anomaly Detected', { workloadId: 'api' }),
      false,
    ],
    [
      'an event the pattern matches',
      pattern,
      event('ECS Task State Change', { lastStatus: 'STOPPED' }, 'aws.ecs'),
      true,
    ],
    [
      'an event the pattern refuses',
      pattern,
      event('ECS Task State Change', { lastStatus: 'RUNNING' }, 'aws.ecs'),
      false,
    ],
  ])('%s -> %s', (_what, when, e, expected) => {
    expect(triggerMatches(when, e, 'api')).toBe(expected);
  });

  it('deploys the pattern it checks: events of this workload by detail type', () => {
    expect(ruleEventPattern(onAnomaly, 'api')).toEqual({
      source: ['shadowscale'],
      'detail-type': ['Anomaly Detected', 'Contention Predicted'],
      detail: { workloadId: ['api'] },
    });
    expect(ruleEventPattern(nightly, 'api')).toBeUndefined();
  });

  it('the local run starts only event rules, never schedule rules', () => {
    const rules = [
      LifecycleRule.parse({
        name: 'a',
        when: { events: ['Anomaly Detected'] },
        do: [{ type: 'set-priority', priority: 10 }],
      }),
      LifecycleRule.parse({
        name: 'b',
        when: { schedule: 'rate(1 day)' },
        do: [{ type: 'set-priority', priority: 10 }],
      }),
    ];
    expect(
      rulesTriggeredBy(rules, event('Anomaly Detected', { workloadId: 'api' }), 'api').map((r) => r.name),
    ).toEqual(['a']);
  });
});

describe('matchesPattern (EventBridge content filters)', () => {
  const e = {
    source: 'aws.ec2',
    detail: {
      state: 'terminated',
      'instance-id': 'i-0abc',
      count: 7,
      tags: ['web', 'prod'],
      name: 'Checkout',
    },
  };
  it.each<[string, EventPattern, boolean]>([
    ['exact value', { detail: { state: ['terminated'] } }, true],
    ['one of several values', { detail: { state: ['stopped', 'terminated'] } }, true],
    ['exact value mismatch', { detail: { state: ['running'] } }, false],
    ['prefix', { detail: { 'instance-id': [{ prefix: 'i-0' }] } }, true],
    ['prefix mismatch', { detail: { 'instance-id': [{ prefix: 'vol-' }] } }, false],
    ['suffix', { detail: { 'instance-id': [{ suffix: 'abc' }] } }, true],
    ['equals-ignore-case', { detail: { name: [{ 'equals-ignore-case': 'checkout' }] } }, true],
    ['anything-but a value', { detail: { state: [{ 'anything-but': 'running' }] } }, true],
    ['anything-but the value', { detail: { state: [{ 'anything-but': ['terminated'] }] } }, false],
    ['anything-but a prefix', { detail: { 'instance-id': [{ 'anything-but': { prefix: 'i-' } }] } }, false],
    ['numeric range', { detail: { count: [{ numeric: ['>', 5, '<=', 7] }] } }, true],
    ['numeric out of range', { detail: { count: [{ numeric: ['<', 5] }] } }, false],
    ['numeric on a string', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
    ['exists true', { detail: { count: [{ exists: true }] } }, true],
    ['exists false on a present field', { detail: { count: [{ exists: false }] } }, false],
    ['exists false on an absent field', { detail: { missing: [{ exists: false }] } }, true],
    ['an absent field', { detail: { missing: ['x'] } }, false],
    ['array value: any element', { detail: { tags: ['prod'] } }, true],
    ['array value: no element', { detail: { tags: ['dev'] } }, false],
    ['nested pattern on a scalar', { source: { x: ['y'] } }, false],
    ['every key must match', { source: ['aws.ec2'], detail: { state: ['running'] } }, false],
  ])('%s -> %s', (_what, pattern, expected) => {
    expect(matchesPattern(pattern, e)).toBe(expected);
  });
});

describe('conditionsHold', () => {
  const c = (raw: unknown) => LifecycleConditions.parse(raw);
  it.each<[string, unknown, Partial<LifecycleState>, string | true]>([
    ['no conditions', {}, {}, true],
    ['score in range', { score: { min: 0.1 } }, {}, true],
    ['score below min', { score: { min: 0.5 } }, {}, 'score: 0.2 is not >= 0.5'],
    ['score above max', { score: { max: 0.1 } }, {}, 'score: 0.2 is not <= 0.1'],
    ['no score yet', { score: { min: 0 } }, { score: undefined }, 'score: no contention score yet'],
    ['anomaly wanted, none', { anomaly: { active: true } }, {}, 'anomaly: no anomaly, rule wants one'],
    [
      'anomaly wanted, present',
      { anomaly: { active: true } },
      { anomaly: { active: true, score: 0.99 } },
      true,
    ],
    [
      'calm wanted, anomaly',
      { anomaly: { active: false } },
      { anomaly: { active: true } },
      'anomaly: in an anomaly, rule wants none',
    ],
    ['anomaly score range', { anomaly: { score: { min: 0.9 } } }, {}, 'anomaly.score: 0.1 is not >= 0.9'],
    ['inside a day window', { timeOfDay: { from: '09:00', to: '18:00' } }, {}, true],
    [
      'outside a day window',
      { timeOfDay: { from: '18:00', to: '23:00' } },
      {},
      'timeOfDay: 14:30 in UTC is not within 18:00-23:00',
    ],
    [
      'window in another zone',
      { timeOfDay: { from: '09:00', to: '10:00', timeZone: 'America/New_York' } },
      {},
      true,
    ],
    [
      'wrong day',
      { timeOfDay: { from: '00:00', to: '23:59', days: ['sat', 'sun'] } },
      {},
      'timeOfDay.days: mon in UTC is not one of sat, sun',
    ],
    ['shadow weight in range', { shadowWeight: { max: 0 } }, {}, true],
    [
      'shadow weight out of range',
      { shadowWeight: { min: 10 } },
      { shadowWeight: 5 },
      'shadowWeight: 5 is not >= 10',
    ],
    [
      'weights unreadable',
      { shadowWeight: { min: 0 } },
      { shadowWeight: undefined },
      'shadowWeight: the current weights could not be read',
    ],
    ['priority in range', { priority: { min: 40, max: 60 } }, {}, true],
    ['priority out of range', { priority: { min: 60 } }, {}, 'priority: 50 is not >= 60'],
    [
      'all hold',
      { score: { min: 0.1 }, priority: { max: 50 }, timeOfDay: { from: '14:00', to: '15:00' } },
      {},
      true,
    ],
  ])('%s', (_what, conditions, patch, expected) => {
    const verdict = conditionsHold(c(conditions), state(patch));
    expect(verdict.holds ? true : verdict.reason).toEqual(expected);
  });
});

describe('time of day', () => {
  it.each([
    [600, 540, 1080, true],
    [1080, 540, 1080, false],
    [1380, 1320, 360, true],
    [120, 1320, 360, true],
    [720, 1320, 360, false],
  ])('%i minutes within [%i, %i) -> %s (a window with from > to spans midnight)', (m, from, to, expected) => {
    expect(withinWindow(m, from, to)).toBe(expected);
  });

  it('reads the local day and time in the zone', () => {
    expect(localTime(T0, 'UTC')).toEqual({ day: 'mon', minutes: 870, hhmm: '14:30' });
    expect(localTime(T0, 'Asia/Tokyo')).toEqual({ day: 'mon', minutes: 1410, hhmm: '23:30' });
    expect(localTime(Date.UTC(2026, 10, 23, 0, 30), 'America/Los_Angeles').day).toBe('sun');
  });
});
