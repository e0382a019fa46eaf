import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../shared/errors';
import * as core from './core';
import { MIGRATION_FUNCTIONS, MIGRATION_STATE_MACHINES } from './manifest';

/**
 * Running the shadow-pool state machines in-process (aws-local-stepfunctions): the real ASL file,
 * its `${...FunctionArn}` substitutions filled with placeholder ARNs, and every Task state
 * overridden by the real task function (core.ts), which takes the state input and resolves its
 * ports from functions/runtime (`setRuntime(...)` for the simulator or in-memory stores; the AWS
 * SDK configuration otherwise). Used by `shadowscale migrate --local`, the tests and `npm start`.
 */

export type ShadowPoolKind = 'migration' | 'return';

/** Task function for each FunctionSpec, by its substitution key (e.g. `MigrationShiftFunctionArn`). */
export const TASKS_BY_SUBSTITUTION: Readonly<Record<string, core.TaskFn>> = {
  MigrationValidateFunctionArn: core.validate,
  MigrationAcquireLeaseFunctionArn: core.lease,
  MigrationPlanFunctionArn: core.plan,
  MigrationProvisionFunctionArn: core.provision,
  MigrationCheckHealthyFunctionArn: core.healthy,
  MigrationSmokeTestFunctionArn: core.smoke,
  MigrationShiftFunctionArn: core.shift,
  MigrationGateFunctionArn: core.gate,
  MigrationDecommissionFunctionArn: core.decommission,
  MigrationRecordSuccessFunctionArn: core.succeed,
  MigrationCompensateFunctionArn: core.undo,
};

/** A Lambda ARN that passes ASL validation; never invoked (every Task is overridden). */
export function localFunctionArn(substitution: string): string {
  return `arn:aws:lambda:us-east-1:123456789012:function:shadowscale-local-${substitution.replace(/FunctionArn$/, '')}`;
}

/** `definitionSubstitutions` for a local run: every function key -> a placeholder ARN. */
export function localSubstitutions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of MIGRATION_FUNCTIONS)
    if (spec.substitution) out[spec.substitution] = localFunctionArn(spec.substitution);
  return out;
}

/** Absolute path of the ASL file (resolved from this module, not the working directory). */
export function aslPath(kind: ShadowPoolKind): string {
  const spec = MIGRATION_STATE_MACHINES.find(
    (s) => s.id === (kind === 'migration' ? 'ShadowPoolMigration' : 'ShadowPoolReturn'),
  );
  if (!spec) throw new ConfigError(`no state machine spec for ${kind}`);
  return join(__dirname, '..', '..', spec.file);
}

/** Replace `${Key}` placeholders as CDK `definitionSubstitutions` does; an unknown key is an error. */
export function substitute(text: string, substitutions: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_m, key: string) => {
    const value = substitutions[key];
    if (value === undefined) throw new ConfigError(`no substitution for \${${key}}`);
    return value;
  });
}

interface AslTask {
  Type: string;
  Resource?: string;
}

/** The ASL definition object (JSON-parsed, substitutions filled). */
export function loadDefinition(
  kind: ShadowPoolKind,
  substitutions: Record<string, string> = localSubstitutions(),
): { StartAt: string; States: Record<string, AslTask>; TimeoutSeconds?: number } {
  return JSON.parse(substitute(readFileSync(aslPath(kind), 'utf8'), substitutions));
}

/**
 * `overrides.taskResourceLocalHandlers` for aws-local-stepfunctions: Task state name -> the real
 * task function, matched through the state's Resource (the placeholder ARN of its substitution key).
 */
export function localTaskHandlers(
  definition: { States: Record<string, AslTask> },
  substitutions: Record<string, string> = localSubstitutions(),
): Record<string, core.TaskFn> {
  const byArn = new Map<string, core.TaskFn>();
  for (const [key, task] of Object.entries(TASKS_BY_SUBSTITUTION)) {
    const arn = substitutions[key];
    if (arn) byArn.set(arn, task);
  }
  const handlers: Record<string, core.TaskFn> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const task = state.Resource ? byArn.get(state.Resource) : undefined;
    if (!task) throw new ConfigError(`Task state ${name} has no local handler for ${state.Resource}`);
    handlers[name] = task;
  }
  return handlers;
}

/** Everything a local run needs for one state machine. */
export function localStateMachine(kind: ShadowPoolKind) {
  const definition = loadDefinition(kind);
  return { definition, handlers: localTaskHandlers(definition) };
}

/** Names of the Wait states, to override their duration (ms) in tests or a co-simulation. */
export function waitStates(definition: { States: Record<string, AslTask> }): string[] {
  return Object.entries(definition.States)
    .filter(([, s]) => s.Type === 'Wait')
    .map(([name]) => name);
}

/** The execution input a CLI or local run starts with (same shape the EventBridge rule produces). */
export function executionInput(fields: {
  workloadId: string;
  operationId?: string;
  steps?: number[];
  preset?: 'default' | 'linear';
  stepCount?: number;
  bakeSeconds?: number;
  reason?: string;
  shadowUnits?: number;
  force?: boolean;
  trigger?: string;
}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
