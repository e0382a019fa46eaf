import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { handler as forecastHandler } from '../../../functions/forecast';
import { FORECAST_FUNCTIONS, FORECAST_STATE_MACHINES } from '../../../functions/forecast/manifest';
import { handler as listHandler } from '../../../functions/list-workloads';
import { resetRuntime, setRuntime } from '../../../functions/runtime/index';
import { TransientError } from '../../../shared/errors';
import { SINGLE_INVOCATION_MAX_WORKLOADS } from '../../../shared/forecaster';
import { harness, T0, workload } from '../../unit/forecaster/helpers';

// asl-validator ships no type declarations.
const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
} = require('asl-validator');

const FILE = join(__dirname, '..', '..', '..', 'statemachines', 'forecast-fanout.asl.json');
const RAW = readFileSync(FILE, 'utf8');
const DAY = 86_400_000;
/** The interpreter's JSON value type (not exported by the package). */
type JSONValue = Parameters<StateMachine['run']>[0];
const ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

/** Fill `${...}` the way CDK definitionSubstitutions does. */
function definition(): StateMachineDefinition {
  const filled = RAW.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, key: string) =>
    ARN(key.replace(/FunctionArn$/, '')),
  );
  return JSON.parse(filled) as StateMachineDefinition;
}

const context = {
  functionName: 'forecast',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

interface State {
  Type: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: { States: Record<string, State> };
}

function allStates(states: Record<string, State>): [string, State][] {
  return Object.entries(states).flatMap(([name, s]) => [
    [name, s] as [string, State],
    ...(s.ItemProcessor ? allStates(s.ItemProcessor.States) : []),
  ]);
}

describe('forecast-fanout.asl.json', () => {
  it('is valid ASL, JSONPath only, with known substitutions, TimeoutSeconds, and Retry + Catch on every Task', () => {
    const def = definition() as unknown as { States: Record<string, State>; TimeoutSeconds?: number };
    const { isValid, errorsText } = aslValidator(def);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
    expect(RAW).not.toMatch(/JSONata|"Assign"|"Arguments"|\{%/);
    expect(def.TimeoutSeconds).toBeGreaterThan(0);
    const keys = new Set([...RAW.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]));
    const spec = FORECAST_STATE_MACHINES[0];
    const known = new Set(
      FORECAST_FUNCTIONS.filter((f) => spec?.functions.includes(f.id)).map((f) => f.substitution),
    );
    expect(keys).toEqual(known);
    for (const [name, state] of allStates(def.States)) {
      if (state.Type !== 'Task') continue;
      const retried = new Set(state.Retry?.flatMap((r) => r.ErrorEquals));
      for (const error of [
        'Lambda.TooManyRequestsException',
        'Lambda.ServiceException',
        'Lambda.SdkClientException',
        'TransientError',
      ]) {
        expect(`${name}: ${retried.has(error)}`).toBe(`${name}: true`);
      }
      expect(`${name}: ${state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL'))}`).toBe(
        `${name}: true`,
      );
    }
  });

  describe('run in the local interpreter with the real handlers', () => {
    afterEach(() => resetRuntime());

    function setup(ids: string[]) {
      const h = harness(T0);
      setRuntime({ clock: h.clock, repositories: h.repositories, metrics: h.metrics, events: h.events });
      // Three days of history keep the real engine's fits quick.
      const since = (v: number) => (t: number) => (t < T0 - 3 * DAY ? undefined : v);
      for (const id of ids) {
        h.demand.set(`${id}/requests`, since(id === 'hot' ? 120_000 : 40_000));
        h.demand.set(`${id}/cpu`, since(500));
      }
      return h;
    }

    const calls: Record<string, number> = {};
    const counted =
      (name: string, fn: (input: unknown) => Promise<unknown>) =>
      async (input: JSONValue): Promise<JSONValue> => {
        calls[name] = (calls[name] ?? 0) + 1;
        return (await fn(input)) as JSONValue;
      };
    const realHandlers = () => ({
      ListWorkloads: counted('ListWorkloads', (input) => listHandler(input, context)),
      ForecastAll: counted('ForecastAll', (input) => forecastHandler(input, context)),
      ForecastBatch: counted('ForecastBatch', (input) => forecastHandler(input, context)),
    });
    beforeEach(() => {
      for (const key of Object.keys(calls)) delete calls[key];
    });

    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

    it(`takes the single-invocation path for a small estate (<= ${SINGLE_INVOCATION_MAX_WORKLOADS} workloads)`, async () => {
      const ids = ['a', 'b', 'hot'];
      const h = setup(ids);
      for (const id of ids) await h.repositories.workloads.create(workload(id));

      const output = (await new StateMachine(definition()).run(scheduled, {
        overrides: { taskResourceLocalHandlers: realHandlers() },
      }).result) as { plan: { mode: string; count: number }; result: { workloads: number; ok: number } };

      expect(calls).toEqual({ ListWorkloads: 1, ForecastAll: 1 });
      expect(output.plan).toMatchObject({ mode: 'single', count: 3 });
      expect(output.result).toMatchObject({ workloads: 3, ok: 3, failed: 0 });
      expect(
        h.events
          .ofType('Forecast Computed')
          .map((e) => e.detail.workloadId)
          .sort(),
      ).toEqual(ids);
      expect(h.events.ofType('Contention Predicted').map((e) => e.detail.workloadId)).toEqual(['hot']);
    });

    it('runs one Map child per registry page when the estate is over the threshold', async () => {
      const ids = ['a', 'b', 'c', 'd', 'hot'];
      const h = setup(ids);
      for (const id of ids) await h.repositories.workloads.create(workload(id));

      // A low threshold and small pages stand in for thousands of workloads.
      const output = (await new StateMachine(definition()).run(
        { threshold: 2, batchSize: 2 },
        { overrides: { taskResourceLocalHandlers: realHandlers() } },
      ).result) as {
        plan: { mode: string; batches: unknown[] };
        batches: { workloads: number; ok: number }[];
      };

      expect(output.plan.mode).toBe('distributed');
      expect(calls).toEqual({ ListWorkloads: 1, ForecastBatch: 3 });
      expect(output.batches.map((b) => b.workloads)).toEqual([2, 2, 1]);
      expect(output.batches.every((b) => b.ok === b.workloads)).toBe(true);
      expect(
        h.events
          .ofType('Forecast Computed')
          .map((e) => e.detail.workloadId)
          .sort(),
      ).toEqual(ids);
      expect(await h.repositories.predictions.getDecision('hot')).toMatchObject({ contended: true });
    });

    it('retries a TransientError from the forecaster, then succeeds', async () => {
      const h = setup(['a']);
      await h.repositories.workloads.create(workload('a'));
      let failures = 1;
      const handlers = {
        ...realHandlers(),
        ForecastAll: counted('ForecastAll', async (input) => {
          if (failures-- > 0) throw new TransientError('metrics source throttled');
          return forecastHandler(input, context);
        }),
      };

      const output = (await new StateMachine(definition()).run(scheduled, {
        overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: { ForecastAll: 0 } },
      }).result) as { result: { ok: number } };

      expect(calls.ForecastAll).toBe(2);
      expect(output.result.ok).toBe(1);
    });

    it('ends in ForecastFailed with the error name when a batch keeps failing', async () => {
      const h = setup(['a', 'b', 'c']);
      for (const id of ['a', 'b', 'c']) await h.repositories.workloads.create(workload(id));
      const handlers = {
        ...realHandlers(),
        ForecastBatch: counted('ForecastBatch', async () => {
          throw new TransientError('still throttled');
        }),
      };

      const run = new StateMachine(definition()).run(
        { threshold: 1, batchSize: 2 },
        { overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: { ForecastBatch: 0 } } },
      );

      await expect(run.result).rejects.toMatchObject({ cause: { name: 'ForecastBatchFailed' } });
      // Each batch: the first attempt and 3 retries.
      expect(calls.ForecastBatch).toBeGreaterThanOrEqual(4);
    });

    it('rejects bad execution input in its first state with a ValidationError', async () => {
      setup([]);

      const run = new StateMachine(definition()).run(
        { batchSize: 'ten' },
        { overrides: { taskResourceLocalHandlers: realHandlers() } },
      );

      await expect(run.result).rejects.toMatchObject({ cause: { name: 'ValidationError' } });
      expect(calls).toEqual({ ListWorkloads: 1 });
    });

    it('succeeds at once with an empty registry', async () => {
      setup([]);

      const output = (await new StateMachine(definition()).run(scheduled, {
        overrides: { taskResourceLocalHandlers: realHandlers() },
      }).result) as { plan: { count: number } };

      expect(output.plan.count).toBe(0);
      expect(calls).toEqual({ ListWorkloads: 1 });
    });
  });
});
