import type { ActionOutcome, LifecycleAction, LifecycleRun } from '../schemas/lifecycle';
import type { Workload } from '../schemas/workload';
import type { TriggerEvent } from './match';

/** Pure decisions of a lifecycle run: which action is next, scale-down steps, messages. */

/** The run of `rule` for one event of one workload (the key of its conditional write). */
export function runIdOf(workloadId: string, rule: string, eventId: string): string {
  return `lifecycle#${workloadId}#${rule}#${eventId}`;
}

/** The first action with no recorded outcome, or undefined when every action has one. */
export function nextAction(run: LifecycleRun): { index: number; action: LifecycleAction } | undefined {
  const done = new Set(run.outcomes.map((o) => o.index));
  const index = run.actions.findIndex((_, i) => !done.has(i));
  const action = run.actions[index];
  return index < 0 || !action ? undefined : { index, action };
}

/** How a finished run ended: failed when any action failed, with the failures named. */
export function runResult(run: LifecycleRun): { status: 'succeeded' | 'failed'; reason: string } {
  const failed = run.outcomes.filter((o) => o.status === 'failed');
  if (failed.length === 0) return { status: 'succeeded', reason: `${run.outcomes.length} action(s) done` };
  return {
    status: 'failed',
    reason: failed
      .map(
        (o) => `action ${o.index} (${o.type}) failed: ${o.error?.name ?? 'Error'}: ${o.error?.message ?? ''}`,
      )
      .join('; ')
      .slice(0, 1_000),
  };
}

/**
 * The unit count a scale-down ends at: the rule's `toUnits` within the pool's limits (primary:
 * minUnits..maxUnits, shadow: 0..shadowMaxUnits), and never below one unit while the pool
 * carries a share of the traffic.
 */
export function scaleDownTarget(
  workload: Workload,
  action: Extract<LifecycleAction, { type: 'scale-down' }>,
  poolWeight: number,
): number {
  const { minUnits, maxUnits, shadowMaxUnits } = workload.capacity;
  const [low, high] = action.pool === 'primary' ? [minUnits, maxUnits] : [0, shadowMaxUnits];
  const target = Math.min(high, Math.max(low, action.toUnits));
  return poolWeight > 0 ? Math.max(1, target) : target;
}

/**
 * The next desired count on the way down: at most `stepUnits` below the current one, never below
 * the target; a pool already at or below the target is left as it is (scale-down never raises).
 */
export function scaleDownStep(desired: number, target: number, stepUnits: number | undefined): number {
  if (desired <= target) return desired;
  return Math.max(target, desired - (stepUnits ?? desired));
}

/** One line saying what happened, for messages and logs. */
export function describeTrigger(event: Pick<TriggerEvent, 'detail-type' | 'detail' | 'time'>): string {
  const d = event.detail;
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  switch (event['detail-type']) {
    case 'Contention Predicted':
      return `contention predicted (score ${fmt(num('score'))}, shortage at ${iso(num('shortageAt'))})`;
    case 'Contention Cleared':
      return `contention cleared (score ${fmt(num('score'))})`;
    case 'Anomaly Detected':
      return `anomaly on ${str('metric') ?? '?'}: observed ${fmt(num('observed'))}, expected ${fmt(num('expectedLow'))}..${fmt(num('expectedHigh'))}`;
    case 'Anomaly Cleared':
      return `anomaly on ${str('metric') ?? '?'} cleared (since ${iso(num('since'))})`;
    case 'Scheduled Event':
      return `schedule fired at ${event.time}`;
    default:
      return `${event['detail-type']} at ${event.time}`;
  }
}

const fmt = (v: number | undefined) => (v === undefined ? '?' : String(Math.round(v * 1_000) / 1_000));
const iso = (ms: number | undefined) => (ms === undefined ? '?' : new Date(ms).toISOString());

/** Subject and body of a notify action: what happened, to which workload, which rule, what runs. */
export function notification(
  workload: Workload,
  run: LifecycleRun,
  event: Pick<TriggerEvent, 'detail-type' | 'detail' | 'time'>,
  message: string | undefined,
): { subject: string; message: string } {
  const what = describeTrigger(event);
  const subject = `Shadowscale: ${workload.workloadId}: ${event['detail-type']} (rule ${run.rule})`.slice(
    0,
    99,
  );
  const lines = [
    message ?? `Lifecycle rule "${run.rule}" fired for workload ${workload.workloadId}.`,
    '',
    `What happened: ${what}.`,
    `Workload: ${workload.workloadId}${workload.description ? ` (${workload.description})` : ''}, priority ${workload.priority}.`,
    `Actions of this run: ${run.actions.map((a, i) => `${i + 1}. ${describeAction(a)}`).join('; ')}.`,
    `Event id: ${run.eventId}.`,
  ];
  return { subject, message: lines.join('\n') };
}

export function describeAction(action: LifecycleAction): string {
  switch (action.type) {
    case 'scale-down':
      return `scale the ${action.pool} pool down to ${action.toUnits} unit(s)${action.stepUnits ? ` by ${action.stepUnits} at a time` : ''}, ${action.drainSeconds} s drain`;
    case 'snapshot':
      return `snapshot the ${action.pool} pool's EBS volumes`;
    case 'run-tests':
      return action.target.kind === 'codebuild'
        ? `start CodeBuild project ${action.target.projectName}`
        : `start Step Functions ${action.target.stateMachineArn.split(':').pop()}`;
    case 'notify':
      return `notify ${action.topicArn.split(':').pop()}`;
    case 'set-priority':
      return `set priority to ${action.priority}`;
  }
}

/** The outcome to record for an action, now. */
export function outcome(
  index: number,
  action: LifecycleAction,
  at: number,
  result: { detail?: Record<string, unknown>; error?: { name: string; message: string } },
): ActionOutcome {
  return {
    index,
    type: action.type,
    status: result.error ? 'failed' : 'succeeded',
    at,
    detail: result.detail ?? {},
    ...(result.error ? { error: result.error } : {}),
  };
}
