import { z } from 'zod';
import type { StageRunRecord } from '../data/stage-history';
import { parseOrThrow } from '../validation';

/**
 * EventBridge events of CodePipeline and CodeBuild, as the AWS documentation shows them
 * ("Monitoring CodePipeline events", "CodeBuild EventBridge events"): the envelope plus the
 * fields the stage history needs. Other detail fields are kept (loose) because AWS adds fields.
 */
const Envelope = {
  version: z.literal('0'),
  id: z.string().min(1),
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
  resources: z.array(z.string()),
};

const PipelineState = z.enum([
  'STARTED',
  'SUCCEEDED',
  'RESUMED',
  'FAILED',
  'CANCELED',
  'STOPPED',
  'STOPPING',
  'SUPERSEDED',
  'ABANDONED',
]);

export const StageExecutionEvent = z.looseObject({
  ...Envelope,
  source: z.literal('aws.codepipeline'),
  'detail-type': z.literal('CodePipeline Stage Execution State Change'),
  detail: z.looseObject({
    pipeline: z.string().min(1),
    'execution-id': z.string().min(1),
    stage: z.string().min(1),
    state: PipelineState,
  }),
});

export const ActionExecutionEvent = z.looseObject({
  ...Envelope,
  source: z.literal('aws.codepipeline'),
  'detail-type': z.literal('CodePipeline Action Execution State Change'),
  detail: z.looseObject({
    pipeline: z.string().min(1),
    'execution-id': z.string().min(1),
    stage: z.string().min(1),
    action: z.string().min(1),
    state: PipelineState,
    type: z.looseObject({ provider: z.string().min(1), category: z.string().min(1) }),
  }),
});

const BuildPhase = z.looseObject({
  'phase-type': z.string().min(1),
  'phase-status': z.string().min(1).optional(),
  'duration-in-seconds': z.number().nonnegative().optional(),
});

const BuildInformation = z.looseObject({
  'build-start-time': z.string().min(1).optional(),
  phases: z.array(BuildPhase).optional(),
});

export const BuildStateEvent = z.looseObject({
  ...Envelope,
  source: z.literal('aws.codebuild'),
  'detail-type': z.literal('CodeBuild Build State Change'),
  detail: z.looseObject({
    'build-status': z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'STOPPED', 'FAULT', 'TIMED_OUT']),
    'project-name': z.string().min(1),
    'build-id': z.string().min(1),
    'additional-information': BuildInformation,
  }),
});

export const BuildPhaseEvent = z.looseObject({
  ...Envelope,
  source: z.literal('aws.codebuild'),
  'detail-type': z.literal('CodeBuild Build Phase Change'),
  detail: z.looseObject({
    'completed-phase': z.string().min(1),
    'completed-phase-status': z.string().min(1),
    'completed-phase-duration-seconds': z.number().nonnegative().optional(),
    'project-name': z.string().min(1),
    'build-id': z.string().min(1),
    'additional-information': BuildInformation,
  }),
});

export const PipelineEvent = z.discriminatedUnion('detail-type', [
  StageExecutionEvent,
  ActionExecutionEvent,
  BuildStateEvent,
  BuildPhaseEvent,
]);
export type PipelineEvent = z.infer<typeof PipelineEvent>;

/** Parse an EventBridge event; a ValidationError names the first bad field and its value. */
export function parsePipelineEvent(input: unknown): PipelineEvent {
  return parseOrThrow(PipelineEvent, input, 'pipeline event');
}

const ENDED = new Set([
  'SUCCEEDED',
  'FAILED',
  'CANCELED',
  'STOPPED',
  'SUPERSEDED',
  'ABANDONED',
  'FAULT',
  'TIMED_OUT',
]);

/** CodeBuild writes times as "Sep 1, 2017 4:12:29 PM" (UTC); undefined when unreadable. */
export function codebuildTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(`${text} UTC`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The key of the record an event updates (see shared/data/stage-history.ts). */
export function recordKey(event: PipelineEvent): { pk: string; sk: string } {
  const d = event.detail;
  switch (event['detail-type']) {
    case 'CodePipeline Stage Execution State Change':
      return { pk: `pipeline#${d.pipeline}#${d.stage}`, sk: String(d['execution-id']) };
    case 'CodePipeline Action Execution State Change':
      return { pk: `pipeline#${d.pipeline}#${d.stage}#${d.action}`, sk: String(d['execution-id']) };
    default:
      return { pk: `build#${d['project-name']}`, sk: String(d['build-id']) };
  }
}

/**
 * Fold one event into the run's record (pure). Start: the STARTED event's time (or the build's
 * start time); end: the first terminal event's time; duration = end - start once both are known;
 * builds add the QUEUED phase as queue time and the seconds of every completed phase.
 */
export function applyStageEvent(
  previous: StageRunRecord | undefined,
  event: PipelineEvent,
  nowMs: number,
): StageRunRecord {
  const at = Date.parse(event.time);
  const key = recordKey(event);
  const base = {
    ...key,
    region: event.region,
    account: event.account,
    lastEventId: event.id,
    updatedAt: nowMs,
  };
  let next: StageRunRecord;
  if (
    event['detail-type'] === 'CodePipeline Stage Execution State Change' ||
    event['detail-type'] === 'CodePipeline Action Execution State Change'
  ) {
    const d = event.detail;
    const state = d.state;
    const started = state === 'STARTED' ? at : previous?.startedAt;
    next = {
      ...previous,
      ...base,
      kind:
        event['detail-type'] === 'CodePipeline Stage Execution State Change'
          ? 'pipeline-stage'
          : 'pipeline-action',
      pipeline: d.pipeline,
      stage: d.stage,
      ...('action' in d && typeof d.action === 'string' ? { action: d.action } : {}),
      ...('type' in d && d.type && typeof d.type === 'object'
        ? { provider: String((d.type as { provider: string }).provider) }
        : {}),
      executionId: d['execution-id'],
      // A terminal state is never overwritten by a late STARTED.
      state: previous?.result !== undefined && !ENDED.has(state) ? previous.state : state,
      startedAt: Math.min(started ?? at, previous?.startedAt ?? Number.POSITIVE_INFINITY),
      ...(ENDED.has(state) ? { result: state, endedAt: at } : {}),
    } as StageRunRecord;
  } else {
    const d = event.detail;
    const info = d['additional-information'];
    const buildStart = codebuildTime(info['build-start-time']);
    const phases: Record<string, number> = { ...previous?.phases };
    for (const p of info.phases ?? []) {
      if (p['duration-in-seconds'] !== undefined) phases[p['phase-type']] = p['duration-in-seconds'];
    }
    if (event['detail-type'] === 'CodeBuild Build Phase Change') {
      const seconds = event.detail['completed-phase-duration-seconds'];
      if (seconds !== undefined) phases[event.detail['completed-phase']] = seconds;
    }
    const status =
      event['detail-type'] === 'CodeBuild Build State Change' ? event.detail['build-status'] : undefined;
    next = {
      ...previous,
      ...base,
      kind: 'build',
      pipeline: d['project-name'],
      stage: d['project-name'],
      executionId: d['build-id'],
      state: status ?? previous?.state ?? 'IN_PROGRESS',
      startedAt: Math.min(buildStart ?? at, previous?.startedAt ?? Number.POSITIVE_INFINITY),
      ...(status && ENDED.has(status) ? { result: status, endedAt: at } : {}),
      ...(Object.keys(phases).length > 0 ? { phases } : {}),
      ...(phases.QUEUED !== undefined ? { queuedSeconds: phases.QUEUED } : {}),
    } as StageRunRecord;
  }
  if (previous?.result !== undefined && next.result === undefined) {
    next = { ...next, result: previous.result, endedAt: previous.endedAt as number, state: previous.state };
  }
  if (next.endedAt !== undefined)
    next = { ...next, durationSeconds: Math.max(0, (next.endedAt - next.startedAt) / 1000) };
  return next;
}
