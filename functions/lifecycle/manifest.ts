import { type FunctionSpec, type StateMachineSpec, type TableAccess, taskSpec } from '../manifest';

/**
 * The lifecycle task functions and the `lifecycle` state machine. One bundle
 * (`functions/lifecycle/index.ts`), one exported handler per function, each granted only what its
 * task calls: the run record (GetItem, and PutItem for the conditional writes) in the operations
 * table, and the one AWS capability of its action.
 */
const ENTRY = 'functions/lifecycle/index.ts';

const spec = (...args: Parameters<typeof taskSpec> extends [string, ...infer R] ? R : never): FunctionSpec =>
  taskSpec(ENTRY, ...args);

const RUN: TableAccess = ['GetItem', 'PutItem'];
const WORKLOAD: TableAccess = ['GetItem'];

export const LIFECYCLE_FUNCTIONS: readonly FunctionSpec[] = [
  spec(
    'LifecycleEvaluate',
    'evaluateHandler',
    'Check the trigger and the conditions of a lifecycle rule, claim the (rule, event) run once',
    { workloads: WORKLOAD, predictions: ['GetItem'], operations: RUN },
    ['elb:read-weights'],
  ),
  spec(
    'LifecycleScaleDown',
    'scaleDownHandler',
    'One step of a graceful scale-down of the primary or shadow pool',
    { workloads: WORKLOAD, operations: RUN },
    ['ecs:read', 'ecs:scale', 'eks:read', 'eks:scale', 'elb:read-weights'],
  ),
  spec(
    'LifecycleSnapshot',
    'snapshotHandler',
    "Tag-and-snapshot the EBS volumes of the workload's ECS tasks or nodegroup instances",
    { workloads: WORKLOAD, operations: RUN },
    ['ec2:snapshot-volumes'],
    120,
  ),
  spec(
    'LifecycleRunTests',
    'runTestsHandler',
    'Start a CodeBuild project or a Step Functions execution (tests, diagnostics)',
    { workloads: WORKLOAD, operations: RUN },
    ['lifecycle:start-diagnostics'],
  ),
  spec(
    'LifecycleNotify',
    'notifyHandler',
    'Publish a readable message to an SNS topic',
    { workloads: WORKLOAD, operations: RUN },
    ['sns:notify'],
  ),
  spec(
    'LifecycleSetPriority',
    'setPriorityHandler',
    "Change the workload's priority (conditional on its version)",
    { workloads: ['GetItem', 'PutItem'], operations: RUN },
    [],
  ),
  spec(
    'LifecycleRecordFailure',
    'recordFailureHandler',
    'Record an action whose retries ran out, with its error',
    { operations: RUN },
    [],
  ),
  spec(
    'LifecycleReport',
    'reportHandler',
    'Close the run and publish Lifecycle Completed with each action outcome',
    { operations: RUN },
    ['events:put'],
  ),
];

export const LIFECYCLE_STATE_MACHINES: readonly StateMachineSpec[] = [
  {
    id: 'Lifecycle',
    file: 'statemachines/lifecycle.asl.json',
    functions: LIFECYCLE_FUNCTIONS.map((f) => f.id),
  },
];
