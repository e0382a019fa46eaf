import {
  type FunctionSpec,
  type Permission,
  type StateMachineSpec,
  type TableAccess,
  type TableName,
  taskSpec,
} from '../manifest';

/**
 * The pipeline-branch task functions. One bundle (`functions/pipeline/index.ts`), one exported
 * handler per function, so each gets only the grants its task needs. The state machine also calls
 * the shadow-pool migration's SmokeTest, Shift and Gate functions (functions/migration/manifest.ts),
 * which touch traffic and metrics only. A task that reaches the pools holds the ECS rights and,
 * for EKS workloads, the nodegroup rights plus `eks:kubernetes-api` (DescribeCluster; the shadow
 * Deployment, Service and TargetGroupBinding are authorized by the cluster's access entry and
 * RBAC). The test runners (CodeBuild projects, Lambda functions) are named in workload
 * definitions at run time: `tests:start` allows only those tagged shadowscale:managed=true.
 */
const ENTRY = 'functions/pipeline/index.ts';
/** Every task that loads the workload reads its definition. */
const WORKLOAD = { workloads: ['GetItem'] } as const satisfies Partial<Record<TableName, TableAccess>>;
/** The deployment record: read, conditional put (state, steps). */
const OPERATION: TableAccess = ['GetItem', 'PutItem'];
/** The deployment record and the lease item (released by deleting it). */
const OPERATION_AND_LEASE: TableAccess = ['GetItem', 'PutItem', 'DeleteItem'];
/** The latest forecast (the newest forecast item, a one-item Query) and the stored contention decision. */
const FORECAST_AND_DECISION: TableAccess = ['GetItem', 'Query'];
/** The workload's stored contention decision (the size it announced). */
const DECISION: TableAccess = ['GetItem'];
/** Reading either kind of pool: the ECS service, or the EKS nodegroup and its Deployment. */
const READ_POOLS = ['ecs:read', 'eks:read', 'eks:kubernetes-api'] as const satisfies readonly Permission[];

/** The workload's operations, listed by its index. */
const OPERATIONS_OF_WORKLOAD: TableAccess = {
  actions: ['GetItem', 'Query'],
  indexes: ['byWorkload', 'recent'],
};

const spec = (...args: Parameters<typeof taskSpec> extends [string, ...infer R] ? R : never): FunctionSpec =>
  taskSpec(ENTRY, ...args);

export const PIPELINE_FUNCTIONS: readonly FunctionSpec[] = [
  spec(
    'PipelineValidate',
    'validateHandler',
    'Validate a pipeline-branch execution input (no side effect)',
    { ...WORKLOAD },
    [],
  ),
  spec(
    'PipelinePredict',
    'predictHandler',
    'Contention score of a stage over the deployment window, and the branch decision',
    // The workload's running deployments (other stages or versions) by its operations index.
    { ...WORKLOAD, predictions: FORECAST_AND_DECISION, operations: OPERATIONS_OF_WORKLOAD },
    [],
  ),
  spec(
    'PipelineBegin',
    'beginHandler',
    'Take the workload lease and create or resume the deployment',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    // Records the primary's version (ECS service, or EKS Deployment) and the weights it starts from.
    ['ecs:read', 'eks:kubernetes-api', 'elb:read-weights'],
  ),
  spec(
    'PipelinePlan',
    'planHandler',
    'Size the shadow environment and fix the traffic steps',
    { ...WORKLOAD, predictions: FORECAST_AND_DECISION, operations: OPERATION },
    READ_POOLS,
  ),
  spec(
    'PipelineProvision',
    'provisionHandler',
    'Create or reuse the shadow environment on the new version (ECS service, or EKS nodegroup and Deployment)',
    { ...WORKLOAD, operations: OPERATION },
    [...READ_POOLS, 'ecs:scale', 'ecs:create-shadow', 'eks:scale', 'eks:create-shadow'],
    60,
  ),
  spec(
    'PipelineStartTests',
    'startTestsHandler',
    "Hand the task token to the workload's integration test runner",
    { ...WORKLOAD, operations: OPERATION },
    ['tests:start'],
  ),
  spec(
    'PipelineRecordTests',
    'recordTestsHandler',
    'Record the integration test verdict',
    { operations: OPERATION },
    [],
  ),
  spec(
    'PipelineDeployPrimary',
    'deployPrimaryHandler',
    'Roll the primary (ECS service or EKS Deployment) onto the new version',
    { ...WORKLOAD, operations: OPERATION },
    ['ecs:read', 'ecs:deploy', 'ecs:scale', 'eks:kubernetes-api'],
    60,
  ),
  spec(
    'PipelinePrimaryStable',
    'primaryStableHandler',
    "One poll of the primary's rollout",
    { ...WORKLOAD, operations: OPERATION },
    READ_POOLS,
  ),
  spec(
    'PipelinePlanMerge',
    'planMergeHandler',
    'Plan traffic home once the primary runs the new version',
    { ...WORKLOAD, operations: OPERATION },
    READ_POOLS,
  ),
  spec(
    'PipelineFinish',
    'finishHandler',
    'Record the deployment, release the lease',
    { operations: OPERATION_AND_LEASE },
    [],
  ),
  spec(
    'PipelineDiscard',
    'discardHandler',
    'Restore traffic, delete the shadow environment, roll the primary back, record why, release the lease',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    [
      ...READ_POOLS,
      'ecs:deploy',
      'ecs:scale',
      'ecs:delete-shadow',
      'eks:delete-shadow',
      'elb:shift-weights',
      'elb:read',
    ],
    120,
  ),
  spec(
    'PipelineCheckHealthy',
    'checkHealthyHandler',
    "One readiness poll of the shadow environment (and on EKS its Deployment's rollout) and its target group",
    { ...WORKLOAD, predictions: DECISION, operations: OPERATION },
    [...READ_POOLS, 'elb:read-health'],
  ),
  spec(
    'PipelineDecommission',
    'decommissionHandler',
    'Delete the shadow environment once it carries no traffic (on EKS its Kubernetes objects, then the nodegroup)',
    { ...WORKLOAD, operations: OPERATION },
    [...READ_POOLS, 'ecs:delete-shadow', 'eks:delete-shadow', 'elb:read-weights'],
    60,
  ),
];

/** The migration's functions the pipeline-branch state machine calls too. */
export const PIPELINE_SHARED_MIGRATION_FUNCTIONS = [
  'MigrationSmokeTest',
  'MigrationShift',
  'MigrationGate',
] as const;

export const PIPELINE_STATE_MACHINES: readonly StateMachineSpec[] = [
  {
    id: 'PipelineBranch',
    file: 'statemachines/pipeline-branch.asl.json',
    functions: [...PIPELINE_FUNCTIONS.map((f) => f.id), ...PIPELINE_SHARED_MIGRATION_FUNCTIONS],
  },
];
