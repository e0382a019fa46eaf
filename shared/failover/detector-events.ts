import { z } from 'zod';
import type { Repositories } from '../ports/repositories';
import type { Workload } from '../schemas/workload';
import { type DetectorDeps, type DetectorOutcome, observeWorkload } from './detector';
import { AwsHealthEvent, healthIssueChange } from './health';

/**
 * What starts the detector: its EventBridge schedule (every minute; it then observes every
 * `detection.sampleSeconds` within the minute), an AWS Health event (opens or closes an issue for
 * a region, observed at once), a CloudWatch alarm changing state (observed at once), or a person
 * (`{"workloadId": ...}`, one observation of that workload).
 */
export const ScheduledEvent = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
export const AlarmStateChange = z.looseObject({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.looseObject({ alarmName: z.string() }),
});
export const ManualDetect = z.strictObject({ workloadId: z.string().min(1) });
export const DetectorEvent = z.union([ScheduledEvent, AwsHealthEvent, AlarmStateChange, ManualDetect]);
export type DetectorEvent = z.infer<typeof DetectorEvent>;

export interface DetectorRunDeps extends DetectorDeps {
  workloads: Pick<Repositories['workloads'], 'get' | 'list'>;
  /** Waits between observations within one scheduled invocation. */
  sleep: (ms: number) => Promise<void>;
}

async function failoverWorkloads(deps: DetectorRunDeps): Promise<Workload[]> {
  const out: Workload[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.workloads.list({ limit: 100, profiles: false, ...(cursor ? { cursor } : {}) });
    for (const r of page.items) if (r.workload.failover && r.workload.regions.standby) out.push(r.workload);
    cursor = page.next;
  } while (cursor);
  return out;
}

/** Runs the detector for one event; returns every observation it made. */
export async function runDetector(
  deps: DetectorRunDeps,
  event: DetectorEvent,
  options: { periodSeconds?: number } = {},
): Promise<DetectorOutcome[]> {
  if ('workloadId' in event && !('source' in event)) {
    const record = await deps.workloads.get(event.workloadId);
    if (!record?.workload.failover) return [];
    return [await observeWorkload(deps, record.workload)];
  }
  const workloads = await failoverWorkloads(deps);
  if (event.source === 'aws.health') {
    const change = healthIssueChange(event);
    if (!change) return [];
    const affected = workloads.filter(
      (w) => w.regions.primary === change.region || w.regions.standby === change.region,
    );
    return Promise.all(affected.map((w) => observeWorkload(deps, w, { healthIssues: [change] })));
  }
  if (event.source === 'aws.cloudwatch') {
    return Promise.all(workloads.map((w) => observeWorkload(deps, w, { dueOnly: true })));
  }
  // Scheduled: observe every sample period until the next invocation (the schedule's period).
  const period = (options.periodSeconds ?? 60) * 1000;
  const sample = Math.min(60, ...workloads.map((w) => w.failover?.detection.sampleSeconds ?? 60)) * 1000;
  const rounds = Math.max(1, Math.floor(period / sample));
  const outcomes: DetectorOutcome[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await deps.sleep(sample);
    outcomes.push(...(await Promise.all(workloads.map((w) => observeWorkload(deps, w, { dueOnly: true })))));
  }
  return outcomes;
}
