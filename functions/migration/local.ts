import { join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { ConfigError } from '../../shared/errors';
import {
  type JSONValue,
  loadDefinition as loadAsl,
  type TaskHandler,
  taskHandlers,
} from '../../shared/sim/asl-runner';
import * as core from './core';
import { MIGRATION_FUNCTIONS, MIGRATION_STATE_MACHINES } from './manifest';

/**
 * The shadow-pool state machines for the local runner (shared/sim/asl-runner.ts): the real ASL
 * file, its `${...FunctionArn}` substitutions filled with placeholder ARNs, and every Task state
 * overridden by the real task function (core.ts), which takes the state input and resolves its
 * ports from functions/runtime (`setRuntime(...)` for the simulator or in-memory stores; the AWS
 * SDK configuration otherwise). Used by `shadowscale migrate --local` and the tests.
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

/** The ASL definition object (JSON-parsed, substitutions filled). */
export function loadDefinition(
  kind: ShadowPoolKind,
  substitutions: Record<string, string> = localSubstitutions(),
): StateMachineDefinition {
  return loadAsl(aslPath(kind), substitutions);
}

/**
 * Task state name -> the real task function, matched through the state's Resource (the placeholder
 * ARN of its substitution key), for the one local runner (shared/sim/asl-runner.ts).
 */
export function localTaskHandlers(
  definition: StateMachineDefinition,
  substitutions: Record<string, string> = localSubstitutions(),
): Record<string, TaskHandler> {
  const bySubstitution: Record<string, TaskHandler> = {};
  for (const [key, task] of Object.entries(TASKS_BY_SUBSTITUTION))
    bySubstitution[key] = (input) => task(input as never) as Promise<JSONValue>;
  return taskHandlers(definition, { substitutions, bySubstitution });
}

/** Everything a local run needs for one state machine. */
export function localStateMachine(kind: ShadowPoolKind) {
  const definition = loadDefinition(kind);
  return { definition, handlers: localTaskHandlers(definition) };
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
