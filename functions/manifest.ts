/**
 * How a Lambda handler declares what it needs, so the CDK app (infra/) can build each function
 * with grants by intent and fill state-machine substitutions without knowing handler internals.
 * Each capability exports its list (e.g. `functions/forecast/manifest.ts`,
 * `functions/migration/manifest.ts`); infra imports those lists.
 */

export type TableName = 'workloads' | 'predictions' | 'signals' | 'operations' | 'idempotency';

/** DynamoDB item actions a function may be granted on a table (never table administration). */
export type DynamoAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'ConditionCheckItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem';

/**
 * What a function may do on one table. `read` (GetItem, Query) and `write` (read plus PutItem,
 * UpdateItem, DeleteItem, BatchWriteItem) include every index of the table; a list of actions
 * includes no index; `{ actions, indexes }` names the indexes it queries. A test (the grant
 * equality in test/infra) holds each deployed function to exactly the calls its code can make,
 * so prefer the explicit forms.
 */
export type TableAccess =
  | 'read'
  | 'write'
  | readonly DynamoAction[]
  | { readonly actions: readonly DynamoAction[]; readonly indexes: readonly string[] };

/**
 * Capabilities beyond tables; infra maps each to scoped IAM statements (never a `*` action), see
 * the table in infra/constructs/permissions.ts. Reads, scaling, creating and deleting are
 * separate so that each function holds only what its task calls.
 */
export type Permission =
  | 'cloudwatch:read'
  | 'cloudwatch:put-metrics'
  | 'events:put'
  /** ecs:DescribeServices. */
  | 'ecs:read'
  /** ecs:UpdateService (desired count of the primary or the shadow). */
  | 'ecs:scale'
  /** Copy the primary: DescribeTaskDefinition, RegisterTaskDefinition (shadow family), CreateService, tag on create, pass the task roles. */
  | 'ecs:create-shadow'
  /**
   * Roll a service onto a new version: DescribeTaskDefinition, RegisterTaskDefinition of the
   * service's own family (tagged), tag on register, pass the task roles. Not UpdateService
   * (that is `ecs:scale`).
   */
  | 'ecs:deploy'
  /** ecs:DeleteService of tagged shadow services. */
  | 'ecs:delete-shadow'
  /** Keep a floor under the service's own scaling: application-autoscaling Describe/RegisterScalableTarget (ECS services). */
  | 'ecs:set-floor'
  /** All four ECS permissions above (not ecs:set-floor). */
  | 'ecs:manage-shadow'
  /** eks:DescribeNodegroup. */
  | 'eks:read'
  /** eks:UpdateNodegroupConfig. */
  | 'eks:scale'
  /** Copy the primary: CreateNodegroup, tag on create, pass the node role, use its launch template (EC2). */
  | 'eks:create-shadow'
  /** eks:DeleteNodegroup of tagged shadow nodegroups. */
  | 'eks:delete-shadow'
  /** All four EKS permissions above. */
  | 'eks:manage-shadow'
  /**
   * eks:DescribeCluster (API endpoint and CA) to reach the cluster's Kubernetes API. What the role
   * may do there is the cluster's access entry and RBAC, not IAM (README, deploy-time branching).
   */
  | 'eks:kubernetes-api'
  /** elasticloadbalancing:ModifyListener / ModifyRule (weights). */
  | 'elb:shift-weights'
  /** elasticloadbalancing:DescribeListeners / DescribeRules (read the weights back). */
  | 'elb:read-weights'
  /** elasticloadbalancing:DescribeTargetHealth. */
  | 'elb:read-health'
  /** Both ELB reads above. */
  | 'elb:read'
  | 'lambda:invoke-smoke'
  /** Start a workload's integration tests: codebuild:StartBuild / lambda:InvokeFunction of tagged runners. */
  | 'tests:start'
  /** route53:ListResourceRecordSets (read the region weights back). */
  | 'route53:read-weights'
  /** route53:ChangeResourceRecordSets, GetChange (wait for INSYNC) and ListResourceRecordSets. */
  | 'route53:shift-weights'
  /** states:StartExecution of the regional-failover and regional-failback state machines. */
  | 'states:start-regional'
  /** Describe the workload's service (ECS) or nodegroup (EKS) in its standby region. */
  | 'standby:read'
  /** Describe and scale the workload's service (ECS) or nodegroup (EKS) in its standby region. */
  | 'standby:scale'
  /** Find the EBS volumes of ECS tasks / nodegroup instances and snapshot them, tagged on creation. */
  | 'ec2:snapshot-volumes'
  /** codebuild:StartBuild on the build projects the broker may start (`managed.buildProjects`). */
  | 'builds:start'
  /** codebuild:BatchGetBuilds on the same projects (follow the builds the broker started). */
  | 'builds:read-status'
  /**
   * codepipeline:PutJobSuccessResult / PutJobFailureResult: report a Lambda invoke action's job.
   * Resource `*`: CodePipeline's job actions support no resource-level permissions.
   */
  | 'pipeline:report-jobs'
  /** codebuild:StartBuild and states:StartExecution on the projects and state machines lifecycle rules name. */
  | 'lifecycle:start-diagnostics'
  /** sns:Publish to the topics lifecycle rules name. */
  | 'sns:notify';

export interface FunctionSpec {
  /** Stable construct id, PascalCase (e.g. `Forecast`). Never contains a stage name. */
  id: string;
  /** Entry file relative to the repository root, e.g. `functions/forecast/index.ts`. */
  entry: string;
  /** Exported handler name; default `handler`. */
  handler?: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  tables: Partial<Record<TableName, TableAccess>>;
  permissions: readonly Permission[];
  /** ASL `${...}` key whose value is this function's ARN, e.g. `AcquireLeaseFunctionArn`. */
  substitution?: string;
  /** Extra environment variables (table names and bus name are added by infra). */
  environment?: Record<string, string>;
  /**
   * Files shipped beside the bundle. `augurs-wasm`: the `@bsull/augurs` `*_bg.wasm` files, with
   * `AUGURS_WASM_DIR` pointing at them (see shared/model/augurs.ts).
   */
  assets?: readonly FunctionAsset[];
}

/** Non-code files a function needs at run time (see `FunctionSpec.assets`). */
export type FunctionAsset = 'augurs-wasm';

export interface StateMachineSpec {
  /** Stable construct id, PascalCase. */
  id: string;
  /** ASL file relative to the repository root. */
  file: string;
  /** Ids of the FunctionSpecs whose ARNs the definition references. */
  functions: readonly string[];
  /** Non-function substitutions and their meaning (infra supplies the values). */
  substitutions?: Record<string, string>;
}

/**
 * A Step Functions task's function spec: one bundle (`entry`) exports a handler per task, each
 * function named `<id>` with its ASL substitution `<id>FunctionArn`, 256 MB, 30 s unless given.
 */
export function taskSpec(
  entry: string,
  id: string,
  handler: string,
  description: string,
  tables: Partial<Record<TableName, TableAccess>>,
  permissions: readonly Permission[],
  timeoutSeconds = 30,
): FunctionSpec {
  return {
    id,
    entry,
    handler,
    description,
    timeoutSeconds,
    memoryMb: 256,
    tables,
    permissions,
    substitution: `${id}FunctionArn`,
  };
}
