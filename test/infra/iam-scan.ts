import type { Template } from 'aws-cdk-lib/assertions';

export interface ScannedStatement {
  /** `<logical id>` of the resource holding the policy. */
  readonly holder: string;
  readonly sid?: string;
  readonly actions: string[];
  /** Literal resources (tokens rendered as JSON). */
  readonly resources: string[];
  readonly condition?: Record<string, Record<string, unknown>>;
}

interface RawStatement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Render an ARN (a string or an intrinsic) as text; tokens keep their JSON so `*` stays visible. */
export function arnText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(arnText).join(join[0]);
  return JSON.stringify(resource);
}

/**
 * Every Allow statement of every identity policy (IAM::Policy, inline role policies) and resource
 * policy (queues, topics, buckets, keys) in a template. Deny statements (TLS enforcement) only
 * take rights away, so they are not scanned.
 */
export function allowStatements(template: Template): ScannedStatement[] {
  const out: ScannedStatement[] = [];
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
      documents.push(props.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role') {
      for (const p of list(props.Policies as { PolicyDocument: unknown }[] | undefined))
        documents.push(p.PolicyDocument);
    }
    if (['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::S3::BucketPolicy'].includes(resource.Type))
      documents.push(props.PolicyDocument);
    if (resource.Type === 'AWS::KMS::Key') documents.push(props.KeyPolicy);
    for (const document of documents) {
      for (const statement of list((document as { Statement?: RawStatement[] } | undefined)?.Statement)) {
        if (statement.Effect !== 'Allow') continue;
        out.push({
          holder: id,
          sid: statement.Sid,
          actions: list(statement.Action),
          resources: list(statement.Resource).map(arnText),
          condition: statement.Condition,
        });
      }
    }
  }
  return out;
}

/** Reads that never change anything (for the "unscoped write" scan). */
export function isRead(action: string): boolean {
  const verb = action.split(':')[1] ?? '';
  return /^(Describe|Get|List|BatchGet|Query|Scan|ConditionCheck)/.test(verb);
}
