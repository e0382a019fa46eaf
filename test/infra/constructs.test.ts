import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import type { CapabilityContext } from '../../infra/constructs/capability';
import { Forecaster } from '../../infra/constructs/forecaster';
import { Monitoring } from '../../infra/constructs/monitoring';
import { ProjectFunction } from '../../infra/constructs/project-function';
import { Tables } from '../../infra/constructs/tables';
import { Workflow } from '../../infra/constructs/workflow';
import { ValidationError } from '../../shared/errors';

const ECHO = 'test/infra/fixtures/handlers/echo.ts';
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowscale-asl-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function stack(): Stack {
  return new Stack(new App(), 'T', { env: { account: '123456789012', region: 'eu-west-1' } });
}

function context(scope: Stack): CapabilityContext {
  const tables = new Tables(scope, 'Tables', { prefix: 'test' });
  const eventBus = new events.EventBus(scope, 'Bus');
  return {
    tables,
    eventBus,
    permissionContext: {
      managed: {
        listenerArns: [],
        ecsClusters: [],
        eksClusters: [],
        passRoleArns: [],
        launchTemplateIds: [],
        hostedZoneIds: [],
      },
      eventBus,
    },
    logRetention: logs.RetentionDays.ONE_WEEK,
    monitoring: new Monitoring(scope, 'Monitoring'),
    substitutionValues: { EventBusName: eventBus.eventBusName },
  };
}

/** Run once and return what it threw (constructs cannot be added twice under one id). */
function thrown(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

function aslFile(name: string, definition: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(definition));
  return file;
}

/** An ASL placeholder, `${name}` (built so that it is not mistaken for a template slot). */
const ph = (name: string) => `$\{${name}}`;

const passThrough = (extra: Record<string, unknown> = {}) => ({
  StartAt: 'A',
  States: { A: { Type: 'Pass', Parameters: { bus: ph('EventBusName'), ...extra }, End: true } },
});

describe('Workflow refuses to synthesize what would deploy broken', () => {
  it.each([
    [
      'a placeholder with no value',
      passThrough({ table: ph('OperationsTableName') }),
      { EventBusName: 'the bus' },
      `uses ${ph('OperationsTableName')} with no value`,
    ],
    [
      'a declared substitution infra cannot fill',
      passThrough(),
      { Mystery: 'unknown' },
      'no value for substitution Mystery',
    ],
    [
      'a non-Lambda task integration (no scoped grant)',
      {
        StartAt: 'A',
        States: { A: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
      },
      {},
      'has no scoped grant',
    ],
    [
      'a Distributed Map reading items from S3 (no S3 grant)',
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'P',
              States: { P: { Type: 'Pass', End: true } },
            },
            End: true,
          },
        },
      },
      {},
      'task resource "arn:aws:states:::s3:getObject" has no scoped grant',
    ],
  ])('%s', (_what, definition, substitutions, message) => {
    const scope = stack();
    const spec: StateMachineSpec = {
      id: 'Broken',
      file: aslFile(`broken-${message.length}.asl.json`, definition),
      functions: [],
      substitutions,
    };
    const act = () =>
      new Workflow(scope, 'Broken', {
        spec,
        functions: new Map(),
        values: { EventBusName: 'bus' },
        logRetention: logs.RetentionDays.ONE_WEEK,
      });
    const error = thrown(act);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain(message);
  });

  it('refuses a function the capability did not build', () => {
    const spec: StateMachineSpec = {
      id: 'Orphan',
      file: aslFile('orphan.asl.json', passThrough()),
      functions: ['Ghost'],
    };
    expect(
      () =>
        new Workflow(stack(), 'Orphan', {
          spec,
          functions: new Map(),
          values: { EventBusName: 'bus' },
          logRetention: logs.RetentionDays.ONE_WEEK,
        }),
    ).toThrow('function "Ghost" is not built');
  });
});

describe('Workflow grants only what the definition calls', () => {
  it('refuses a listed function that the definition never references', () => {
    const scope = stack();
    const ctx = context(scope);
    const spec: FunctionSpec = {
      id: 'Unused',
      entry: ECHO,
      description: 'never called',
      timeoutSeconds: 10,
      memoryMb: 256,
      tables: {},
      permissions: [],
      substitution: 'UnusedFunctionArn',
    };
    const fn = new ProjectFunction(scope, 'Unused', {
      spec,
      tables: ctx.tables,
      eventBus: ctx.eventBus,
      permissionContext: ctx.permissionContext,
      logRetention: ctx.logRetention,
    });
    const machine: StateMachineSpec = {
      id: 'Idle',
      file: aslFile('idle.asl.json', { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
      functions: ['Unused'],
    };
    const error = thrown(
      () =>
        new Workflow(scope, 'Idle', {
          spec: machine,
          functions: new Map([['Unused', fn]]),
          logRetention: logs.RetentionDays.ONE_WEEK,
        }),
    );
    expect(error.message).toContain(`never references Unused (${ph('UnusedFunctionArn')})`);
  });
});

describe('ProjectFunction validates its spec', () => {
  const base: FunctionSpec = {
    id: 'Echo',
    entry: ECHO,
    description: 'echo',
    timeoutSeconds: 10,
    memoryMb: 256,
    tables: {},
    permissions: [],
  };
  it.each([
    [{ id: 'not-pascal' }, 'id "not-pascal"'],
    [{ timeoutSeconds: 901 }, 'timeoutSeconds 901'],
    [{ memoryMb: 64 }, 'memoryMb 64'],
    [{ entry: 'functions/nowhere/index.ts' }, 'entry "functions/nowhere/index.ts" does not exist'],
  ])('refuses %j', (change, message) => {
    const scope = stack();
    const ctx = context(scope);
    const act = () =>
      new ProjectFunction(scope, 'Fn', {
        spec: { ...base, ...change },
        tables: ctx.tables,
        eventBus: ctx.eventBus,
        permissionContext: ctx.permissionContext,
        logRetention: ctx.logRetention,
      });
    const error = thrown(act);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain(message);
  });
});

describe('Forecaster and Tables validate their props', () => {
  it('needs to know what the schedule starts when there is no single state machine', () => {
    const scope = stack();
    expect(
      () =>
        new Forecaster(scope, 'F', { context: context(scope), functions: [], schedule: 'rate(5 minutes)' }),
    ).toThrow('scheduleTarget is required with 0 state machines');
  });

  it('refuses replicas of imported tables and a replica in its own region', () => {
    expect(
      () => new Tables(stack(), 'T', { prefix: 'x', mode: 'import', replicaRegions: ['us-west-2'] }),
    ).toThrow("need mode 'create'");
    expect(() => new Tables(stack(), 'T', { prefix: 'x', replicaRegions: ['eu-west-1'] })).toThrow(
      'replica region eu-west-1 is the stack',
    );
  });
});
