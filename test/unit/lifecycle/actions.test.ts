import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  nextAction,
  notification,
  runIdOf,
  runResult,
  scaleDownStep,
  scaleDownTarget,
} from '../../../shared/lifecycle/actions';
import { LifecycleRun, ScaleDownAction } from '../../../shared/schemas/lifecycle';
import { Workload } from '../../../shared/schemas/workload';

const workload = Workload.parse(
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/workloads/checkout-api.json'), 'utf8')),
); // primary 2..20 units, shadow at most 10

function run(outcomes: LifecycleRun['outcomes'] = []): LifecycleRun {
  return LifecycleRun.parse({
    runId: runIdOf('checkout-api', 'calm-down', 'e-1'),
    workloadId: 'checkout-api',
    rule: 'calm-down',
    eventId: 'e-1',
    holder: 'exec-1',
    status: 'running',
    trigger: {
      detailType: 'Anomaly Detected',
      source: 'shadowscale',
      at: 0,
      time: '2026-11-23T14:30:00.000Z',
      detail: { metric: 'requests', observed: 900, expectedLow: 100, expectedHigh: 300 },
    },
    actions: [
      { type: 'notify', topicArn: 'arn:aws:sns:us-east-1:123456789012:oncall' },
      { type: 'set-priority', priority: 20 },
    ],
    outcomes,
    startedAt: 0,
    updatedAt: 0,
  });
}

describe('scale-down decisions', () => {
  const action = (raw: object) => ScaleDownAction.parse({ type: 'scale-down', ...raw });
  it.each([
    ['primary within limits', { toUnits: 4 }, 0, 4],
    ['primary below minUnits is held at minUnits', { toUnits: 0 }, 0, 2],
    ['primary above maxUnits is held at maxUnits', { toUnits: 50 }, 0, 20],
    ['shadow to zero with no traffic', { pool: 'shadow', toUnits: 0 }, 0, 0],
    ['shadow carrying traffic keeps one unit', { pool: 'shadow', toUnits: 0 }, 25, 1],
    ['shadow above shadowMaxUnits', { pool: 'shadow', toUnits: 12 }, 0, 10],
  ])('%s', (_what, raw, weight, expected) => {
    expect(scaleDownTarget(workload, action(raw), weight)).toBe(expected);
  });

  it.each([
    [10, 4, undefined, 4],
    [10, 4, 3, 7],
    [7, 4, 3, 4],
    [4, 4, 3, 4],
    [2, 4, 3, 2],
  ])('from %i toward %i by %s -> %i (never up)', (desired, target, step, expected) => {
    expect(scaleDownStep(desired, target, step)).toBe(expected);
  });
});

describe('run progress', () => {
  const done = (index: number, status: 'succeeded' | 'failed') => ({
    index,
    type: index === 0 ? ('notify' as const) : ('set-priority' as const),
    status,
    at: 1,
    detail: {},
    ...(status === 'failed' ? { error: { name: 'TransientError', message: 'throttled' } } : {}),
  });
  it('runs actions in order and skips the ones with an outcome', () => {
    expect(nextAction(run())?.index).toBe(0);
    expect(nextAction(run([done(0, 'failed')]))?.index).toBe(1);
    expect(nextAction(run([done(0, 'succeeded'), done(1, 'succeeded')]))).toBeUndefined();
  });
  it('fails the run when any action failed, naming it', () => {
    expect(runResult(run([done(0, 'succeeded'), done(1, 'succeeded')])).status).toBe('succeeded');
    expect(runResult(run([done(0, 'failed'), done(1, 'succeeded')]))).toEqual({
      status: 'failed',
      reason: 'action 0 (notify) failed: TransientError: throttled',
    });
  });
});

describe('notification', () => {
  it('says what happened, to which workload, and what the rule does', () => {
    const r = run();
    const text = notification(
      workload,
      r,
      { 'detail-type': r.trigger.detailType, detail: r.trigger.detail, time: r.trigger.time },
      undefined,
    );
    expect(text.subject).toBe('Shadowscale: checkout-api: Anomaly Detected (rule calm-down)');
    expect(text.message).toContain('anomaly on requests: observed 900, expected 100..300');
    expect(text.message).toContain('1. notify oncall; 2. set priority to 20');
    expect(text.message).toContain('Event id: e-1.');
  });
});
