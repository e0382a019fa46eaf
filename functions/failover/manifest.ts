import {
  type FunctionSpec,
  type StateMachineSpec,
  type TableAccess,
  type TableName,
  taskSpec,
} from '../manifest';

/**
 * The regional failover/failback task functions and the two state machines that call them. One
 * bundle (`functions/failover/index.ts`), one exported handler per function, each with only the
 * grants its task needs. `substitution` is the `${...}` key in both ASL files.
 */
const ENTRY = 'functions/failover/index.ts';

/** Every task reads the workload definition. */
const WORKLOAD = { workloads: ['GetItem'] } as const satisfies Partial<Record<TableName, TableAccess>>;
/** The operation record: read, conditional put (state, steps, recorded weights). */
const OPERATION: TableAccess = ['GetItem', 'PutItem'];
/** The operation record and the lease item (released by deleting it). */
const OPERATION_AND_LEASE: TableAccess = ['GetItem', 'PutItem', 'DeleteItem'];
/** The latest forecast of the workload (the newest forecast item, a one-item Query). */
const FORECAST: TableAccess = ['Query'];

const spec = (...args: Parameters<typeof taskSpec> extends [string, ...infer R] ? R : never): FunctionSpec =>
  taskSpec(ENTRY, ...args);

export const FAILOVER_FUNCTIONS: readonly FunctionSpec[] = [
  spec(
    'FailoverValidate',
    'validateHandler',
    'Validate a regional failover/failback input (no side effect)',
    { ...WORKLOAD },
    [],
  ),
  spec(
    'FailoverAcquireLease',
    'leaseHandler',
    'Take the workload lease, read the DNS weights, create or resume the operation',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    ['route53:read-weights', 'events:put'],
  ),
  spec(
    'FailoverPlan',
    'planHandler',
    'Size the standby from the forecast, fix the DNS steps (one step when the home region has no healthy host) and waits',
    { ...WORKLOAD, predictions: FORECAST, operations: OPERATION },
    // Lowers the records' TTL before the first step (weights unchanged), waited on until INSYNC.
    ['cloudwatch:read', 'route53:shift-weights'],
  ),
  spec(
    'FailoverRaiseStandby',
    'raiseStandbyHandler',
    'Raise the standby region service to the forecast-sized standby',
    { ...WORKLOAD, operations: OPERATION },
    ['standby:scale'],
  ),
  spec(
    'FailoverCheckDestination',
    'checkDestinationHandler',
    'One readiness poll of the destination region',
    { ...WORKLOAD, predictions: FORECAST, operations: OPERATION },
    ['standby:read', 'cloudwatch:read'],
  ),
  spec(
    'FailoverShift',
    'shiftHandler',
    'Set the step weights on the Route 53 records, wait until INSYNC, read back',
    { ...WORKLOAD, operations: OPERATION },
    ['route53:shift-weights'],
    150,
  ),
  spec(
    'FailoverGate',
    'gateHandler',
    'Health gate on the destination region ALB metrics',
    { ...WORKLOAD, operations: OPERATION },
    ['cloudwatch:read'],
  ),
  spec(
    'FailoverRecordSuccess',
    'succeedHandler',
    'Record success, emit Failover Succeeded, standby back to calm after a failback, release the lease',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    // Restores the records' TTL (weights unchanged) and reads the final weights back.
    ['route53:shift-weights', 'standby:scale', 'events:put'],
  ),
  spec(
    'FailoverCompensate',
    'compensateHandler',
    'Restore the last safe DNS weights, standby back to calm, record why, release the lease',
    { ...WORKLOAD, operations: OPERATION_AND_LEASE },
    ['route53:shift-weights', 'standby:scale', 'cloudwatch:read', 'events:put'],
    300,
  ),
];

const ALL_IDS = FAILOVER_FUNCTIONS.map((f) => f.id);

export const FAILOVER_STATE_MACHINES: readonly StateMachineSpec[] = [
  { id: 'RegionalFailover', file: 'statemachines/regional-failover.asl.json', functions: ALL_IDS },
  {
    id: 'RegionalFailback',
    file: 'statemachines/regional-failback.asl.json',
    functions: ALL_IDS.filter((id) => id !== 'FailoverRaiseStandby'),
  },
];

/**
 * The regional detector: every minute (observing every `detection.sampleSeconds` within it), on
 * AWS Health events and on CloudWatch alarm state changes; starts the two state machines above.
 */
export const FAILOVER_DETECTOR_FUNCTION: FunctionSpec = {
  id: 'FailoverDetector',
  entry: 'functions/failover/detector.ts',
  handler: 'handler',
  description:
    'Observe the regions of each failover workload with hysteresis and start regional-failover / regional-failback once per event',
  // One scheduled invocation observes for a minute (six 10 s samples), then ends.
  timeoutSeconds: 90,
  memoryMb: 256,
  tables: {
    // BatchGetItem: the registry's list() can read profiles; this function lists without them.
    workloads: { actions: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['byList'] },
    predictions: ['GetItem', 'PutItem', 'Query'],
    operations: { actions: ['Query'], indexes: ['byWorkload', 'recent'] },
  },
  permissions: ['cloudwatch:read', 'states:start-regional'],
};
