import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import { ConfigError } from '../../shared/errors';
import { substitute, taskHandlersByResource } from '../../shared/sim/asl-runner';
import type { TokenState } from '../../shared/sim/test-runner';
import { parseOrThrow } from '../../shared/validation';
import * as migration from '../migration/core';
import { localFunctionArn } from '../migration/local';
import { MIGRATION_FUNCTIONS } from '../migration/manifest';
import * as core from './core';
import { PIPELINE_FUNCTIONS, PIPELINE_STATE_MACHINES } from './manifest';

/**
 * Running the pipeline-branch state machine in-process (aws-local-stepfunctions): the real ASL
 * file with placeholder ARNs, every Lambda Task overridden by the real task function.
 *
 * aws-local-stepfunctions has no task tokens: it neither fills `$$.Task.Token` nor accepts
 * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat. The `.waitForTaskToken` Task (the
 * integration test gate) is therefore overridden by `localTestGate`, which does what Step
 * Functions does around it: it mints a token, calls the real StartTests task with it, then waits
 * (in the caller's time, e.g. the simulated clock) for the runner's answer, failing with
 * `States.Timeout` after the state's timeout and `States.HeartbeatTimeout` when heartbeats stop.
 */
export const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

export const PIPELINE_TASKS_BY_SUBSTITUTION: Readonly<Record<string, migration.TaskFn>> = {
  PipelineValidateFunctionArn: core.validate,
  PipelinePredictFunctionArn: core.predict,
  PipelineBeginFunctionArn: core.begin,
  PipelinePlanFunctionArn: core.plan,
  PipelineProvisionFunctionArn: core.provision,
  PipelineStartTestsFunctionArn: core.startTestRun,
  PipelineRecordTestsFunctionArn: core.testsPassed,
  PipelineDeployPrimaryFunctionArn: core.primary,
  PipelinePrimaryStableFunctionArn: core.primaryStable,
  PipelinePlanMergeFunctionArn: core.merge,
  PipelineFinishFunctionArn: core.finish,
  PipelineDiscardFunctionArn: core.discard,
  PipelineCheckHealthyFunctionArn: core.shadowHealthy,
  MigrationSmokeTestFunctionArn: migration.smoke,
  MigrationShiftFunctionArn: migration.shift,
  MigrationGateFunctionArn: migration.gate,
  PipelineDecommissionFunctionArn: core.decommission,
};

export function pipelineSubstitutions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of [...PIPELINE_FUNCTIONS, ...MIGRATION_FUNCTIONS])
    if (spec.substitution) out[spec.substitution] = localFunctionArn(spec.substitution);
  return out;
}

export function pipelineAslPath(): string {
  const spec = PIPELINE_STATE_MACHINES[0];
  if (!spec) throw new ConfigError('no pipeline-branch state machine spec');
  return join(__dirname, '..', '..', spec.file);
}

interface AslState {
  Type: string;
  Resource?: string;
}

export function loadPipelineDefinition(substitutions: Record<string, string> = pipelineSubstitutions()): {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
} {
  return JSON.parse(substitute(readFileSync(pipelineAslPath(), 'utf8'), substitutions));
}

/** Where the answers of a task token come from locally (e.g. the simulated test runner). */
export interface LocalTokenAnswers {
  poll(token: string): TokenState | undefined;
}

/** An error with the name Step Functions gives it, so the state machine's Catch matches it. */
export class StatesError extends Error {
  override readonly name: string;
  constructor(errorName: string, message: string) {
    super(message);
    this.name = errorName;
  }
}

const GatePayload = z.looseObject({
  FunctionName: z.string(),
  Payload: z.looseObject({
    timeoutSeconds: z.number().int().positive(),
    heartbeatSeconds: z.number().int().positive(),
  }),
});

/**
 * The integration test gate locally (see the module comment). `sleepUntil` waits for the caller's
 * clock (the co-simulation's, so the fleet advances while tests run); `pollSeconds` is how often
 * the answer is looked at.
 */
export function localTestGate(options: {
  answers: LocalTokenAnswers;
  clock: Clock;
  sleepUntil: (atMs: number) => Promise<void>;
  pollSeconds?: number;
}): migration.TaskFn {
  let minted = 0;
  return async (input) => {
    const parsed = parseOrThrow(GatePayload, input, 'test gate parameters');
    const token = `local-task-token-${++minted}-${options.clock.now()}`;
    const payload = { ...parsed.Payload, taskToken: token };
    await core.startTestRun(payload);
    const started = options.clock.now();
    const { timeoutSeconds, heartbeatSeconds } = parsed.Payload;
    const pollMs = (options.pollSeconds ?? 15) * 1000;
    for (;;) {
      const state = options.answers.poll(token);
      const now = options.clock.now();
      if (state?.status === 'succeeded') return state.output;
      if (state?.status === 'failed') throw new StatesError(state.error, state.cause);
      if (now - started >= timeoutSeconds * 1000) {
        throw new StatesError('States.Timeout', `the test runner did not answer within ${timeoutSeconds}s`);
      }
      const beat = state?.lastHeartbeatMs ?? started;
      if (now - beat >= heartbeatSeconds * 1000) {
        throw new StatesError(
          'States.HeartbeatTimeout',
          `the test runner sent no heartbeat for ${heartbeatSeconds}s`,
        );
      }
      await options.sleepUntil(
        Math.min(now + pollMs, started + timeoutSeconds * 1000, beat + heartbeatSeconds * 1000),
      );
    }
  };
}

/** `taskResourceLocalHandlers`: every Task state -> its real task function (the gate -> `gate`). */
export function pipelineTaskHandlers(
  definition: { States: Record<string, AslState> },
  gate: migration.TaskFn,
  substitutions: Record<string, string> = pipelineSubstitutions(),
): Record<string, migration.TaskFn> {
  return taskHandlersByResource(
    definition.States,
    PIPELINE_TASKS_BY_SUBSTITUTION,
    substitutions,
    new Map([[WAIT_FOR_TASK_TOKEN, gate]]),
  );
}

/**
 * The context-object fields a local run adds: a placeholder `$$.Task.Token` so the gate's
 * Parameters resolve; `localTestGate` mints the real token per attempt.
 */
export const LOCAL_TASK_CONTEXT = { Task: { Token: 'local-placeholder-token' } };

/** Everything a local run of pipeline-branch needs. */
export function localPipelineStateMachine(gate: migration.TaskFn) {
  const definition = loadPipelineDefinition();
  return { definition, handlers: pipelineTaskHandlers(definition, gate), context: LOCAL_TASK_CONTEXT };
}
