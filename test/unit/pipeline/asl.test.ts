import { readFileSync } from 'node:fs';
import { MIGRATION_FUNCTIONS } from '../../../functions/migration/manifest';
import {
  loadPipelineDefinition,
  localTestGate,
  pipelineAslPath,
  pipelineTaskHandlers,
  WAIT_FOR_TASK_TOKEN,
} from '../../../functions/pipeline/local';
import { PIPELINE_FUNCTIONS, PIPELINE_STATE_MACHINES } from '../../../functions/pipeline/manifest';
import { ManualClock } from '../../../shared/clock';
import { expectTaskPolicies, reachableStates } from '../../helpers/asl';

// asl-validator ships no type declarations.
const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
} = require('asl-validator');

const REQUIRED_RETRY = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.SdkClientException',
  'Lambda.AWSLambdaException',
  'TransientError',
];

interface State {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
}

describe('pipeline-branch state machine', () => {
  const raw = readFileSync(pipelineAslPath(), 'utf8');
  const definition = loadPipelineDefinition() as unknown as {
    States: Record<string, State>;
    TimeoutSeconds?: number;
  };

  it('is valid ASL (asl-validator) once substituted, JSONPath only, with a TimeoutSeconds', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
    expect(raw).not.toMatch(/JSONata|"Assign"|"Arguments"|\{%/);
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('uses exactly the substitution keys of the functions its manifest lists', () => {
    const keys = new Set(
      [...raw.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]?.replace(/FunctionArn$/, '')),
    );
    const known = new Set([...PIPELINE_FUNCTIONS, ...MIGRATION_FUNCTIONS].map((f) => f.id));
    expect([...keys].filter((k) => !known.has(k as string))).toEqual([]);
    expect(keys).toEqual(new Set(PIPELINE_STATE_MACHINES[0]?.functions));
  });

  it('every Task retries transient errors with backoff and jitter, catches all, and has a timeout', () => {
    expectTaskPolicies(definition.States, REQUIRED_RETRY, { timeouts: true });
  });

  it('the integration test gate waits for a task token, with a heartbeat and a timeout, and discards on failure', () => {
    const gate = definition.States.IntegrationTests;
    expect(gate?.Resource).toBe(WAIT_FOR_TASK_TOKEN);
    expect(gate?.HeartbeatSeconds).toBeGreaterThan(0);
    expect(gate?.TimeoutSeconds).toBeGreaterThan(gate?.HeartbeatSeconds ?? 0);
    expect(gate?.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next).toBe('Discard');
  });

  it('bad input fails in the first state; every state is reachable; named end states', () => {
    expect(
      definition.States.Validate?.Catch?.find((c) => c.ErrorEquals.includes('ValidationError'))?.Next,
    ).toBe('InvalidInput');
    expect(reachableStates(definition.States)).toEqual(Object.keys(definition.States).sort());
    for (const name of ['Merged', 'DeployedToPrimary', 'AlreadyDeployed'])
      expect(definition.States[name]?.Type).toBe('Succeed');
    for (const name of ['Discarded', 'DiscardFailed', 'InvalidInput', 'LeaseRefused', 'NoForecast'])
      expect(definition.States[name]?.Type).toBe('Fail');
  });

  it('has a local handler for every Task', () => {
    const gate = localTestGate({
      answers: { poll: () => undefined },
      clock: new ManualClock(0),
      sleepUntil: async () => {},
    });
    const handlers = pipelineTaskHandlers(definition, gate);
    const tasks = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([n]) => n);
    expect(Object.keys(handlers).sort()).toEqual(tasks.sort());
  });
});
