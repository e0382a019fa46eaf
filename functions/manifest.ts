/**
 * How a Lambda handler declares what it needs, so the CDK app (infra/) can build each function
 * with grants by intent and fill state-machine substitutions without knowing handler internals.
 * Each capability exports its list (e.g. `functions/forecast/manifest.ts`,
 * `functions/migration/manifest.ts`); infra imports those lists.
 */

export type TableName = 'workloads' | 'predictions' | 'signals' | 'operations' | 'idempotency';
export type TableAccess = 'read' | 'write';

/** Capabilities beyond tables; infra maps each to scoped IAM statements (never a `*` action). */
export type Permission =
  | 'cloudwatch:read'
  | 'cloudwatch:put-metrics'
  | 'events:put'
  | 'ecs:manage-shadow'
  | 'eks:manage-shadow'
  | 'elb:shift-weights'
  | 'elb:read'
  | 'lambda:invoke-smoke'
  | 'route53:shift-weights'
  /** Describe and scale the workload's service (ECS) or nodegroup (EKS) in its standby region. */
  | 'standby:scale';

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
