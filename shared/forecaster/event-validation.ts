import { EVENT_DETAIL_SCHEMAS, type ShadowscaleEvent } from '../schemas/events';
import { describeIssues, issuesOf } from '../validation';

/** Undefined when the detail matches its schema, else a one-line message naming the field. */
export function validateDetail(event: ShadowscaleEvent): string | undefined {
  const schema = EVENT_DETAIL_SCHEMAS[event.detailType];
  if (!schema) return `ValidationError: unknown detail type ${JSON.stringify(event.detailType)}`;
  const parsed = schema.safeParse(event.detail);
  if (parsed.success) return undefined;
  return `ValidationError: ${describeIssues(`${event.detailType} detail`, issuesOf(parsed.error, event.detail))}`;
}
