import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../shared/errors';
import { Workload } from '../../../shared/schemas/workload';
import { parseOrThrow } from '../../../shared/validation';
import { runCli } from '../../helpers/cli';
import { workloadInput } from '../../helpers/fixtures';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:oncall';
const good = {
  name: 'anomaly-oncall',
  when: { events: ['Anomaly Detected'] },
  if: { timeOfDay: { from: '08:00', to: '20:00', timeZone: 'Europe/Paris' }, priority: { min: 50 } },
  do: [
    { type: 'notify', topicArn: TOPIC },
    { type: 'snapshot', tags: { reason: 'anomaly' } },
    { type: 'run-tests', target: { kind: 'codebuild', projectName: 'checkout-diagnostics' } },
    { type: 'scale-down', pool: 'shadow', toUnits: 0, stepUnits: 2 },
    { type: 'set-priority', priority: 90 },
  ],
};

function withRules(rules: unknown[]): unknown {
  return { ...workloadInput(), lifecycle: rules };
}

function rejection(input: unknown): string {
  try {
    parseOrThrow(Workload, input, 'workload');
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
  throw new Error('expected the workload to be rejected');
}

describe('lifecycle rules in the workload definition', () => {
  it('accepts a rule with every kind of action and fills the defaults', () => {
    const w = Workload.parse(withRules([good]));
    const [rule] = w.lifecycle ?? [];
    expect(rule?.when.bus).toBe('shadowscale');
    expect(rule?.do[3]).toEqual({
      type: 'scale-down',
      pool: 'shadow',
      toUnits: 0,
      stepUnits: 2,
      drainSeconds: 300,
    });
    expect(rule?.do[1]).toEqual({ type: 'snapshot', pool: 'primary', tags: { reason: 'anomaly' } });
  });

  it('accepts a schedule and an EventBridge pattern on the default bus', () => {
    const w = Workload.parse(
      withRules([
        { name: 'nightly', when: { schedule: 'cron(0 3 * * ? *)' }, do: [{ type: 'snapshot' }] },
        {
          name: 'task-stopped',
          when: {
            bus: 'default',
            pattern: {
              source: ['aws.ecs'],
              detail: { lastStatus: ['STOPPED'], exitCode: [{ numeric: ['>', 0] }] },
            },
          },
          do: [{ type: 'notify', topicArn: TOPIC }],
        },
      ]),
    );
    expect(w.lifecycle?.map((r) => r.name)).toEqual(['nightly', 'task-stopped']);
  });

  const rule = (patch: object) => ({ ...good, ...patch });
  it.each<[string, unknown[], string]>([
    [
      'an unknown event',
      [rule({ when: { events: ['Lunch Served'] } })],
      '`lifecycle[0].when.events[0]` = "Lunch Served"',
    ],
    [
      'two triggers',
      [rule({ when: { events: ['Anomaly Detected'], schedule: 'rate(1 day)' } })],
      '`lifecycle[0].when.events`',
    ],
    ['no trigger', [rule({ when: {} })], 'set exactly one of events, schedule or pattern'],
    [
      'a bad schedule',
      [rule({ when: { schedule: 'every day' } })],
      '`lifecycle[0].when.schedule` = "every day"',
    ],
    [
      'an unknown pattern operator',
      [rule({ when: { pattern: { detail: { x: [{ wildcard: '*' }] } } } })],
      '`lifecycle[0].when.pattern.detail.x[0]`',
    ],
    [
      'a pattern leaf that is not a list',
      [rule({ when: { pattern: { source: 'aws.ecs' } } })],
      '`lifecycle[0].when.pattern.source`',
    ],
    [
      'the default bus without a pattern',
      [rule({ when: { events: ['Anomaly Detected'], bus: 'default' } })],
      '`lifecycle[0].when.bus`',
    ],
    [
      'a bad time',
      [rule({ if: { timeOfDay: { from: '25:00', to: '08:00' } } })],
      '`lifecycle[0].if.timeOfDay.from` = "25:00"',
    ],
    [
      'an unknown time zone',
      [rule({ if: { timeOfDay: { from: '01:00', to: '08:00', timeZone: 'Mars/Olympus' } } })],
      '`lifecycle[0].if.timeOfDay.timeZone` = "Mars/Olympus"',
    ],
    ['an empty range', [rule({ if: { score: {} } })], '`lifecycle[0].if.score`'],
    [
      'min above max',
      [rule({ if: { priority: { min: 80, max: 20 } } })],
      '`lifecycle[0].if.priority.min` = 80',
    ],
    [
      'an unknown condition',
      [rule({ if: { moonPhase: 'full' } })],
      '`lifecycle[0].if.moonPhase` = "full": is not a known field',
    ],
    ['no actions', [rule({ do: [] })], '`lifecycle[0].do`'],
    ['an unknown action', [rule({ do: [{ type: 'reboot' }] })], '`lifecycle[0].do[0].type` = "reboot"'],
    [
      'a topic that is not an SNS ARN',
      [rule({ do: [{ type: 'notify', topicArn: 'oncall' }] })],
      '`lifecycle[0].do[0].topicArn` = "oncall"',
    ],
    [
      'a priority above 100',
      [rule({ do: [{ type: 'set-priority', priority: 101 }] })],
      '`lifecycle[0].do[0].priority` = 101',
    ],
    [
      'a scale-down below the primary minimum',
      [rule({ do: [{ type: 'scale-down', toUnits: 1 }] })],
      "`lifecycle[0].do[0].toUnits` = 1: must be within the primary pool's limits 2..20",
    ],
    [
      'a reserved snapshot tag',
      [rule({ do: [{ type: 'snapshot', tags: { 'aws:owner': 'x' } }] })],
      '`lifecycle[0].do[0].tags.aws:owner`',
    ],
    ['a bad rule name', [rule({ name: 'Anomaly_Oncall' })], '`lifecycle[0].name` = "Anomaly_Oncall"'],
    ['two rules with one name', [good, good], 'rule names must be unique'],
  ])('refuses %s, naming the field', (_what, rules, expected) => {
    expect(rejection(withRules(rules))).toContain(expected);
  });
});

describe('shadowscale validate with lifecycle rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-lifecycle-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts good rules and exits 2 on a bad one with one line naming the field', async () => {
    const ok = join(dir, 'ok.json');
    writeFileSync(ok, JSON.stringify(withRules([good])));
    expect((await runCli('validate', ok)).code).toBe(0);
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify(withRules([{ ...good, do: [{ type: 'notify', topicArn: 'oncall' }] }])),
    );
    const { code, err } = await runCli('validate', bad);
    expect(code).toBe(2);
    expect(err).toContain('`lifecycle[0].do[0].topicArn` = "oncall"');
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});
