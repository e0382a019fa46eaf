import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { FunctionSpec, Permission, TableAccess, TableName } from '../../functions/manifest';
import { TABLE_ENV_VARS, TABLE_PREFIX_ENV } from '../../shared/data/tables';
import { ValidationError } from '../../shared/errors';
import { REPO_ROOT, repoPath } from '../paths';
import { DeadLetterQueue } from './dead-letter-queue';
import { acknowledgeWildcardResources } from './nag';
import {
  METRICS_NAMESPACE,
  type PermissionContext,
  permissionStatements,
  type ScopedStatement,
} from './permissions';
import type { Tables } from './tables';

/** Environment variable carrying the Shadowscale event bus name to every function. */
export const EVENT_BUS_ENV = 'SHADOWSCALE_EVENT_BUS_NAME';
/** Where the Lambda runtime unpacks the bundle (`LAMBDA_TASK_ROOT`): the .wasm files sit beside index.mjs. */
export const AUGURS_WASM_DIR = '/var/task';
/** Lambda's runtime for every Shadowscale function (nodejs24.x). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * ESM output cannot `require`, yet some bundled CommonJS dependencies do: give the bundle a
 * real `require` (https://github.com/evanw/esbuild/issues/1921).
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface ProjectFunctionProps {
  /** What the handler declares it needs (functions/<capability>/manifest.ts). */
  readonly spec: FunctionSpec;
  /** The tables; the function gets the names (environment) and grants of those its spec lists. */
  readonly tables: Tables;
  /** The event bus (name in the environment; `events:put` grants PutEvents on it only). */
  readonly eventBus: events.IEventBus;
  /** Resources registered for Shadowscale to act on (scopes ECS/EKS/ELB writes). */
  readonly permissionContext: PermissionContext;
  /** Log retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Invoked asynchronously (by EventBridge or `InvocationType: Event`): failed invocations, after
   * Lambda's two retries, land in a dead-letter queue.
   * @default false
   */
  readonly async?: boolean;
  /** Removal policy of the log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

const ID = /^[A-Z][A-Za-z0-9]{0,63}$/;

/**
 * The one way Shadowscale builds a Lambda function: nodejs24.x on ARM64, X-Ray active tracing,
 * its own log group with retention, an ESM bundle by local esbuild (minified, source maps on),
 * its own role with only what the spec asks for (tables by intent, each `Permission` mapped to
 * scoped statements by infra/constructs/permissions.ts), and no AWS managed policy.
 */
export class ProjectFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly spec: FunctionSpec;
  /** Only when `async` is set: failed asynchronous invocations. */
  public readonly deadLetterQueue?: sqs.IQueue;
  public readonly asyncFailures?: DeadLetterQueue;
  private readonly wildcardReasons = new Map<string, string[]>();
  private readonly tables: Tables;
  private readonly permissionContext: PermissionContext;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    super(scope, id);
    const { spec } = props;
    validateSpec(spec);
    this.spec = spec;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Shadowscale ${spec.id}: ${spec.description}`.slice(0, 1000),
    });
    // Instead of AWSLambdaBasicExecutionRole (any log group): only this function's log group.
    this.logGroup.grantWrite(this.role);

    let deadLetterQueue: sqs.IQueue | undefined;
    if (props.async) {
      this.asyncFailures = new DeadLetterQueue(this, 'AsyncFailures', {
        purpose: `failed asynchronous invocations of ${spec.id} (after Lambda's own retries)`,
      });
      deadLetterQueue = this.asyncFailures.queue;
      this.deadLetterQueue = deadLetterQueue;
    }

    const environment: Record<string, string> = {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: `shadowscale-${kebab(spec.id)}`,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      [EVENT_BUS_ENV]: props.eventBus.eventBusName,
      [TABLE_PREFIX_ENV]: props.tables.prefix,
    };
    const assets = spec.assets ?? [];
    if (assets.includes('augurs-wasm')) environment.AUGURS_WASM_DIR = AUGURS_WASM_DIR;
    Object.assign(environment, spec.environment ?? {});

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: repoPath(spec.entry),
      handler: spec.handler ?? 'handler',
      description: spec.description.slice(0, 256),
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment,
      deadLetterQueue,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        banner: ESM_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK v3 ships in the nodejs24.x runtime.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
        // esbuild's per-bundle size table is noise in synth and test logs; warnings still show.
        logLevel: nodejs.LogLevel.WARNING,
        commandHooks: bundlingHooks(assets),
      },
    });
    // Lambda's X-Ray permissions (added by `tracing`) cannot be scoped to a resource.
    this.noteWildcard(
      '*',
      'xray:PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions',
    );

    this.tables = props.tables;
    this.permissionContext = props.permissionContext;
    for (const [table, access] of tableEntries(spec)) this.bindTable({ table, access });
    for (const permission of spec.permissions) this.grantPermission(permission);
  }

  /** Grant by intent: the table's name in the environment, and read or read-write on it and its indexes. */
  public bindTable(binding: { readonly table: TableName; readonly access: TableAccess }): void {
    this.function.addEnvironment(TABLE_ENV_VARS[binding.table], this.tables.table(binding.table).tableName);
    this.tables.grant(binding.table, this.role, binding.access);
  }

  /** The scoped statements of one `Permission` (infra/constructs/permissions.ts), each wildcard acknowledged with its reason. */
  public grantPermission(permission: Permission): void {
    for (const { statement, wildcardReason } of permissionStatements(
      this,
      permission,
      this.permissionContext,
    )) {
      this.role.addToPolicy(statement);
      for (const resource of statement.resources) {
        if (!resource.includes('*')) continue;
        if (!wildcardReason)
          throw new ValidationError(
            `${this.spec.id}: statement ${statement.sid} has a wildcard resource without a reason`,
          );
        this.noteWildcard(resource, wildcardReason);
      }
    }
  }

  /** Grant a principal the right to invoke this function (unqualified ARN only). */
  public grantInvoke(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
  }

  private noteWildcard(resource: string, reason: string): void {
    const reasons = this.wildcardReasons.get(resource) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    this.wildcardReasons.set(resource, reasons);
    acknowledgeWildcardResources(this.role, [resource], `${this.spec.id}: ${reasons.join('; ')}`);
  }
}

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function tableEntries(spec: FunctionSpec): [TableName, TableAccess][] {
  return Object.entries(spec.tables).filter((e): e is [TableName, TableAccess] => e[1] !== undefined);
}

function validateSpec(spec: FunctionSpec): void {
  const problems: string[] = [];
  if (!ID.test(spec.id)) problems.push(`id ${JSON.stringify(spec.id)} must be PascalCase letters and digits`);
  if (!Number.isInteger(spec.timeoutSeconds) || spec.timeoutSeconds < 1 || spec.timeoutSeconds > 900)
    problems.push(`timeoutSeconds ${spec.timeoutSeconds} must be an integer in 1..900`);
  if (!Number.isInteger(spec.memoryMb) || spec.memoryMb < 128 || spec.memoryMb > 10240)
    problems.push(`memoryMb ${spec.memoryMb} must be an integer in 128..10240`);
  if (!fs.existsSync(repoPath(spec.entry)))
    problems.push(`entry ${JSON.stringify(spec.entry)} does not exist`);
  if (problems.length > 0) throw new ValidationError(`function spec ${spec.id}: ${problems.join('; ')}`);
}

/** Ship non-code assets beside the bundle (local bundling: these run in a shell on this machine). */
function bundlingHooks(assets: readonly string[]): nodejs.ICommandHooks | undefined {
  if (assets.length === 0) return undefined;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string): string[] =>
      assets.includes('augurs-wasm')
        ? [`cp "${inputDir}"/node_modules/@bsull/augurs/*_bg.wasm "${outputDir}"/`]
        : [],
  };
}

/**
 * Every statement a function built from `spec` is granted beyond its own log group and X-Ray:
 * its tables (by `TableAccess`) and its permissions. ProjectFunction grants exactly these; the
 * infra tests compare them with the AWS calls the handler's code can make.
 */
export function functionStatements(
  scope: IConstruct,
  spec: FunctionSpec,
  tables: Tables,
  permissionContext: PermissionContext,
): ScopedStatement[] {
  return [
    ...tableEntries(spec).flatMap(([table, access]) =>
      tables.statements(table, access).map((statement) => ({ statement })),
    ),
    ...spec.permissions.flatMap((permission) => permissionStatements(scope, permission, permissionContext)),
  ];
}
