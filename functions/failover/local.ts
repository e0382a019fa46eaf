import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../shared/errors';
import { substitute, taskHandlersByResource } from '../../shared/sim/asl-runner';
import { localFunctionArn } from '../migration/local';
import * as core from './core';
import { FAILOVER_FUNCTIONS, FAILOVER_STATE_MACHINES } from './manifest';

/**
 * Running the regional state machines in-process (aws-local-stepfunctions): the real ASL file,
 * placeholder ARNs for its substitutions, every Task state overridden by the real task function.
 * Used by the tests, the local `region-outage` scenario and `shadowscale bench failover`.
 */
export type RegionalKind = 'failover' | 'failback';

export const TASKS_BY_SUBSTITUTION: Readonly<Record<string, core.TaskFn>> = {
  FailoverValidateFunctionArn: core.validate,
  FailoverAcquireLeaseFunctionArn: core.lease,
  FailoverPlanFunctionArn: core.plan,
  FailoverRaiseStandbyFunctionArn: core.raise,
  FailoverCheckDestinationFunctionArn: core.check,
  FailoverShiftFunctionArn: core.shift,
  FailoverGateFunctionArn: core.gate,
  FailoverRecordSuccessFunctionArn: core.succeed,
  FailoverCompensateFunctionArn: core.undo,
};

export function localSubstitutions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of FAILOVER_FUNCTIONS)
    if (spec.substitution) out[spec.substitution] = localFunctionArn(spec.substitution);
  return out;
}

export function aslPath(kind: RegionalKind): string {
  const spec = FAILOVER_STATE_MACHINES.find(
    (s) => s.id === (kind === 'failover' ? 'RegionalFailover' : 'RegionalFailback'),
  );
  if (!spec) throw new ConfigError(`no state machine spec for ${kind}`);
  return join(__dirname, '..', '..', spec.file);
}

interface AslTask {
  Type: string;
  Resource?: string;
}

export function loadDefinition(
  kind: RegionalKind,
  substitutions: Record<string, string> = localSubstitutions(),
): { StartAt: string; States: Record<string, AslTask>; TimeoutSeconds?: number } {
  return JSON.parse(substitute(readFileSync(aslPath(kind), 'utf8'), substitutions));
}

export function localTaskHandlers(
  definition: { States: Record<string, AslTask> },
  substitutions: Record<string, string> = localSubstitutions(),
): Record<string, core.TaskFn> {
  return taskHandlersByResource(definition.States, TASKS_BY_SUBSTITUTION, substitutions);
}

export function localRegionalMachine(kind: RegionalKind) {
  const definition = loadDefinition(kind);
  return { definition, handlers: localTaskHandlers(definition) };
}
