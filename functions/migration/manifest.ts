import type { FunctionSpec, Permission, StateMachineSpec, TableAccess, TableName } from '../manifest';

/**
 * The shadow-pool task functions and the two state machines that call them. Every function is the
 * same bundle (`functions/migration/index.ts`) with its own exported handler, so each gets only
 * the grants its task needs. `substitution` is the `${...}` key in both ASL files.
 */
const ENTRY = 'functions/migration/index.ts';
const COMPUTE: readonly Permission[] = ['ecs:manage-shadow', 'eks:manage-shadow'];

function spec(
  id: string,
  handler: string,
  description: string,
  tables: Partial<Record<TableName, TableAccess>>,
  permissions: readonly Permission[],
  timeoutSeconds = 30,
): FunctionSpec {
  return {
    id,
    entry: ENTRY,
    handler,
    description,
    timeoutSeconds,
    memoryMb: 256,
    tables,
    permissions,
    substitution: `${id}FunctionArn`,
  };
}

export const MIGRATION_FUNCTIONS: readonly FunctionSpec[] = [
  spec(
    'MigrationValidate',
    'validateHandler',
    'Validate a shadow-pool execution input (no side effect)',
    { workloads: 'read' },
    [],
  ),
  spec(
    'MigrationAcquireLease',
    'leaseHandler',
    'Take the workload lease and create or resume the operation',
    { workloads: 'read', operations: 'write' },
    ['elb:read', 'events:put'],
  ),
  spec(
    'MigrationPlan',
    'planHandler',
    'Size the shadow pool from the latest forecast and fix the steps',
    { workloads: 'read', predictions: 'read', operations: 'write' },
    COMPUTE,
  ),
  spec(
    'MigrationProvision',
    'provisionHandler',
    'Create or reuse the shadow ECS service / EKS nodegroup',
    { workloads: 'read', operations: 'write' },
    COMPUTE,
    60,
  ),
  spec(
    'MigrationCheckHealthy',
    'healthyHandler',
    'One readiness poll of the destination pool and its target group',
    { workloads: 'read', predictions: 'read', operations: 'write' },
    [...COMPUTE, 'elb:read'],
  ),
  spec(
    'MigrationSmokeTest',
    'smokeHandler',
    'Run the smoke test named in the workload definition',
    { workloads: 'read', operations: 'write' },
    ['lambda:invoke-smoke'],
    60,
  ),
  spec(
    'MigrationShift',
    'shiftHandler',
    'Set the step weights on the ALB, read them back and verify',
    { workloads: 'read', operations: 'write' },
    ['elb:shift-weights', 'elb:read'],
  ),
  spec(
    'MigrationGate',
    'gateHandler',
    'Health gate on the target group CloudWatch metrics',
    { workloads: 'read', operations: 'write' },
    ['cloudwatch:read'],
  ),
  spec(
    'MigrationDecommission',
    'decommissionHandler',
    'Delete the shadow pool once it carries no traffic',
    { workloads: 'read', operations: 'write' },
    [...COMPUTE, 'elb:read'],
    60,
  ),
  spec(
    'MigrationRecordSuccess',
    'succeedHandler',
    'Record success, emit Migration Succeeded, release the lease',
    { workloads: 'read', operations: 'write' },
    ['elb:read', 'events:put'],
  ),
  spec(
    'MigrationCompensate',
    'compensateHandler',
    'Restore the last safe weights, scale down or delete the shadow pool, record why, release the lease',
    { workloads: 'read', operations: 'write' },
    [...COMPUTE, 'elb:shift-weights', 'elb:read', 'events:put'],
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
