import {
  type FunctionSpec,
  type Permission,
  type StateMachineSpec,
  type TableAccess,
  type TableName,
  taskSpec,
} from '../manifest';

/**
 * The shadow-pool task functions and the two state machines that call them. Every function is the
 * same bundle (`functions/migration/index.ts`) with its own exported handler, so each gets only
 * the grants its task needs. `substitution` is the `${...}` key in both ASL files.
 */
const ENTRY = 'functions/migration/index.ts';
/** Every task reads the workload definition. */
const WORKLOAD = { workloads: ['GetItem'] } as const satisfies Partial<Record<TableName, TableAccess>>;
/** The operation record: read, conditional put (state, steps, verified weights). */
const OPERATION: TableAccess = ['GetItem', 'PutItem'];
/** The operation record and the lease item (released by deleting it). */
const OPERATION_AND_LEASE: TableAccess = ['GetItem', 'PutItem', 'DeleteItem'];
/** The latest forecast (the newest forecast item, a one-item Query) and the stored contention decision. */
const FORECAST_AND_DECISION: TableAccess = ['GetItem', 'Query'];
/** The workload's stored contention decision (the size it announced). */
const DECISION: TableAccess = ['GetItem'];
const READ_POOLS: readonly Permission[] = ['ecs:read', 'eks:read'];
const SCALE_POOLS: readonly Permission[] = ['ecs:scale', 'eks:scale'];

const spec = (...args: Parameters<typeof taskSpec> extends [string, ...infer R] ? R : never): FunctionSpec =>
  taskSpec(ENTRY, ...args);

export const MIGRATION_FUNCTIONS: readonly FunctionSpec[] = [
  spec(
    'MigrationValidate',
    'validateHandler',
    'Validate a shadow-pool execution input (no side effect)',
    { ...WORKLOAD },
    [],
  ),
  spec(
    'MigrationAcquireLease',
    'leaseHandler',
    'Take the workload lease and create or resume the operation',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    ['elb:read-weights', 'events:put'],
  ),
  spec(
    'MigrationPlan',
    'planHandler',
    'Size the shadow pool from the latest forecast and fix the steps',
    { ...WORKLOAD, predictions: FORECAST_AND_DECISION, operations: OPERATION },
    READ_POOLS,
  ),
  spec(
    'MigrationProvision',
    'provisionHandler',
    'Create or reuse the shadow ECS service / EKS nodegroup',
    { ...WORKLOAD, operations: OPERATION },
    [...READ_POOLS, ...SCALE_POOLS, 'ecs:create-shadow', 'eks:create-shadow'],
    60,
  ),
  spec(
    'MigrationCheckHealthy',
    'healthyHandler',
    'One readiness poll of the destination pool and its target group',
    { ...WORKLOAD, predictions: DECISION, operations: OPERATION },
    [...READ_POOLS, 'elb:read-health'],
  ),
  spec(
    'MigrationSmokeTest',
    'smokeHandler',
    'Run the smoke test named in the workload definition',
    { ...WORKLOAD, operations: OPERATION },
    ['lambda:invoke-smoke'],
    60,
  ),
  spec(
    'MigrationShift',
    'shiftHandler',
    'Set the step weights on the ALB, read them back and verify',
    { ...WORKLOAD, operations: OPERATION },
    ['elb:shift-weights', 'elb:read'],
  ),
  spec(
    'MigrationGate',
    'gateHandler',
    'Health gate on the target group CloudWatch metrics',
    { ...WORKLOAD, operations: OPERATION },
    ['cloudwatch:read'],
  ),
  spec(
    'MigrationDecommission',
    'decommissionHandler',
    'Delete the shadow pool once it carries no traffic',
    { ...WORKLOAD, operations: OPERATION },
    [...READ_POOLS, 'ecs:delete-shadow', 'eks:delete-shadow', 'elb:read-weights'],
    60,
  ),
  spec(
    'MigrationRecordSuccess',
    'succeedHandler',
    'Record success, emit Migration Succeeded, release the lease',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    ['elb:read-weights', 'events:put'],
  ),
  spec(
    'MigrationCompensate',
    'compensateHandler',
    'Restore the last safe weights, scale down or delete the shadow pool, record why, release the lease',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    [
      ...READ_POOLS,
      ...SCALE_POOLS,
      'ecs:delete-shadow',
      'eks:delete-shadow',
      'elb:shift-weights',
      'elb:read',
      'events:put',
    ],
    60,
  ),
];

const ALL_IDS = MIGRATION_FUNCTIONS.map((f) => f.id);

export const MIGRATION_STATE_MACHINES: readonly StateMachineSpec[] = [
  {
    id: 'ShadowPoolMigration',
    file: 'statemachines/shadow-pool-migration.asl.json',
    functions: ALL_IDS.filter((id) => id !== 'MigrationDecommission'),
  },
  {
    id: 'ShadowPoolReturn',
    file: 'statemachines/shadow-pool-return.asl.json',
    functions: ALL_IDS.filter((id) => id !== 'MigrationProvision' && id !== 'MigrationSmokeTest'),
  },
];
