import type { FunctionSpec, StateMachineSpec } from '../manifest';

/** Ids the CDK app uses (infra/stacks: the forecast capability). */
export const FORECAST_FUNCTION_ID = 'Forecast';
export const LIST_WORKLOADS_FUNCTION_ID = 'ListWorkloads';
export const INGEST_SIGNAL_FUNCTION_ID = 'IngestSignal';
export const FORECAST_FANOUT_ID = 'ForecastFanout';
/** The dashboard's per-workload forecast widget (a CloudWatch custom widget). */
export const FORECAST_WIDGET_FUNCTION_ID = 'ForecastWidget';
/** What the EventBridge schedule starts. */
export const FORECAST_SCHEDULE_TARGET = FORECAST_FANOUT_ID;

export const FORECAST_FUNCTIONS: readonly FunctionSpec[] = [
  {
    id: FORECAST_FUNCTION_ID,
    entry: 'functions/forecast/index.ts',
    description:
      'Forecast workloads: read CloudWatch, update models, store predictions, score contention, publish events',
    // One invocation serves up to 500 workloads (shared/forecaster/fanout.ts); first fits are the slow runs.
    timeoutSeconds: 900,
    memoryMb: 1_024,
    tables: {
      // PutItem: the behavioural profile (fingerprint, accuracy), an item of its own beside the
      // workload's; BatchGetItem: the profiles of a page of the registry.
      workloads: { actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem'], indexes: ['byList'] },
      predictions: ['GetItem', 'Query', 'PutItem'],
      signals: { actions: ['Query'], indexes: ['byTag', 'byWorkload'] },
    },
    // Powertools Metrics writes EMF to the log: no cloudwatch:PutMetricData.
    permissions: ['cloudwatch:read', 'events:put'],
    substitution: 'ForecastFunctionArn',
    // Read and refit calm workloads only when their pre-warm plan would change (shared/planning/cadence.ts).
    environment: { SHADOWSCALE_FORECAST_CADENCE: 'adaptive' },
  },
  {
    id: LIST_WORKLOADS_FUNCTION_ID,
    entry: 'functions/list-workloads/index.ts',
    description: 'Count registered workloads and cut the registry into forecast batches',
    timeoutSeconds: 120,
    memoryMb: 256,
    // BatchGetItem: the registry's list() can read profiles; the fan-out lists without them.
    tables: { workloads: { actions: ['BatchGetItem', 'Query'], indexes: ['byList'] } },
    permissions: [],
    substitution: 'ListWorkloadsFunctionArn',
  },
  {
    id: INGEST_SIGNAL_FUNCTION_ID,
    entry: 'functions/ingest-signal/index.ts',
    description: 'Store Signal Scheduled events from other systems (idempotent on signalId)',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { signals: ['PutItem'] },
    permissions: [],
  },
  {
    id: FORECAST_WIDGET_FUNCTION_ID,
    entry: 'functions/forecast-widget/index.ts',
    description:
      "Dashboard widget: one workload's stored forecasts beside its CloudWatch actuals, decision and accuracy",
    // A dashboard waits for the widget; one GetMetricData and a few DynamoDB reads.
    timeoutSeconds: 30,
    memoryMb: 512,
    tables: {
      workloads: ['GetItem'],
      predictions: ['GetItem', 'Query'],
    },
    permissions: ['cloudwatch:read'],
  },
];

export const FORECAST_STATE_MACHINES: readonly StateMachineSpec[] = [
  {
    id: FORECAST_FANOUT_ID,
    file: 'statemachines/forecast-fanout.asl.json',
    functions: [LIST_WORKLOADS_FUNCTION_ID, FORECAST_FUNCTION_ID],
  },
];
