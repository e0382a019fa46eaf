import { Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { Permission } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import type { ManagedResources } from '../config';
import { defaultStateMachineName } from './workflow';

/**
 * Least-privilege IAM for each `Permission` a FunctionSpec asks for. No statement has a `*`
 * action. Every write on ECS / EKS / ELBv2 is limited either by ARN to what the operator
 * registered in context (`shadowscale:managed`), or, when nothing is registered, by the tag
 * `shadowscale:managed = true` on the resource (`aws:ResourceTag`) or on the request
 * (`aws:RequestTag`, for creations). Per action:
 *
 * | action | scoped by |
 * |---|---|
 * | `ecs:DescribeServices` (`ecs:read`) | ARN `service/<cluster>/*` of registered clusters (else any service) |
 * | `ecs:UpdateService` (`ecs:scale`) | ARN as above; else tag on the service |
 * | `ecs:CreateService` (`ecs:create-shadow`) | ARN as above AND request tag (Shadowscale tags what it creates) |
 * | `ecs:RegisterTaskDefinition` (`ecs:create-shadow`) | ARN `task-definition/*-shadow:*` (shadow families) AND request tag |
 * | `ecs:TagResource` (`ecs:create-shadow`) | services above and shadow task definitions, only during CreateService/RegisterTaskDefinition (`ecs:CreateAction`) |
 * | `ecs:DescribeTaskDefinition` (`ecs:create-shadow`, `ecs:deploy`) | none possible (read, resource `*`, acknowledged) |
 * | `ecs:RegisterTaskDefinition` (`ecs:deploy`) | ARN `task-definition/*:*` (the service's own family, known at run time) AND request tag |
 * | `ecs:TagResource` (`ecs:deploy`) | task definitions, only during RegisterTaskDefinition (`ecs:CreateAction`) |
 * | `ecs:DeleteService` (`ecs:delete-shadow`) | ARN as above AND resource tag (only shadow services it created) |
 * | `eks:DescribeNodegroup` (`eks:read`) | ARN `nodegroup/<cluster>/*` of registered clusters (else any) |
 * | `eks:UpdateNodegroupConfig` (`eks:scale`) | ARN as above; else resource tag |
 * | `eks:CreateNodegroup` (`eks:create-shadow`) | ARN `cluster/<cluster>` of registered clusters (else any) AND request tag |
 * | `eks:TagResource` (`eks:create-shadow`) | nodegroup ARNs AND request tag |
 * | `ec2:DescribeLaunchTemplateVersions` (`eks:create-shadow`) | none possible (read, resource `*`, acknowledged) |
 * | `ec2:RunInstances` (`eks:create-shadow`) | registered launch templates (else templates tagged), and the launch's resources only via them (`ec2:LaunchTemplate`) |
 * | `ec2:CreateTags` (`eks:create-shadow`) | instances, volumes, interfaces, only during RunInstances (`ec2:CreateAction`) |
 * | `eks:DeleteNodegroup` (`eks:delete-shadow`) | ARN as above AND resource tag |
 * | `eks:DescribeCluster` (`eks:kubernetes-api`) | ARN `cluster/<cluster>` of registered clusters; else clusters tagged `shadowscale:managed=true` (what the role may then do inside the cluster is its access entry and RBAC) |
 * | `application-autoscaling:DescribeScalableTargets` (`ecs:set-floor`) | none possible (read, resource `*`, acknowledged) |
 * | `application-autoscaling:RegisterScalableTarget` (`ecs:set-floor`) | scalable targets of this account/region (ids assigned by AWS) |
 * | `elasticloadbalancing:ModifyListener` | registered listener ARNs; else tag on the listener |
 * | `elasticloadbalancing:ModifyRule` | rules under registered listener ARNs; else tag on the rule |
 * | `elasticloadbalancing:DescribeListeners/DescribeRules/DescribeTargetHealth` | none possible (read, resource `*`, acknowledged) |
 * | `iam:PassRole` | registered role ARNs; else roles of this account, only to ECS tasks / EKS |
 * | `lambda:InvokeFunction` (smoke test, `tests:start`) | functions of this account/region tagged `shadowscale:managed=true` |
 * | `codebuild:StartBuild` (`tests:start`) | registered test projects (`managed.testProjects`); else projects tagged `shadowscale:managed=true` (Lambda runners likewise, `managed.testFunctions`) |
 * | `route53:ChangeResourceRecordSets`, `GetChange` (`route53:shift-weights`) | registered hosted zones only (refused at synth when none); change ids |
 * | `route53:ListResourceRecordSets` (`route53:read-weights`, `route53:shift-weights`) | registered hosted zones only |
 * | `standby:read` / `standby:scale` | ECS services / EKS nodegroups in the standby region (Describe; plus Update for scale) |
 * | `cloudwatch:GetMetricData` | none possible (read, resource `*`, acknowledged) |
 * | `cloudwatch:PutMetricData` | condition `cloudwatch:namespace = Shadowscale` (resource `*`, acknowledged) |
 * | `events:PutEvents` | the Shadowscale event bus ARN |
 * | `states:StartExecution` (regional detector) | the regional-failover and regional-failback state machines, by name |
 * | `ec2:CreateSnapshot` (`ec2:snapshot-volumes`) | snapshots only with the request tag; volumes of this account/region (the tasks' volumes are known at run time) |
 * | `ec2:CreateTags` (`ec2:snapshot-volumes`) | snapshots, only during CreateSnapshot (`ec2:CreateAction`) |
 * | `ec2:DescribeInstances/DescribeSnapshots`, `ecs:ListTasks` (`ec2:snapshot-volumes`) | none possible (read, resource `*`, acknowledged) |
 * | `ecs:DescribeTasks` (`ec2:snapshot-volumes`) | tasks of registered clusters (else any task of this account/region) |
 * | `codebuild:StartBuild` (`builds:start`) | the build projects registered in `managed.buildProjects` (none: no statement, the starter can start nothing) |
 * | `codebuild:BatchGetBuilds` (`builds:read-status`) | the same registered build projects (none: no statement) |
 * | `codepipeline:PutJobSuccessResult`, `PutJobFailureResult` (`pipeline:report-jobs`) | no resource possible (the job actions support no resource-level permissions; resource `*`, acknowledged); condition `aws:RequestedRegion` = the stack's region; the job id arrives in the invocation |
 * | `codebuild:StartBuild`, `states:StartExecution` (`lifecycle:start-diagnostics`) | the projects and state machines the registered lifecycle rules name (none: no statement) |
 * | `sns:Publish` (`sns:notify`) | the topics the registered lifecycle rules name (none: no statement) |
 */
export const MANAGED_TAG_KEY = 'shadowscale:managed';
export const MANAGED_TAG_VALUE = 'true';
export const METRICS_NAMESPACE = 'Shadowscale';
/** Suffix of the task-definition family of a shadow ECS service (shared/aws/ecs-pool.ts). */
export const SHADOW_FAMILY_SUFFIX = '-shadow';

export interface PermissionContext {
  readonly managed: ManagedResources;
  readonly eventBus: events.IEventBus;
  /** Extra listener ARN patterns to allow (e.g. the demo stack's ALB), added to `managed.listenerArns`. */
  readonly extraListenerArns?: readonly string[];
  /** Extra ECS cluster names (e.g. the demo cluster). */
  readonly extraEcsClusters?: readonly string[];
  /** The standby region (`standby:scale` grants there); required by that permission. */
  readonly standbyRegion?: string;
  /** What the registered workloads' lifecycle rules name (topics, projects, state machines). */
  readonly lifecycleTargets?: LifecycleTargets;
}

/** The resources lifecycle actions may act on, collected from the workload definitions. */
export interface LifecycleTargets {
  readonly topicArns: readonly string[];
  readonly codebuildProjects: readonly string[];
  readonly stateMachineArns: readonly string[];
}

/** A statement plus, when its resource contains a wildcard, why that wildcard is needed. */
export interface ScopedStatement {
  readonly statement: iam.PolicyStatement;
  /** Required when any resource contains `*`: names the actions and the reason (becomes the nag acknowledgement). */
  readonly wildcardReason?: string;
}

const resourceTag = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG_KEY}`]: MANAGED_TAG_VALUE } };
const requestTag = { StringEquals: { [`aws:RequestTag/${MANAGED_TAG_KEY}`]: MANAGED_TAG_VALUE } };

function arnFor(scope: IConstruct, service: string, resource: string, region = true): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:${service}:${region ? stack.region : ''}:${stack.account}:${resource}`;
}

function statement(props: iam.PolicyStatementProps, wildcardReason?: string): ScopedStatement {
  return { statement: new iam.PolicyStatement({ effect: iam.Effect.ALLOW, ...props }), wildcardReason };
}

/** ECS statements by intent; each list is what one `Permission` adds. */
function ecsStatements(
  scope: IConstruct,
  ctx: PermissionContext,
  part: 'read' | 'scale' | 'create' | 'delete' | 'deploy',
): ScopedStatement[] {
  const clusters = [...ctx.managed.ecsClusters, ...(ctx.extraEcsClusters ?? [])];
  const byArn = clusters.length > 0;
  const services = byArn
    ? clusters.map((c) => arnFor(scope, 'ecs', `service/${c}/*`))
    : [arnFor(scope, 'ecs', 'service/*/*')];
  const servicesWhy = byArn
    ? `services of the registered ECS clusters (${clusters.join(', ')}): the shadow service's name is only known at run time`
    : 'no ECS cluster registered in shadowscale:managed.ecsClusters, so every ECS action here is limited by the tag shadowscale:managed=true instead';
  // The shadow copy of family F is registered as `F-shadow` (shared/aws/ecs-pool.ts).
  const shadowTaskDefinitions = arnFor(scope, 'ecs', `task-definition/*${SHADOW_FAMILY_SUFFIX}:*`);
  switch (part) {
    case 'read':
      return [
        statement(
          { sid: 'EcsDescribeServices', actions: ['ecs:DescribeServices'], resources: services },
          `ecs:DescribeServices on ${servicesWhy}`,
        ),
      ];
    case 'scale':
      return [
        statement(
          {
            sid: 'EcsUpdateService',
            actions: ['ecs:UpdateService'],
            resources: services,
            ...(byArn ? {} : { conditions: resourceTag }),
          },
          `ecs:UpdateService (scale primary and shadow) on ${servicesWhy}`,
        ),
      ];
    case 'delete':
      return [
        statement(
          {
            sid: 'EcsDeleteShadowService',
            actions: ['ecs:DeleteService'],
            resources: services,
            conditions: resourceTag,
          },
          `ecs:DeleteService, only of services tagged shadowscale:managed=true, on ${servicesWhy}`,
        ),
      ];
    case 'create':
      return ecsCreateStatements(scope, ctx, { services, servicesWhy, shadowTaskDefinitions });
    case 'deploy':
      return ecsDeployStatements(scope, ctx);
    default: {
      const unknown: never = part;
      throw new ValidationError(`unknown ECS permission part ${JSON.stringify(unknown)}`);
    }
  }
}

/** Creating the shadow service: the service, its tags, the shadow task definition, the task roles. */
function ecsCreateStatements(
  scope: IConstruct,
  ctx: PermissionContext,
  target: { services: string[]; servicesWhy: string; shadowTaskDefinitions: string },
): ScopedStatement[] {
  const { services, servicesWhy, shadowTaskDefinitions } = target;
  return [
    statement(
      {
        sid: 'EcsCreateShadowService',
        actions: ['ecs:CreateService'],
        resources: services,
        conditions: requestTag,
      },
      `ecs:CreateService, only with the request tag shadowscale:managed=true, on ${servicesWhy}`,
    ),
    statement(
      {
        sid: 'EcsTagOnCreate',
        actions: ['ecs:TagResource'],
        resources: [...services, shadowTaskDefinitions],
        conditions: { StringEquals: { 'ecs:CreateAction': ['CreateService', 'RegisterTaskDefinition'] } },
      },
      `ecs:TagResource only as part of CreateService/RegisterTaskDefinition (ecs:CreateAction), on the services above and revisions of shadow task-definition families (*${SHADOW_FAMILY_SUFFIX}: the primary's family is only known at run time)`,
    ),
    statement(
      {
        sid: 'EcsRegisterShadowTaskDefinition',
        actions: ['ecs:RegisterTaskDefinition'],
        resources: [shadowTaskDefinitions],
        conditions: requestTag,
      },
      `ecs:RegisterTaskDefinition of shadow task-definition families (*${SHADOW_FAMILY_SUFFIX}, any revision), only tagging the revision shadowscale:managed=true`,
    ),
    statement(
      { sid: 'EcsDescribeTaskDefinition', actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] },
      'ecs:DescribeTaskDefinition (read the primary to copy it) does not support resource-level permissions',
    ),
    passRole(scope, ctx, 'ecs-tasks.amazonaws.com', 'EcsPassTaskRoles'),
  ];
}

/**
 * Deploying a version to the primary: a new image is registered as the next revision of the
 * service's own family (the primary's family is only known at run time); the service is then
 * updated (ecs:scale).
 */
function ecsDeployStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  const anyRevision = arnFor(scope, 'ecs', 'task-definition/*:*');
  return [
    statement(
      {
        sid: 'EcsRegisterRevision',
        actions: ['ecs:RegisterTaskDefinition'],
        resources: [anyRevision],
        conditions: requestTag,
      },
      'ecs:RegisterTaskDefinition of a new revision of the deployed service family (known only at run time), only tagging the revision shadowscale:managed=true',
    ),
    statement(
      {
        sid: 'EcsTagOnRegister',
        actions: ['ecs:TagResource'],
        resources: [anyRevision],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      },
      'ecs:TagResource only as part of RegisterTaskDefinition (ecs:CreateAction), on the revision it registers',
    ),
    statement(
      { sid: 'EcsReadRevision', actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] },
      'ecs:DescribeTaskDefinition (read the running revision to copy it) does not support resource-level permissions',
    ),
    passRole(scope, ctx, 'ecs-tasks.amazonaws.com', 'EcsDeployPassTaskRoles'),
  ];
}

/** EKS statements by intent; each list is what one `Permission` adds. */
function eksStatements(
  scope: IConstruct,
  ctx: PermissionContext,
  part: 'read' | 'scale' | 'create' | 'delete',
): ScopedStatement[] {
  const clusters = ctx.managed.eksClusters;
  const byArn = clusters.length > 0;
  const clusterArns = byArn
    ? clusters.map((c) => arnFor(scope, 'eks', `cluster/${c}`))
    : [arnFor(scope, 'eks', 'cluster/*')];
  const nodegroups = byArn
    ? clusters.map((c) => arnFor(scope, 'eks', `nodegroup/${c}/*/*`))
    : [arnFor(scope, 'eks', 'nodegroup/*/*/*')];
  const why = byArn
    ? `nodegroups of the registered EKS clusters (${clusters.join(', ')}): names and ids of shadow nodegroups are only known at run time`
    : 'no EKS cluster registered in shadowscale:managed.eksClusters, so every EKS write here is limited by the tag shadowscale:managed=true instead';
  switch (part) {
    case 'read':
      return [
        statement(
          { sid: 'EksDescribeNodegroup', actions: ['eks:DescribeNodegroup'], resources: nodegroups },
          `eks:DescribeNodegroup (read) on ${why}`,
        ),
      ];
    case 'scale':
      return [
        statement(
          {
            sid: 'EksScaleNodegroup',
            actions: ['eks:UpdateNodegroupConfig'],
            resources: nodegroups,
            ...(byArn ? {} : { conditions: resourceTag }),
          },
          `eks:UpdateNodegroupConfig on ${why}`,
        ),
      ];
    case 'delete':
      return [
        statement(
          {
            sid: 'EksDeleteShadowNodegroup',
            actions: ['eks:DeleteNodegroup'],
            resources: nodegroups,
            conditions: resourceTag,
          },
          `eks:DeleteNodegroup, only of nodegroups tagged shadowscale:managed=true, on ${why}`,
        ),
      ];
    case 'create':
      return [
        statement(
          {
            sid: 'EksCreateShadowNodegroup',
            actions: ['eks:CreateNodegroup'],
            resources: clusterArns,
            conditions: requestTag,
          },
          `eks:CreateNodegroup, only with the request tag shadowscale:managed=true, on ${why}`,
        ),
        statement(
          {
            sid: 'EksTagOnCreate',
            actions: ['eks:TagResource'],
            resources: nodegroups,
            conditions: requestTag,
          },
          `eks:TagResource, only writing shadowscale:managed=true, on ${why}`,
        ),
        passRole(scope, ctx, 'eks.amazonaws.com', 'EksPassNodeRole'),
        ...launchTemplateStatements(scope, ctx),
      ];
    default: {
      const unknown: never = part;
      throw new ValidationError(`unknown EKS permission part ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * A shadow nodegroup copies the primary's launch template. EKS checks that the caller of
 * CreateNodegroup may use that template: it reads the version with the caller's rights
 * (`ec2:DescribeLaunchTemplateVersions`) and the caller must be allowed to launch instances from
 * it (`ec2:RunInstances` on the template and on the resources a launch touches) and to tag them
 * (`ec2:CreateTags`, only as part of RunInstances); see the EKS user guide, "Customize managed
 * nodes with launch templates", and the CreateNodegroup API reference. Every EC2 statement is
 * bound to the registered templates (`shadowscale:managed.launchTemplateIds`) or, when none is
 * registered, to templates tagged shadowscale:managed=true.
 */
function launchTemplateStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  const ids = ctx.managed.launchTemplateIds;
  const byArn = ids.length > 0;
  const templates = byArn
    ? ids.map((id) => arnFor(scope, 'ec2', `launch-template/${id}`))
    : [arnFor(scope, 'ec2', 'launch-template/*')];
  const stack = Stack.of(scope);
  const launched = ['instance/*', 'volume/*', 'network-interface/*'].map((r) => arnFor(scope, 'ec2', r));
  const used = [
    ...['subnet/*', 'security-group/*', 'key-pair/*'].map((r) => arnFor(scope, 'ec2', r)),
    `arn:${stack.partition}:ec2:${stack.region}::image/*`,
  ];
  const fromTemplate = { ArnLike: { 'ec2:LaunchTemplate': templates } };
  const which = byArn
    ? `the registered launch templates (${ids.join(', ')})`
    : 'launch templates tagged shadowscale:managed=true (none registered in shadowscale:managed.launchTemplateIds)';
  return [
    statement(
      {
        sid: 'Ec2ReadLaunchTemplate',
        actions: ['ec2:DescribeLaunchTemplateVersions'],
        resources: ['*'],
      },
      'ec2:DescribeLaunchTemplateVersions (EKS validates the primary nodegroup launch template with the caller rights) does not support resource-level permissions',
    ),
    statement(
      {
        sid: 'Ec2UseLaunchTemplate',
        actions: ['ec2:RunInstances'],
        resources: templates,
        ...(byArn ? {} : { conditions: resourceTag }),
      },
      `ec2:RunInstances (as checked by eks:CreateNodegroup) on ${which}`,
    ),
    statement(
      {
        sid: 'Ec2LaunchFromTemplate',
        actions: ['ec2:RunInstances'],
        resources: [...launched, ...used],
        conditions: fromTemplate,
      },
      `ec2:RunInstances on the instances, volumes, interfaces, subnets, security groups, images and key pairs of a launch, only from ${which} (ec2:LaunchTemplate)`,
    ),
    statement(
      {
        sid: 'Ec2TagOnLaunch',
        actions: ['ec2:CreateTags'],
        resources: launched,
        conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
      },
      'ec2:CreateTags only as part of RunInstances (ec2:CreateAction), on the instances, volumes and interfaces it creates (ids assigned by EC2)',
    ),
  ];
}

function passRole(scope: IConstruct, ctx: PermissionContext, service: string, sid: string): ScopedStatement {
  const roles = ctx.managed.passRoleArns;
  const resources = roles.length > 0 ? [...roles] : [arnFor(scope, 'iam', 'role/*', false)];
  return statement(
    {
      sid,
      actions: ['iam:PassRole'],
      resources,
      conditions: { StringEquals: { 'iam:PassedToService': service } },
    },
    roles.length > 0
      ? `iam:PassRole on the registered roles (shadowscale:managed.passRoleArns), only to ${service}`
      : `iam:PassRole of the primary's roles (unknown at synth: register them in shadowscale:managed.passRoleArns to narrow this), only to ${service}`,
  );
}

function elbReadWeightsStatement(): ScopedStatement {
  return statement(
    {
      sid: 'ElbReadWeights',
      actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'],
      resources: ['*'],
    },
    'elasticloadbalancing:DescribeListeners/DescribeRules (read the weights back) do not support resource-level permissions',
  );
}

function elbReadHealthStatement(): ScopedStatement {
  return statement(
    {
      sid: 'ElbReadTargetHealth',
      actions: ['elasticloadbalancing:DescribeTargetHealth'],
      resources: ['*'],
    },
    'elasticloadbalancing:DescribeTargetHealth (read) does not support resource-level permissions',
  );
}

function elbShiftStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  const listeners = [...ctx.managed.listenerArns, ...(ctx.extraListenerArns ?? [])];
  if (listeners.length > 0) {
    const rules = listeners.map((l) => `${l.replace(':listener/', ':listener-rule/')}/*`);
    return [
      statement(
        {
          sid: 'ElbShiftListenerWeights',
          actions: ['elasticloadbalancing:ModifyListener'],
          resources: listeners,
        },
        'elasticloadbalancing:ModifyListener on the registered listener ARN patterns (shadowscale:managed.listenerArns)',
      ),
      statement(
        { sid: 'ElbShiftRuleWeights', actions: ['elasticloadbalancing:ModifyRule'], resources: rules },
        'elasticloadbalancing:ModifyRule on rules under the registered listeners (rule ids are assigned by ELB)',
      ),
    ];
  }
  return [
    statement(
      {
        sid: 'ElbShiftListenerWeights',
        actions: ['elasticloadbalancing:ModifyListener'],
        resources: [arnFor(scope, 'elasticloadbalancing', 'listener/app/*/*/*')],
        conditions: resourceTag,
      },
      'elasticloadbalancing:ModifyListener: no listener registered in shadowscale:managed.listenerArns, so limited to ALB listeners tagged shadowscale:managed=true',
    ),
    statement(
      {
        sid: 'ElbShiftRuleWeights',
        actions: ['elasticloadbalancing:ModifyRule'],
        resources: [arnFor(scope, 'elasticloadbalancing', 'listener-rule/app/*/*/*/*')],
        conditions: resourceTag,
      },
      'elasticloadbalancing:ModifyRule: no listener registered in shadowscale:managed.listenerArns, so limited to ALB rules tagged shadowscale:managed=true',
    ),
  ];
}

/**
 * Describe and scale the workload's own service / nodegroup in the standby region: by ARN in that
 * region for registered clusters, else limited to resources tagged shadowscale:managed=true.
 */
function standbyStatements(
  scope: IConstruct,
  ctx: PermissionContext,
  part: 'read' | 'scale',
): ScopedStatement[] {
  const region = ctx.standbyRegion;
  if (!region) {
    throw new ValidationError(
      `permission standby:${part} needs a standby region: set context shadowscale:standbyRegion`,
      [{ path: 'standbyRegion', message: 'must be set for regional failover', received: region }],
    );
  }
  const stack = Stack.of(scope);
  const at = (service: string, resource: string) =>
    `arn:${stack.partition}:${service}:${region}:${stack.account}:${resource}`;
  const ecsClusters = [...ctx.managed.ecsClusters, ...(ctx.extraEcsClusters ?? [])];
  const eksClusters = ctx.managed.eksClusters;
  const services =
    ecsClusters.length > 0 ? ecsClusters.map((c) => at('ecs', `service/${c}/*`)) : [at('ecs', 'service/*/*')];
  const nodegroups =
    eksClusters.length > 0
      ? eksClusters.map((c) => at('eks', `nodegroup/${c}/*/*`))
      : [at('eks', 'nodegroup/*/*/*')];
  const why = (what: string, byArn: boolean) =>
    byArn
      ? `${what} in the standby region ${region}, under the registered clusters: the service name comes from workload definitions at run time`
      : `${what} in the standby region ${region}: no cluster registered, so limited to resources tagged shadowscale:managed=true`;
  const reads = [
    statement(
      { sid: 'StandbyEcsDescribe', actions: ['ecs:DescribeServices'], resources: services },
      why('ecs:DescribeServices', ecsClusters.length > 0),
    ),
    statement(
      { sid: 'StandbyEksDescribe', actions: ['eks:DescribeNodegroup'], resources: nodegroups },
      why('eks:DescribeNodegroup', eksClusters.length > 0),
    ),
  ];
  if (part === 'read') return reads;
  return [
    ...reads,
    statement(
      {
        sid: 'StandbyEcsScale',
        actions: ['ecs:UpdateService'],
        resources: services,
        ...(ecsClusters.length > 0 ? {} : { conditions: resourceTag }),
      },
      why('ecs:UpdateService', ecsClusters.length > 0),
    ),
    statement(
      {
        sid: 'StandbyEksScale',
        actions: ['eks:UpdateNodegroupConfig'],
        resources: nodegroups,
        ...(eksClusters.length > 0 ? {} : { conditions: resourceTag }),
      },
      why('eks:UpdateNodegroupConfig', eksClusters.length > 0),
    ),
  ];
}

/** Finding a pool's EBS volumes and snapshotting them, tagged on creation. */
function snapshotStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  const clusters = [...ctx.managed.ecsClusters, ...(ctx.extraEcsClusters ?? [])];
  const tasks =
    clusters.length > 0
      ? clusters.map((c) => arnFor(scope, 'ecs', `task/${c}/*`))
      : [arnFor(scope, 'ecs', 'task/*/*')];
  const stack = Stack.of(scope);
  const snapshots = `arn:${stack.partition}:ec2:${stack.region}::snapshot/*`;
  return [
    statement(
      {
        sid: 'SnapshotFindVolumes',
        actions: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ecs:ListTasks'],
        resources: ['*'],
      },
      'ec2:DescribeInstances, ec2:DescribeSnapshots and ecs:ListTasks (reads) do not support resource-level permissions',
    ),
    statement(
      { sid: 'SnapshotDescribeTasks', actions: ['ecs:DescribeTasks'], resources: tasks },
      `ecs:DescribeTasks on tasks of ${clusters.length > 0 ? `the registered ECS clusters (${clusters.join(', ')})` : 'any cluster (none registered)'}: task ids are only known at run time`,
    ),
    statement(
      {
        sid: 'SnapshotReadVolume',
        actions: ['ec2:CreateSnapshot'],
        resources: [arnFor(scope, 'ec2', 'volume/*')],
      },
      "ec2:CreateSnapshot on volumes of this account and region: the volumes attached to a workload's tasks or instances are only known at run time",
    ),
    statement(
      {
        sid: 'SnapshotCreate',
        actions: ['ec2:CreateSnapshot'],
        resources: [snapshots],
        conditions: requestTag,
      },
      'ec2:CreateSnapshot creates snapshots whose ids AWS assigns: only with the request tag shadowscale:managed=true',
    ),
    statement(
      {
        sid: 'SnapshotTagOnCreate',
        actions: ['ec2:CreateTags'],
        resources: [snapshots],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
      },
      'ec2:CreateTags on new snapshots, only as part of CreateSnapshot',
    ),
  ];
}

/** The registered hosted zones; Route 53 rights are never granted on every zone of the account. */
function hostedZones(ctx: PermissionContext, permission: Permission): readonly string[] {
  const zones = ctx.managed.hostedZoneIds;
  if (zones.length === 0)
    throw new ValidationError(
      `permission ${permission} needs hosted zones: set context shadowscale:managed.hostedZoneIds (got [])`,
      [
        {
          path: 'shadowscale:managed.hostedZoneIds',
          message: 'must list at least one hosted zone id',
          received: [],
        },
      ],
    );
  return zones;
}

function putMetricsStatement(): ScopedStatement {
  return statement(
    {
      sid: 'CloudWatchPutShadowscaleMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
    },
    `cloudwatch:PutMetricData does not support resource-level permissions; limited to the namespace ${METRICS_NAMESPACE}`,
  );
}

/** Read the scalable targets and raise a primary ECS service's MinCapacity (pre-warm's floor). */
function setFloorStatements(scope: IConstruct): ScopedStatement[] {
  return [
    statement(
      {
        sid: 'AutoScalingReadTargets',
        actions: ['application-autoscaling:DescribeScalableTargets'],
        resources: ['*'],
      },
      'application-autoscaling:DescribeScalableTargets (read) does not support resource-level permissions',
    ),
    statement(
      {
        sid: 'AutoScalingSetFloor',
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: [arnFor(scope, 'application-autoscaling', 'scalable-target/*')],
      },
      'application-autoscaling:RegisterScalableTarget (MinCapacity of a primary ECS service) on scalable targets of this account and region, whose ids are assigned by AWS',
    ),
  ];
}

function invokeSmokeStatement(scope: IConstruct): ScopedStatement {
  return statement(
    {
      sid: 'LambdaInvokeSmokeTest',
      actions: ['lambda:InvokeFunction'],
      resources: [arnFor(scope, 'lambda', 'function:*')],
      conditions: resourceTag,
    },
    'lambda:InvokeFunction of smoke-test functions named in workload definitions at run time: limited to functions tagged shadowscale:managed=true',
  );
}

/** Start the integration-test runners (CodeBuild projects or functions) tagged as managed. */
/**
 * Start integration tests: only the registered test runners (`managed.testProjects` /
 * `managed.testFunctions`), else those tagged shadowscale:managed=true.
 */
function startTestsStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  const projects = ctx.managed.testProjects ?? [];
  const functions = ctx.managed.testFunctions ?? [];
  return [
    statement(
      {
        sid: 'CodeBuildStartTests',
        actions: ['codebuild:StartBuild'],
        resources:
          projects.length > 0
            ? projects.map((p) => arnFor(scope, 'codebuild', `project/${p}`))
            : [arnFor(scope, 'codebuild', 'project/*')],
        ...(projects.length > 0 ? {} : { conditions: resourceTag }),
      },
      projects.length > 0
        ? 'codebuild:StartBuild on the registered test projects (shadowscale:managed.testProjects, name patterns as given)'
        : 'codebuild:StartBuild of the integration-test projects named in workload definitions at run time: limited to projects tagged shadowscale:managed=true',
    ),
    statement(
      {
        sid: 'LambdaInvokeTests',
        actions: ['lambda:InvokeFunction'],
        resources:
          functions.length > 0
            ? functions.map((f) => arnFor(scope, 'lambda', `function:${f}`))
            : [arnFor(scope, 'lambda', 'function:*')],
        ...(functions.length > 0 ? {} : { conditions: resourceTag }),
      },
      functions.length > 0
        ? 'lambda:InvokeFunction of the registered test functions (shadowscale:managed.testFunctions, name patterns as given)'
        : 'lambda:InvokeFunction of integration-test functions named in workload definitions at run time: limited to functions tagged shadowscale:managed=true',
    ),
  ];
}

/** Weighted records in the registered hosted zones only: read them, or also change them. */
function route53Statements(
  scope: IConstruct,
  ctx: PermissionContext,
  part: 'read' | 'shift',
): ScopedStatement[] {
  const zones = hostedZones(ctx, part === 'read' ? 'route53:read-weights' : 'route53:shift-weights');
  const stack = Stack.of(scope);
  const hostedZoneArns = zones.map((z) => `arn:${stack.partition}:route53:::hostedzone/${z}`);
  if (part === 'read')
    return [
      statement({
        sid: 'Route53ReadRegionWeights',
        actions: ['route53:ListResourceRecordSets'],
        resources: hostedZoneArns,
      }),
    ];
  return [
    statement({
      sid: 'Route53ShiftRegionWeights',
      actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
      resources: hostedZoneArns,
    }),
    statement(
      {
        sid: 'Route53GetChange',
        actions: ['route53:GetChange'],
        resources: [`arn:${stack.partition}:route53:::change/*`],
      },
      'route53:GetChange (read) on change ids, which are only known after a change is submitted',
    ),
  ];
}

/** The statements granting one permission. Throws `ValidationError` when it cannot be scoped. */
/**
 * eks:DescribeCluster, the endpoint and CA of the cluster's Kubernetes API (deploy-time branching
 * on EKS). Scoped to the registered clusters, else to clusters tagged shadowscale:managed=true.
 * Signing the API token (a presigned sts:GetCallerIdentity) needs no IAM permission.
 */
function eksClusterAccessStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  const clusters = ctx.managed.eksClusters;
  if (clusters.length > 0) {
    return [
      statement({
        sid: 'EksDescribeCluster',
        actions: ['eks:DescribeCluster'],
        resources: clusters.map((c) => arnFor(scope, 'eks', `cluster/${c}`)),
      }),
    ];
  }
  return [
    statement(
      {
        sid: 'EksDescribeCluster',
        actions: ['eks:DescribeCluster'],
        resources: [arnFor(scope, 'eks', 'cluster/*')],
        conditions: resourceTag,
      },
      'eks:DescribeCluster: no EKS cluster registered in shadowscale:managed.eksClusters, so it is limited to clusters tagged shadowscale:managed=true',
    ),
  ];
}

/** The ECS and EKS permission names, by the part of the pool statements each adds. */
const POOL_PART = {
  'ecs:read': 'read',
  'ecs:scale': 'scale',
  'ecs:create-shadow': 'create',
  'ecs:delete-shadow': 'delete',
  'ecs:deploy': 'deploy',
  'eks:read': 'read',
  'eks:scale': 'scale',
  'eks:create-shadow': 'create',
  'eks:delete-shadow': 'delete',
} as const;

/** StartExecution of this region's regional failover and failback state machines (the detector). */
function startRegionalStatements(scope: IConstruct): ScopedStatement[] {
  const stack = Stack.of(scope);
  const machine = (id: string) =>
    `arn:${stack.partition}:states:${stack.region}:${stack.account}:stateMachine:${defaultStateMachineName(id)}`;
  return [
    statement({
      sid: 'StatesStartRegional',
      actions: ['states:StartExecution'],
      resources: [machine('RegionalFailover'), machine('RegionalFailback')],
    }),
  ];
}

/** Lifecycle diagnostics: StartBuild / StartExecution on exactly the projects and machines rules name. */
function lifecycleDiagnosticsStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  const t = ctx.lifecycleTargets;
  const projects = (t?.codebuildProjects ?? []).map((p) => arnFor(scope, 'codebuild', `project/${p}`));
  return [
    ...(projects.length > 0
      ? [statement({ sid: 'LifecycleStartBuild', actions: ['codebuild:StartBuild'], resources: projects })]
      : []),
    ...((t?.stateMachineArns.length ?? 0) > 0
      ? [
          statement({
            sid: 'LifecycleStartExecution',
            actions: ['states:StartExecution'],
            resources: [...(t?.stateMachineArns ?? [])],
          }),
        ]
      : []),
  ];
}

/**
 * One CodeBuild action on exactly the registered build projects. No tag fallback and no statement
 * when none is registered: a wrong start costs build minutes. A name pattern (`app-*`) is an
 * operator's choice and is acknowledged as such.
 */
function onBuildProjects(
  scope: IConstruct,
  ctx: PermissionContext,
  sid: string,
  action: 'codebuild:StartBuild' | 'codebuild:BatchGetBuilds',
): ScopedStatement[] {
  const projects = ctx.managed.buildProjects ?? [];
  if (projects.length === 0) return [];
  return [
    statement(
      {
        sid,
        actions: [action],
        resources: projects.map((p) => arnFor(scope, 'codebuild', `project/${p}`)),
      },
      projects.some((p) => p.includes('*'))
        ? `${action} on the build projects registered in shadowscale:managed.buildProjects, name patterns as given (${projects.join(', ')})`
        : undefined,
    ),
  ];
}

/** The build starter: StartBuild on exactly the registered build projects. */
function startBuildsStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  return onBuildProjects(scope, ctx, 'CodeBuildStartSizedBuilds', 'codebuild:StartBuild');
}

/** Follow the builds the broker started: BatchGetBuilds on exactly the registered build projects. */
function readBuildStatusStatements(scope: IConstruct, ctx: PermissionContext): ScopedStatement[] {
  return onBuildProjects(scope, ctx, 'CodeBuildReadSizedBuilds', 'codebuild:BatchGetBuilds');
}

/**
 * Report a CodePipeline Lambda invoke action's job. The job actions name no resource type in the
 * service authorization reference, so the only possible resource is `*`; the job id comes with
 * the invocation, from CodePipeline.
 */
function reportPipelineJobsStatement(scope: IConstruct): ScopedStatement {
  return statement(
    {
      sid: 'CodePipelineReportJobs',
      actions: ['codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'],
      resources: ['*'],
      // The function reports to CodePipeline in its own region (its client's): nowhere else.
      conditions: { StringEquals: { 'aws:RequestedRegion': Stack.of(scope).region } },
    },
    'codepipeline:PutJobSuccessResult and PutJobFailureResult do not support resource-level permissions (the job id arrives with the invocation); limited to the stack region',
  );
}

/** Lifecycle notify: sns:Publish on exactly the topics rules name (none: no statement). */
function lifecycleNotifyStatements(ctx: PermissionContext): ScopedStatement[] {
  const topics = ctx.lifecycleTargets?.topicArns ?? [];
  return topics.length > 0
    ? [statement({ sid: 'LifecycleNotify', actions: ['sns:Publish'], resources: [...topics] })]
    : [];
}

export function permissionStatements(
  scope: IConstruct,
  permission: Permission,
  ctx: PermissionContext,
): ScopedStatement[] {
  switch (permission) {
    case 'cloudwatch:read':
      return [
        statement(
          { sid: 'CloudWatchRead', actions: ['cloudwatch:GetMetricData'], resources: ['*'] },
          'cloudwatch:GetMetricData (read) does not support resource-level permissions',
        ),
      ];
    case 'cloudwatch:put-metrics':
      return [putMetricsStatement()];
    case 'states:start-regional':
      return startRegionalStatements(scope);
    case 'events:put':
      return [
        statement({ sid: 'EventsPut', actions: ['events:PutEvents'], resources: [ctx.eventBus.eventBusArn] }),
      ];
    case 'ecs:read':
    case 'ecs:scale':
    case 'ecs:create-shadow':
    case 'ecs:delete-shadow':
    case 'ecs:deploy':
      return ecsStatements(scope, ctx, POOL_PART[permission]);
    case 'ecs:set-floor':
      return setFloorStatements(scope);
    case 'ecs:manage-shadow':
      return (['read', 'scale', 'create', 'delete'] as const).flatMap((p) => ecsStatements(scope, ctx, p));
    case 'eks:read':
    case 'eks:scale':
    case 'eks:create-shadow':
    case 'eks:delete-shadow':
      return eksStatements(scope, ctx, POOL_PART[permission]);
    case 'eks:manage-shadow':
      return (['read', 'scale', 'create', 'delete'] as const).flatMap((p) => eksStatements(scope, ctx, p));
    case 'eks:kubernetes-api':
      return eksClusterAccessStatements(scope, ctx);
    case 'elb:shift-weights':
      return elbShiftStatements(scope, ctx);
    case 'elb:read-weights':
      return [elbReadWeightsStatement()];
    case 'elb:read-health':
      return [elbReadHealthStatement()];
    case 'elb:read':
      return [elbReadWeightsStatement(), elbReadHealthStatement()];
    case 'lambda:invoke-smoke':
      return [invokeSmokeStatement(scope)];
    case 'tests:start':
      return startTestsStatements(scope, ctx);
    case 'route53:read-weights':
      return route53Statements(scope, ctx, 'read');
    case 'route53:shift-weights':
      return route53Statements(scope, ctx, 'shift');
    case 'standby:read':
      return standbyStatements(scope, ctx, 'read');
    case 'standby:scale':
      return standbyStatements(scope, ctx, 'scale');
    case 'ec2:snapshot-volumes':
      return snapshotStatements(scope, ctx);
    case 'lifecycle:start-diagnostics':
      return lifecycleDiagnosticsStatements(scope, ctx);
    case 'builds:start':
      return startBuildsStatements(scope, ctx);
    case 'builds:read-status':
      return readBuildStatusStatements(scope, ctx);
    case 'pipeline:report-jobs':
      return [reportPipelineJobsStatement(scope)];
    case 'sns:notify':
      return lifecycleNotifyStatements(ctx);
    default: {
      const unknown: never = permission;
      throw new ValidationError(`unknown permission ${JSON.stringify(unknown)}`);
    }
  }
}
