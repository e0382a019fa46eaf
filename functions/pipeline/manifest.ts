import { type FunctionSpec, type StateMachineSpec, taskSpec } from '../manifest';

/**
 * The pipeline-branch task functions. One bundle (`functions/pipeline/index.ts`), one exported
 * handler per function, so each gets only the grants its task needs. The state machine also calls
 * the shadow-pool migration's CheckHealthy, SmokeTest, Shift, Gate and Decommission functions
 * (functions/migration/manifest.ts). The test-runner grant (CodeBuild projects, Lambda functions)
 * is added by the PipelineBranch construct for the runners it is given, never as a wildcard.
 */
const ENTRY = 'functions/pipeline/index.ts';

const spec = (...args: Parameters<typeof taskSpec> extends [string, ...infer R] ? R : never): FunctionSpec =>
  taskSpec(ENTRY, ...args);

export const PIPELINE_FUNCTIONS: readonly FunctionSpec[] = [
  spec(
    'PipelineValidate',
    'validateHandler',
    'Validate a pipeline-branch execution input (no side effect)',
    { workloads: 'read' },
    [],
  ),
  spec(
    'PipelinePredict',
    'predictHandler',
    'Contention score of a stage over the deployment window, and the branch decision',
    { workloads: 'read', predictions: 'read', operations: 'read' },
    [],
  ),
  spec(
    'PipelineBegin',
    'beginHandler',
    'Take the workload lease and create or resume the deployment',
    { workloads: 'read', operations: 'write' },
    ['ecs:manage-shadow', 'elb:read'],
  ),
  spec(
    'PipelinePlan',
    'planHandler',
    'Size the shadow environment and fix the traffic steps',
    { workloads: 'read', predictions: 'read', operations: 'write' },
    ['ecs:manage-shadow'],
  ),
  spec(
    'PipelineProvision',
    'provisionHandler',
    'Create or reuse the shadow ECS service on the new version',
    { workloads: 'read', operations: 'write' },
    ['ecs:manage-shadow'],
    60,
  ),
  spec(
    'PipelineStartTests',
    'startTestsHandler',
    "Hand the task token to the workload's integration test runner",
    { workloads: 'read', operations: 'write' },
    [],
  ),
  spec(
    'PipelineRecordTests',
    'recordTestsHandler',
    'Record the integration test verdict',
    { operations: 'write' },
    [],
  ),
  spec(
    'PipelineDeployPrimary',
    'deployPrimaryHandler',
    'Roll the primary ECS service onto the new version',
    { workloads: 'read', operations: 'write' },
    ['ecs:manage-shadow'],
    60,
  ),
  spec(
    'PipelinePrimaryStable',
    'primaryStableHandler',
    "One poll of the primary's rollout",
    { workloads: 'read', operations: 'write' },
    ['ecs:manage-shadow'],
  ),
  spec(
    'PipelinePlanMerge',
    'planMergeHandler',
    'Plan traffic home once the primary runs the new version',
    { workloads: 'read', operations: 'write' },
    ['ecs:manage-shadow'],
  ),
  spec(
    'PipelineFinish',
    'finishHandler',
    'Record the deployment, release the lease',
    { operations: 'write' },
    [],
  ),
  spec(
    'PipelineDiscard',
    'discardHandler',
    'Restore traffic, delete the shadow environment, roll the primary back, record why, release the lease',
    { workloads: 'read', operations: 'write' },
    ['ecs:manage-shadow', 'elb:shift-weights', 'elb:read'],
    120,
  ),
];

/** The migration's functions the pipeline-branch state machine calls too. */
export const PIPELINE_SHARED_MIGRATION_FUNCTIONS = [
  'MigrationCheckHealthy',
  'MigrationSmokeTest',
  'MigrationShift',
  'MigrationGate',
  'MigrationDecommission',
] as const;

export const PIPELINE_STATE_MACHINES: readonly StateMachineSpec[] = [
  {
    id: 'PipelineBranch',
    file: 'statemachines/pipeline-branch.asl.json',
    functions: [...PIPELINE_FUNCTIONS.map((f) => f.id), ...PIPELINE_SHARED_MIGRATION_FUNCTIONS],
  },
];
