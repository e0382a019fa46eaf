/**
 * What an adapter would be billed for, counted where the request is made. Adapters of AWS
 * (`shared/aws/`, `shared/data/`) and of the simulator (`shared/sim/`) count through the same
 * port, so a replay counts what the deployed code would send. Prices are applied elsewhere
 * (`shared/cost/`): the meter holds quantities only.
 */
export const USAGE_ITEMS = [
  /** CloudWatch GetMetricData: metrics requested (each query of each request, every page). */
  'cloudwatch.metrics-requested',
  /** GetMetricData requests sent (not billed by itself; shows how well reads are batched). */
  'cloudwatch.get-metric-data-calls',
  /** Custom metrics: distinct metric (name + dimensions) per hour it was published in. */
  'cloudwatch.custom-metric-hours',
  /** CloudWatch Logs bytes ingested (message bytes plus the 26-byte per-event overhead). */
  'logs.ingested-bytes',
  /** DynamoDB on-demand read request units. */
  'dynamodb.read-units',
  /** DynamoDB on-demand write request units. */
  'dynamodb.write-units',
  /** Lambda invocations. */
  'lambda.requests',
  /** Lambda duration at the configured memory, arm64 (GB-seconds). */
  'lambda.gb-seconds',
  /** Step Functions Standard state transitions. */
  'sfn.standard-transitions',
  /** Step Functions Express requests and duration (GB-seconds, 64 MB steps). */
  'sfn.express-requests',
  'sfn.express-gb-seconds',
  /** EventBridge custom events published (one per 64 KB chunk of an entry). */
  'eventbridge.events',
] as const;

export type UsageItem = (typeof USAGE_ITEMS)[number];

export interface Meter {
  /** Add `quantity` (>= 0) of `item`. */
  add(item: UsageItem, quantity: number): void;
}

/** Counts nothing: the default of every adapter. */
export const noMeter: Meter = { add: () => {} };
