import { readFileSync } from 'node:fs';
import {
  aslPath,
  loadDefinition,
  localSubstitutions,
  localTaskHandlers,
  type RegionalKind,
} from '../../../functions/failover/local';
import { FAILOVER_FUNCTIONS, FAILOVER_STATE_MACHINES } from '../../../functions/failover/manifest';
import { expectTaskPolicies, reachableStates } from '../../helpers/asl';

// asl-validator ships no type declarations.
const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
} = require('asl-validator');

const KINDS: RegionalKind[] = ['failover', 'failback'];
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
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  End?: boolean;
}

describe.each(KINDS)('%s state machine', (kind) => {
  const raw = readFileSync(aslPath(kind), 'utf8');
  const definition = loadDefinition(kind) as unknown as {
    States: Record<string, State>;
    TimeoutSeconds?: number;
    QueryLanguage?: string;
  };

  it('is valid ASL (asl-validator) once substituted', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('uses only substitution keys the manifest defines, JSONPath only, and sets TimeoutSeconds', () => {
    const keys = [...raw.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
    const known = new Set(FAILOVER_FUNCTIONS.map((f) => f.substitution));
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
    const spec = FAILOVER_STATE_MACHINES.find((s) => s.file.endsWith(`regional-${kind}.asl.json`));
    const referenced = new Set(keys.map((k) => k?.replace(/FunctionArn$/, '')));
    expect(new Set(spec?.functions)).toEqual(referenced);
    expect(raw).not.toMatch(/JSONata|"Assign"|"Arguments"|\{%/);
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('every Task retries throttling and transient errors with backoff and jitter, and catches', () => {
    expectTaskPolicies(definition.States, REQUIRED_RETRY);
  });

  it('bad input fails in the first state; failures end in named states; every state is reachable', () => {
    const validate = definition.States.Validate;
    expect(validate?.Catch?.find((c) => c.ErrorEquals.includes('ValidationError'))?.Next).toBe(
      'InvalidInput',
    );
    expect(reachableStates(definition.States)).toEqual(Object.keys(definition.States).sort());
    const title = kind === 'failover' ? 'Failover' : 'Failback';
    expect(definition.States[`${title}Succeeded`]?.Type).toBe('Succeed');
    expect(definition.States[`${title}RolledBack`]?.Type).toBe('Fail');
    expect(definition.States.LeaseRefused?.Type).toBe('Fail');
  });

  it('has a local handler for every Task', () => {
    const handlers = localTaskHandlers(definition as never, localSubstitutions());
    const tasks = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([n]) => n);
    expect(Object.keys(handlers).sort()).toEqual(tasks.sort());
  });
});

describe.each(KINDS)('%s DNS steps', (kind) => {
  const definition = loadDefinition(kind) as unknown as {
    States: Record<string, State & { SecondsPath?: string }>;
  };
  it('every DNS step waits the TTL-derived wait before its gate', () => {
    expect(definition.States.Shift?.Next).toBe('WaitTtl');
    expect(definition.States.WaitTtl?.SecondsPath).toBe('$.run.cursor.waitSeconds');
    expect(definition.States.WaitTtl?.Next).toBe('Gate');
  });
});
