import type { Workload } from './schemas/workload';

/**
 * What the deployed control plane's IAM expects of a workload's own resources, checked before
 * the first migration needs it. The control plane scopes its writes either by ARN (resources
 * registered in the `shadowscale:managed` context) or, when a list is empty, by the tag
 * `shadowscale:managed=true` on the resource; and it may pass only the registered roles to the
 * shadow copies. Pure: the facts come from `WorkloadFacts` (read by shared/aws/preflight-reader.ts).
 */
export const MANAGED_TAG_KEY = 'shadowscale:managed';
export const MANAGED_TAG_VALUE = 'true';

/** The `shadowscale:managed` context the control plane was deployed with (empty list: by tag). */
export interface ManagedScope {
  readonly listenerArns: readonly string[];
  readonly ecsClusters: readonly string[];
  readonly eksClusters: readonly string[];
  readonly passRoleArns: readonly string[];
  readonly launchTemplateIds: readonly string[];
}

/** A resource as read: `undefined` tags when it does not exist (or could not be read). */
export interface TaggedResource {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>> | undefined;
}

export type ComputeFacts =
  | {
      readonly kind: 'ecs';
      readonly service: TaggedResource;
      readonly taskRoleArn?: string;
      readonly executionRoleArn?: string;
    }
  | {
      readonly kind: 'eks';
      readonly nodegroup: TaggedResource;
      readonly nodeRoleArn?: string;
      readonly launchTemplateId?: string;
    };

export interface WorkloadFacts {
  readonly listener: TaggedResource;
  readonly rule?: TaggedResource;
  readonly compute: ComputeFacts;
}

export interface Finding {
  /** `problem`: a migration step will be refused. `unverified`: a precondition this check cannot read. */
  readonly severity: 'problem' | 'unverified';
  readonly resource: string;
  readonly message: string;
}

/** IAM-style ARN pattern match (`*` any run of characters, `?` one character). */
export function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

function tagged(resource: TaggedResource): boolean {
  return resource.tags?.[MANAGED_TAG_KEY] === MANAGED_TAG_VALUE;
}

const TAG = `${MANAGED_TAG_KEY}=${MANAGED_TAG_VALUE}`;

/** Every precondition of `workload` that `facts` shows is missing, in a stable order. */
export function preflightFindings(workload: Workload, facts: WorkloadFacts, scope: ManagedScope): Finding[] {
  return [...trafficFindings(workload, facts, scope), ...computeFindings(workload, facts.compute, scope)];
}

function missing(resource: TaggedResource, what: string): Finding | undefined {
  return resource.tags === undefined
    ? { severity: 'problem', resource: resource.arn, message: `${what} not found (or not readable)` }
    : undefined;
}

function trafficFindings(workload: Workload, facts: WorkloadFacts, scope: ManagedScope): Finding[] {
  const out: Finding[] = [];
  const listener = facts.listener;
  const notFound = missing(listener, 'listener');
  if (notFound) return [notFound];
  const rule = workload.traffic.ruleArn ? facts.rule : undefined;
  if (workload.traffic.ruleArn && (!rule || rule.tags === undefined))
    return [
      {
        severity: 'problem',
        resource: workload.traffic.ruleArn,
        message: 'listener rule not found (or not readable)',
      },
    ];
  if (scope.listenerArns.length > 0) {
    if (!scope.listenerArns.some((p) => arnMatches(p, listener.arn)))
      out.push({
        severity: 'problem',
        resource: listener.arn,
        message: 'listener is not among shadowscale:managed.listenerArns, so the weights cannot be changed',
      });
    return out;
  }
  // By tag: the weights live on the rule when there is one, and a rule does not inherit the
  // listener's tags, so the rule itself must carry the tag.
  const target = rule ?? listener;
  if (!tagged(target))
    out.push({
      severity: 'problem',
      resource: target.arn,
      message: `${rule ? 'listener rule' : 'listener'} is not tagged ${TAG} (elasticloadbalancing:${rule ? 'ModifyRule' : 'ModifyListener'} is limited to tagged ${rule ? 'rules' : 'listeners'})`,
    });
  return out;
}

function passRoleFinding(role: string | undefined, what: string, scope: ManagedScope): Finding[] {
  if (!role || scope.passRoleArns.length === 0) return [];
  if (scope.passRoleArns.some((p) => arnMatches(p, role))) return [];
  return [
    {
      severity: 'problem',
      resource: role,
      message: `${what} is not among shadowscale:managed.passRoleArns, so the shadow copy cannot be given it (iam:PassRole)`,
    },
  ];
}

function computeFindings(workload: Workload, facts: ComputeFacts, scope: ManagedScope): Finding[] {
  const compute = workload.compute;
  const out: Finding[] = [];
  if (facts.kind === 'ecs' && compute.kind === 'ecs') {
    const notFound = missing(facts.service, 'ECS service');
    if (notFound) return [notFound];
    if (scope.ecsClusters.length > 0) {
      if (!scope.ecsClusters.some((c) => arnMatches(c, compute.cluster)))
        out.push({
          severity: 'problem',
          resource: facts.service.arn,
          message: `cluster ${compute.cluster} is not among shadowscale:managed.ecsClusters`,
        });
    } else if (!tagged(facts.service)) {
      out.push({
        severity: 'problem',
        resource: facts.service.arn,
        message: `ECS service is not tagged ${TAG} (pre-warm and rollback scale it: ecs:UpdateService is limited to tagged services)`,
      });
    }
    out.push(...passRoleFinding(facts.taskRoleArn, 'task role', scope));
    out.push(...passRoleFinding(facts.executionRoleArn, 'task execution role', scope));
    return out;
  }
  if (facts.kind === 'eks' && compute.kind === 'eks') {
    const notFound = missing(facts.nodegroup, 'EKS nodegroup');
    if (notFound) return [notFound];
    if (scope.eksClusters.length > 0) {
      if (!scope.eksClusters.some((c) => arnMatches(c, compute.cluster)))
        out.push({
          severity: 'problem',
          resource: facts.nodegroup.arn,
          message: `cluster ${compute.cluster} is not among shadowscale:managed.eksClusters`,
        });
    } else if (!tagged(facts.nodegroup)) {
      out.push({
        severity: 'problem',
        resource: facts.nodegroup.arn,
        message: `EKS nodegroup is not tagged ${TAG} (pre-warm and rollback scale it: eks:UpdateNodegroupConfig is limited to tagged nodegroups)`,
      });
    }
    out.push(...passRoleFinding(facts.nodeRoleArn, 'node role', scope));
    const template = facts.launchTemplateId;
    if (template) {
      if (scope.launchTemplateIds.length > 0) {
        if (!scope.launchTemplateIds.includes(template))
          out.push({
            severity: 'problem',
            resource: template,
            message:
              'launch template is not among shadowscale:managed.launchTemplateIds, so the shadow nodegroup cannot use it',
          });
      } else {
        out.push({
          severity: 'unverified',
          resource: template,
          message: `launch template must be tagged ${TAG} (or registered in shadowscale:managed.launchTemplateIds); its tags are not read here`,
        });
      }
    }
    return out;
  }
  return [
    {
      severity: 'problem',
      resource: workload.workloadId,
      message: `read ${facts.kind} facts for a ${compute.kind} workload`,
    },
  ];
}
