import { INDEX } from '../../shared/data/tables';
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
 * the shadow-pool migration's CheckHealthy, SmokeTest, Shift, Gate and Decommission functions
 * (functions/migration/manifest.ts). StartTests may start only the registered test runners
 * (`tests:start`: `shadowscale:managed.testProjects` / `testFunctions`, else tagged ones).
 */
const ENTRY = 'functions/pipeline/index.ts';

const spec = (...args: Parameters<typeof taskSpec> extends [string, ...infer R] ? R : never): FunctionSpec =>
  taskSpec(ENTRY, ...args);

/** Every task reads the workload definition. */
const WORKLOAD = { workloads: ['GetItem'] } as const satisfies Partial<Record<TableName, TableAccess>>;
/** The deployment's operation record: read, conditional put (steps, weights, status). */
const OPERATION: TableAccess = ['GetItem', 'PutItem'];
/** The operation record and the lease item (released by deleting it). */
const OPERATION_AND_LEASE: TableAccess = ['GetItem', 'PutItem', 'DeleteItem'];
/**
 * Reading a pool reaches the ECS and the EKS adapter alike (one compute port), so both reads are
 * granted; Validate refuses EKS workloads before any task acts.
 */
const READ_POOLS: readonly Permission[] = ['ecs:read', 'eks:read'];

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
    {
      ...WORKLOAD,
      predictions: ['GetItem'],
      // The recorded decision, and the workload's other deployments in flight.
      operations: {
        actions: ['GetItem', 'Query'],
        indexes: [INDEX.operationsByWorkload, INDEX.operationsRecent],
      },
    },
    [],
  ),
  spec(
    'PipelineBegin',
    'beginHandler',
    'Take the workload lease and create or resume the deployment',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    ['ecs:read', 'elb:read-weights'],
  ),
  spec(
    'PipelinePlan',
    'planHandler',
    'Size the shadow environment and fix the traffic steps',
    { ...WORKLOAD, predictions: ['GetItem'], operations: OPERATION },
    READ_POOLS,
  ),
  spec(
    'PipelineProvision',
    'provisionHandler',
    'Create or reuse the shadow ECS service on the new version',
    { ...WORKLOAD, operations: OPERATION },
    [...READ_POOLS, 'ecs:scale', 'eks:scale', 'ecs:create-shadow', 'eks:create-shadow'],
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
    'Roll the primary ECS service onto the new version',
    { ...WORKLOAD, operations: OPERATION },
    ['ecs:read', 'ecs:deploy'],
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
    [...READ_POOLS, 'ecs:deploy', 'ecs:delete-shadow', 'eks:delete-shadow', 'elb:read', 'elb:shift-weights'],
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
