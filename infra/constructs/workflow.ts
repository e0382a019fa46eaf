import * as fs from 'node:fs';
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StateMachineSpec } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import { repoPath } from '../paths';
import { acknowledge, acknowledgeWildcardResources } from './nag';
import type { ProjectFunction } from './project-function';

export interface WorkflowProps {
  /** The ASL file and the functions it calls (functions/<capability>/manifest.ts). */
  readonly spec: StateMachineSpec;
  /** Functions by spec id; the definition may reference only those in `spec.functions`. */
  readonly functions: ReadonlyMap<string, ProjectFunction>;
  /**
   * Values for the non-function substitutions (`spec.substitutions`), e.g. `EventBusName`,
   * `OperationsTableName`. A key the spec asks for but absent here fails synthesis.
   * @default {}
   */
  readonly values?: Readonly<Record<string, string>>;
  /** Retention of the execution log group. */
  readonly logRetention: logs.RetentionDays;
  /** Physical name; it is the stable handle operators start by hand. @default shadowscale-<kebab id> */
  readonly stateMachineName?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Optimised Lambda integrations: the function is named in Parameters/Arguments, granted below. */
const LAMBDA_INTEGRATIONS = new Set([
  'arn:aws:states:::lambda:invoke',
  'arn:aws:states:::lambda:invoke.waitForTaskToken',
]);

/**
 * One state machine from its ASL file, deployed unchanged: `DefinitionBody.fromFile` with every
 * `${...}` placeholder filled by `definitionSubstitutions` (function ARNs from the FunctionSpecs'
 * `substitution` keys, other values from `values`); a placeholder without a value fails
 * synthesis, so no `${` reaches a deployed definition. Logging ALL events with execution data
 * to its own log group with retention, X-Ray tracing on, and a role that may invoke exactly the
 * functions the spec lists (by unqualified ARN). Task resources other than Lambda are refused
 * until they get a scoped grant here, so a new integration cannot ship without permission review.
 */
export class Workflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly spec: StateMachineSpec;
  /** The substitutions as deployed (key -> value token). */
  public readonly substitutions: Readonly<Record<string, string>>;
  /** The functions this state machine calls. */
  public readonly calls: readonly ProjectFunction[];
  /** The physical name (a plain string, not a token): how other stacks and operators find it. */
  public readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { spec } = props;
    this.spec = spec;
    const file = repoPath(spec.file);
    if (!fs.existsSync(file))
      throw new ValidationError(`state machine ${spec.id}: file ${JSON.stringify(spec.file)} does not exist`);
    const text = fs.readFileSync(file, 'utf8');
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (error) {
      throw new ValidationError(`state machine ${spec.id}: ${spec.file} is not JSON`, [], { cause: error });
    }

    const substitutions: Record<string, string> = {};
    const calls: ProjectFunction[] = [];
    for (const fnId of spec.functions) {
      const fn = props.functions.get(fnId);
      if (!fn)
        throw new ValidationError(
          `state machine ${spec.id}: function ${JSON.stringify(fnId)} is not built (known: ${[...props.functions.keys()].join(', ')})`,
        );
      const key = fn.spec.substitution;
      if (!key)
        throw new ValidationError(`state machine ${spec.id}: function ${fnId} has no substitution key`);
      substitutions[key] = fn.function.functionArn;
      calls.push(fn);
    }
    for (const [key, meaning] of Object.entries(spec.substitutions ?? {})) {
      const value = props.values?.[key];
      if (value === undefined)
        throw new ValidationError(
          `state machine ${spec.id}: no value for substitution ${key} (${meaning}); infra supplies ${Object.keys(props.values ?? {}).join(', ')}`,
        );
      substitutions[key] = value;
    }
    const placeholders = [...new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? ''))];
    const missing = placeholders.filter((p) => !(p in substitutions));
    if (missing.length > 0)
      throw new ValidationError(
        `state machine ${spec.id}: ${spec.file} uses \${${missing.join('}, ${')}} with no value (declare it in the spec's functions or substitutions)`,
      );
    // Least privilege both ways: a listed function the definition never calls would be an unused grant.
    const unused = calls.filter((fn) => !placeholders.includes(fn.spec.substitution ?? ''));
    if (unused.length > 0)
      throw new ValidationError(
        `state machine ${spec.id}: ${spec.file} never references ${unused.map((fn) => `${fn.spec.id} (\${${fn.spec.substitution}})`).join(', ')}; drop it from the spec's functions`,
      );
    checkIntegrations(spec, definition);
    this.substitutions = substitutions;
    this.calls = calls;

    const name = props.stateMachineName ?? `shadowscale-${kebab(spec.id)}`;
    this.stateMachineName = name;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // A generated name: a retained log group with a fixed name would block redeploying after a destroy.
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(file),
      definitionSubstitutions: substitutions,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    for (const fn of calls) fn.grantInvoke(this.stateMachine);
    if (usesDistributedMap(definition)) this.grantDistributedMap(name);

    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      `${spec.id}: logs:CreateLogDelivery/GetLogDelivery/UpdateLogDelivery/DeleteLogDelivery/ListLogDeliveries/PutResourcePolicy/DescribeResourcePolicies/DescribeLogGroups (vended log delivery) and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets do not support resource-level permissions`,
    );
  }

  /**
   * A Distributed Map starts child executions of this same state machine and describes, stops and
   * redrives them. The execution patterns are those of the Step Functions guide ("IAM policies
   * for using Distributed Map states") and of CDK's own DistributedMap: Describe/Stop on
   * `execution:<name>:*`, Redrive on `execution:<name>/<label>:*` (no label here, hence `/*:*`).
   * Describe/Stop also cover `execution:<name>/*`, the child executions' own ARNs
   * (`execution:<name>/<map run label>:<id>`), which `:*` does not match.
   */
  private grantDistributedMap(name: string): void {
    const stack = Stack.of(this);
    const self = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const prefix = `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${name}`;
    const executions = [`${prefix}:*`, `${prefix}/*`];
    const redrive = `${prefix}/*:*`;
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapStart',
        actions: ['states:StartExecution'],
        resources: [self],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapChildren',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: executions,
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapRedrive',
        actions: ['states:RedriveExecution'],
        resources: [redrive],
      }),
    );
    acknowledgeWildcardResources(
      this.stateMachine.role,
      executions,
      `${this.spec.id}: states:DescribeExecution/StopExecution on this state machine's executions and the Distributed Map's child executions, whose ids are generated at run time`,
    );
    acknowledgeWildcardResources(
      this.stateMachine.role,
      [redrive],
      `${this.spec.id}: states:RedriveExecution of the Distributed Map's child executions of this state machine (map run ids are generated at run time)`,
    );
  }
}

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Every Task state's `Resource` and every Map's ItemReader/ResultWriter, at any depth. */
function taskResources(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) taskResources(item, out);
  } else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.Type === 'Task' && typeof o.Resource === 'string') out.push(o.Resource);
    // A Distributed Map reading from or writing to S3 needs S3 grants this construct does not give.
    for (const key of ['ItemReader', 'ResultWriter']) {
      const resource = (o[key] as { Resource?: unknown } | undefined)?.Resource;
      if (typeof resource === 'string') out.push(resource);
    }
    for (const value of Object.values(o)) taskResources(value, out);
  }
  return out;
}

function usesDistributedMap(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesDistributedMap);
  if (node === null || typeof node !== 'object') return false;
  const o = node as Record<string, unknown>;
  const processor = (o.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig;
  if (o.Type === 'Map' && processor?.Mode === 'DISTRIBUTED') return true;
  return Object.values(o).some(usesDistributedMap);
}

/** Task resources must be Lambda: a function substitution or the optimised lambda:invoke integration. */
function checkIntegrations(spec: StateMachineSpec, definition: unknown): void {
  for (const resource of taskResources(definition)) {
    if (LAMBDA_INTEGRATIONS.has(resource)) continue;
    if (/^\$\{[A-Za-z0-9_]+\}$/.test(resource)) continue;
    throw new ValidationError(
      `state machine ${spec.id}: task resource ${JSON.stringify(resource)} has no scoped grant in infra/constructs/workflow.ts (only Lambda tasks are wired)`,
    );
  }
}
