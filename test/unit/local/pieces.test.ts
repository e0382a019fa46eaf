import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { demoWorkload } from '../../../bin/local/demo';
import { executionNarrator, loadDefinition, localHandlers } from '../../../bin/local/operations';
import { parseLocalOptions } from '../../../bin/local/options';
import { formatLine, progressBar, table } from '../../../bin/local/output';
import type { FunctionSpec } from '../../../functions/manifest';
import { MIGRATION_FUNCTIONS, MIGRATION_STATE_MACHINES } from '../../../functions/migration/manifest';
import { ValidationError } from '../../../shared/errors';
import { onGrid as resample } from '../../../shared/sim/trace';

const T0 = Date.UTC(2026, 0, 1);

describe('resample', () => {
  it('interpolates a coarse trace onto the 5-minute grid', () => {
    const trace = { name: 't', startMs: T0, intervalMs: 1_800_000, values: Float64Array.from([0, 60, 0]) };
    const r = resample(trace, 300_000);
    expect(r.intervalMs).toBe(300_000);
    expect(Array.from(r.values, (v) => Number(v.toFixed(9)))).toEqual([
      0, 10, 20, 30, 40, 50, 60, 50, 40, 30, 20, 10, 0,
    ]);
  });

  it('averages a fine trace inside each step', () => {
    const trace = {
      name: 't',
      startMs: T0,
      intervalMs: 60_000,
      values: Float64Array.from({ length: 11 }, (_, i) => i),
    };
    expect(Array.from(resample(trace, 300_000).values)).toEqual([2, 7, 10]);
  });

  it('refuses a trace shorter than two steps', () => {
    const trace = { name: 't', startMs: T0, intervalMs: 60_000, values: Float64Array.from([1, 2]) };
    expect(() => resample(trace, 300_000)).toThrow(ValidationError);
  });
});

describe('demoWorkload', () => {
  it('sizes a unit so the trace p95 needs 20 units and caps the primary below the peak', () => {
    const values = Float64Array.from({ length: 2000 }, (_, i) => 1000 + 900 * Math.sin(i / 40));
    const demo = demoWorkload(
      { name: 't', startMs: T0, intervalMs: 300_000, values },
      { primaryMaxUnits: 12 },
    );
    const peakUnits = Math.max(...values) / (demo.unitCapacity * 0.7);
    expect(peakUnits).toBeGreaterThan(demo.workload.capacity.maxUnits);
    expect(demo.workload.capacity.maxUnits).toBe(12);
    expect(demo.sim.primary.maxUnits).toBe(12);
    expect(demo.workload.metrics[0]?.capacityPerUnit).toBe(demo.unitCapacity);
  });
});

describe('parseLocalOptions', () => {
  it('applies the defaults', () => {
    expect(parseLocalOptions({})).toMatchObject({ days: 1, warmupDays: 14, speed: 'max', port: 0 });
  });

  it.each([
    [{ days: -1 }, '--days'],
    [{ port: 70_000 }, '--port'],
    [{ warmupDays: 0 }, '--warmup-days'],
  ])('names the flag in the error for %j', (input, flag) => {
    expect(() => parseLocalOptions(input)).toThrow(flag);
  });
});

describe('output', () => {
  it('formats a line with simulated time and a fixed-width tag', () => {
    expect(formatLine(T0, 'migration', '▸ Plan')).toBe('2026-01-01 00:00  migration   ▸ Plan');
  });

  it.each([
    [0, '[............................]   0%'],
    [0.5, '[##############..............]  50%'],
    [1.7, '[############################] 100%'],
  ])('progressBar(%s)', (f, expected) => {
    expect(progressBar(f)).toBe(expected);
  });

  it('aligns a table', () => {
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\n---  --\nccc   d');
  });
});

describe('state machines as deployed, filled for the local run', () => {
  it.each(MIGRATION_STATE_MACHINES.map((m) => [m.file, m] as const))(
    '%s: every Task calls a known handler',
    (_file, machine) => {
      const functions = MIGRATION_FUNCTIONS.filter((f) => machine.functions.includes(f.id));
      const { definition, byArn } = loadDefinition(machine, functions);
      const loaded: string[] = [];
      const handlers = localHandlers(definition, byArn, (spec: FunctionSpec) => {
        loaded.push(spec.id);
        return async () => ({});
      });
      expect(Object.keys(handlers).length).toBeGreaterThan(3);
      expect(JSON.stringify(definition)).not.toContain('${');
      expect(new Set(loaded).size).toBeGreaterThan(3);
    },
  );

  it('passes the Payload of a lambda:invoke task and wraps the result like Lambda', async () => {
    const spec: FunctionSpec = {
      id: 'Echo',
      entry: 'unused.ts',
      description: 'echo',
      timeoutSeconds: 10,
      memoryMb: 128,
      tables: {},
      permissions: [],
      substitution: 'EchoFunctionArn',
    };
    const definition = {
      StartAt: 'Echo',
      States: {
        Echo: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: {
            FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:shadowscale-local-Echo',
            'Payload.$': '$',
          },
          End: true,
        },
      },
    } as unknown as StateMachineDefinition;
    const byArn = new Map([['arn:aws:lambda:us-east-1:000000000000:function:shadowscale-local-Echo', spec]]);
    const handlers = localHandlers(definition, byArn, () => async (event) => ({ got: event, at: undefined }));
    const echo = handlers.Echo;
    if (!echo) throw new Error('no Echo handler');
    await expect(echo({ Payload: { a: 1 } })).resolves.toEqual({
      Payload: { got: { a: 1 } },
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
    });
  });

  it('narrates states once per run of polls, and verified weights', () => {
    const lines: string[] = [];
    const narrate = executionNarrator('migration', (_at, kind, text) => lines.push(`${kind}: ${text}`));
    narrate({ type: 'state-entered', state: 'CheckHealthy', stateType: 'Task', input: {} }, T0);
    narrate({ type: 'state-entered', state: 'CheckHealthy', stateType: 'Task', input: {} }, T0);
    narrate({ type: 'state-entered', state: 'Shift', stateType: 'Task', input: {} }, T0);
    narrate(
      {
        type: 'state-exited',
        state: 'Shift',
        stateType: 'Task',
        output: { verified: { primary: 90, shadow: 10 } },
      },
      T0,
    );
    expect(lines).toEqual([
      'migration: ▸ CheckHealthy',
      'migration: ▸ Shift   (after CheckHealthy ×2)',
      'weights: primary 90% / shadow 10% (read back, verified)',
    ]);
  });
});
