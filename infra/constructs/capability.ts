import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import type { Monitoring } from './monitoring';
import type { PermissionContext } from './permissions';
import { ProjectFunction } from './project-function';
import type { Tables } from './tables';
import { Workflow } from './workflow';

/** What every capability construct builds on: shared resources of one control-plane stack. */
export interface CapabilityContext {
  readonly tables: Tables;
  readonly eventBus: events.IEventBus;
  readonly permissionContext: PermissionContext;
  readonly logRetention: logs.RetentionDays;
  readonly monitoring: Monitoring;
  /** Values for state machines' non-function substitutions (`EventBusName`, `<Table>TableName`...). */
  readonly substitutionValues: Readonly<Record<string, string>>;
}

export interface BuildFunctionsOptions {
  /** Functions invoked asynchronously (EventBridge targets): they get a failure DLQ. @default [] */
  readonly asyncIds?: readonly string[];
  /** Alarm on any error of these functions (the forecaster). @default false */
  readonly alarmOnErrors?: boolean;
}

/** Build one ProjectFunction per spec (construct id = spec id), watched by monitoring. */
export function buildFunctions(
  scope: Construct,
  specs: readonly FunctionSpec[],
  context: CapabilityContext,
  options: BuildFunctionsOptions = {},
): Map<string, ProjectFunction> {
  const asyncIds = options.asyncIds ?? [];
  const built = new Map<string, ProjectFunction>();
  for (const spec of specs) {
    if (built.has(spec.id))
      throw new ValidationError(`function id ${JSON.stringify(spec.id)} is listed twice`);
    const fn = new ProjectFunction(scope, spec.id, {
      spec,
      tables: context.tables,
      eventBus: context.eventBus,
      permissionContext: context.permissionContext,
      logRetention: context.logRetention,
      async: asyncIds.includes(spec.id),
    });
    built.set(spec.id, fn);
    context.monitoring.watchFunction(fn, { alarmOnErrors: options.alarmOnErrors ?? false });
    if (fn.deadLetterQueue && fn.asyncFailures)
      context.monitoring.watchQueue(`${spec.id}Async`, fn.asyncFailures);
  }
  for (const id of asyncIds)
    if (!built.has(id))
      throw new ValidationError(`async function ${JSON.stringify(id)} is not among the specs`);
  return built;
}

/** Build one Workflow per spec (construct id = spec id), watched by monitoring. */
export function buildWorkflows(
  scope: Construct,
  specs: readonly StateMachineSpec[],
  functions: ReadonlyMap<string, ProjectFunction>,
  context: CapabilityContext,
): Map<string, Workflow> {
  const built = new Map<string, Workflow>();
  for (const spec of specs) {
    if (built.has(spec.id))
      throw new ValidationError(`state machine id ${JSON.stringify(spec.id)} is listed twice`);
    const workflow = new Workflow(scope, spec.id, {
      spec,
      functions,
      values: context.substitutionValues,
      logRetention: context.logRetention,
    });
    built.set(spec.id, workflow);
    context.monitoring.watchWorkflow(workflow);
  }
  return built;
}

export function pick<T>(map: ReadonlyMap<string, T>, id: string, what: string): T {
  const value = map.get(id);
  if (value === undefined)
    throw new ValidationError(
      `${what} ${JSON.stringify(id)} is not among ${JSON.stringify([...map.keys()])}`,
    );
  return value;
}
