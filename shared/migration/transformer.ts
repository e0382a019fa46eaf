import { EVENT_SOURCE } from '../schemas/events';

/**
 * EventBridge wiring for the shadow-pool state machines, as plain data for the CDK app
 * (`events.CfnRule` target `InputTransformer`, or `RuleTargetInput.fromText`-free L1 use).
 * The operation id comes from the event id, so a redelivered event (EventBridge is at-least-once)
 * names the same operation and a second execution resumes it instead of starting another.
 */
export interface InputTransformerShape {
  /** `InputPathsMap`: placeholder -> JSONPath into the event. */
  inputPathsMap: Record<string, string>;
  /** `InputTemplate`: unquoted `<x>` inserts the JSON value; inside quotes, the raw text. */
  inputTemplate: string;
}

export interface RuleShape {
  eventPattern: { source: string[]; 'detail-type': string[] };
  inputTransformer: InputTransformerShape;
}

/** `Contention Predicted` -> StartExecution of shadow-pool-migration. */
export const CONTENTION_PREDICTED_RULE: RuleShape = {
  eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Contention Predicted'] },
  inputTransformer: {
    inputPathsMap: {
      workloadId: '$.detail.workloadId',
      peakUnits: '$.detail.peakUnits',
      shadowUnits: '$.detail.recommendedShadowUnits',
      score: '$.detail.score',
      eventId: '$.id',
    },
    inputTemplate:
      '{"workloadId": <workloadId>, "operationId": "contention-<eventId>", "peakUnits": <peakUnits>, "plannedShadowUnits": <shadowUnits>, "reason": "Contention Predicted (score <score>)", "trigger": "event"}',
  },
};

/** `Contention Cleared` -> StartExecution of shadow-pool-return (it waits out the clear window itself). */
export const CONTENTION_CLEARED_RULE: RuleShape = {
  eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Contention Cleared'] },
  inputTransformer: {
    inputPathsMap: { workloadId: '$.detail.workloadId', score: '$.detail.score', eventId: '$.id' },
    inputTemplate:
      '{"workloadId": <workloadId>, "operationId": "cleared-<eventId>", "reason": "Contention Cleared (score <score>)", "trigger": "event"}',
  },
};

function pick(event: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`unsupported path ${path}`);
  let current: unknown = event;
  for (const key of path.slice(1).split('.').filter(Boolean)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * What EventBridge does with an `InputTransformer`, for tests and the local run: placeholders
 * inside a JSON string get the raw text (escaped for JSON), others get the JSON value; a missing
 * path becomes `null`.
 */
export function applyInputTransformer(shape: InputTransformerShape, event: unknown): string {
  let inString = false;
  let out = '';
  const template = shape.inputTemplate;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    if (ch === '"' && template[i - 1] !== '\\') inString = !inString;
    if (ch === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      const path = shape.inputPathsMap[name];
      if (path !== undefined) {
        const value = pick(event, path);
        if (inString) {
          const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
          out += JSON.stringify(text).slice(1, -1);
        } else {
          out += JSON.stringify(value ?? null);
        }
        i = end;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** The shadow-pool operation an event starts (the rules above): migration, return, or none. */
export function operationKindFor(detailType: string): 'migration' | 'return' | undefined {
  if (detailType === 'Contention Predicted') return 'migration';
  if (detailType === 'Contention Cleared') return 'return';
  return undefined;
}

/**
 * For the local run, where events are not wrapped by a bus: the execution a published event starts
 * (migration on `Contention Predicted`, return on `Contention Cleared`) and its input, exactly as the
 * EventBridge rule's input transformer would build it; undefined for other events. `eventId` plays
 * the EventBridge event `id` (keep it stable per event so a redelivery resumes the same operation).
 */
export function startInputForEvent(
  event: { detailType: string; detail: unknown },
  eventId: string,
): { kind: 'migration' | 'return'; input: unknown } | undefined {
  const kind = operationKindFor(event.detailType);
  if (!kind) return undefined;
  const rule = kind === 'migration' ? CONTENTION_PREDICTED_RULE : CONTENTION_CLEARED_RULE;
  const envelope = {
    id: eventId,
    source: EVENT_SOURCE,
    'detail-type': event.detailType,
    detail: event.detail,
  };
  return { kind, input: JSON.parse(applyInputTransformer(rule.inputTransformer, envelope)) };
}
