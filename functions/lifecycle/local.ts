import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../shared/errors';
import { substitute, taskHandlersByResource } from '../../shared/sim/asl-runner';
import { localFunctionArn } from '../migration/local';
import * as core from './core';
import { LIFECYCLE_FUNCTIONS, LIFECYCLE_STATE_MACHINES } from './manifest';

/**
 * Running the `lifecycle` state machine in-process (aws-local-stepfunctions): the real ASL file,
 * placeholder ARNs for its substitutions, every Task state overridden by the real task function.
 * Used by the tests and the local run.
 */
export const TASKS_BY_SUBSTITUTION: Readonly<Record<string, core.TaskFn>> = {
  LifecycleEvaluateFunctionArn: core.evaluate,
  LifecycleScaleDownFunctionArn: core.scaleDown,
  LifecycleSnapshotFunctionArn: core.snapshot,
  LifecycleRunTestsFunctionArn: core.runTests,
  LifecycleNotifyFunctionArn: core.notify,
  LifecycleSetPriorityFunctionArn: core.setPriority,
  LifecycleRecordFailureFunctionArn: core.recordFailure,
  LifecycleReportFunctionArn: core.report,
};

export function localSubstitutions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of LIFECYCLE_FUNCTIONS)
    if (spec.substitution) out[spec.substitution] = localFunctionArn(spec.substitution);
  return out;
}

export function aslPath(): string {
  const spec = LIFECYCLE_STATE_MACHINES[0];
  if (!spec) throw new ConfigError('no lifecycle state machine spec');
  return join(__dirname, '..', '..', spec.file);
}

interface AslState {
  Type: string;
  Resource?: string;
}

export function loadDefinition(substitutions: Record<string, string> = localSubstitutions()): {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
} {
  return JSON.parse(substitute(readFileSync(aslPath(), 'utf8'), substitutions));
}

export function localLifecycleMachine() {
  const substitutions = localSubstitutions();
  const definition = loadDefinition(substitutions);
  const handlers = taskHandlersByResource(definition.States, TASKS_BY_SUBSTITUTION, substitutions);
  return { definition, handlers };
}
