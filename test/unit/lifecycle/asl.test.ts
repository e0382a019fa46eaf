import { readFileSync } from 'node:fs';
import { aslPath, loadDefinition, localLifecycleMachine } from '../../../functions/lifecycle/local';
import { LIFECYCLE_FUNCTIONS, LIFECYCLE_STATE_MACHINES } from '../../../functions/lifecycle/manifest';
import { type AslStateShape, expectTaskPolicies, reachableStates } from '../../helpers/asl';

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

describe('lifecycle state machine definition', () => {
  const raw = readFileSync(aslPath(), 'utf8');
  const definition = loadDefinition() as unknown as {
    StartAt: string;
    States: Record<string, AslStateShape>;
    TimeoutSeconds?: number;
  };

  it('is valid ASL once substituted, JSONPath only, with TimeoutSeconds', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
    expect(raw).not.toMatch(/JSONata|"Assign"|"Arguments"|\{%/);
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('references exactly the functions its manifest lists', () => {
    const keys = [...raw.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]?.replace(/FunctionArn$/, ''));
    expect(new Set(keys)).toEqual(new Set(LIFECYCLE_STATE_MACHINES[0]?.functions));
    expect(new Set(LIFECYCLE_FUNCTIONS.map((f) => f.id))).toEqual(new Set(keys));
  });

  it('retries transient errors with backoff and catches everything, with a timeout, on every Task', () => {
    expectTaskPolicies(definition.States, REQUIRED_RETRY, { timeouts: true });
  });

  it('reaches every state, and every run ends in a named Succeed or Fail state', () => {
    expect(reachableStates(definition.States, definition.StartAt)).toEqual(
      Object.keys(definition.States).sort(),
    );
    const ends = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail')
      .map(([name]) => name)
      .sort();
    expect(ends).toEqual(
      [
        'ActionsFailed',
        'AlreadyDone',
        'ConditionsNotMet',
        'Done',
        'EvaluationFailed',
        'InvalidInput',
        'RecordingFailed',
        'ReportFailed',
        'UnknownAction',
      ].sort(),
    );
  });

  it('has a real task function for every Task state', () => {
    const { handlers } = localLifecycleMachine();
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(Object.keys(handlers).sort()).toEqual(tasks.map(([n]) => n).sort());
  });
});
