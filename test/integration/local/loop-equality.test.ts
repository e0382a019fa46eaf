import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from '../../../bin/cli/context';
import {
  DEFAULT_TRACE,
  DEMO_INCIDENT,
  demoWorkload,
  injectIncident,
  loadTrace,
  SIM_STEP_MS,
} from '../../../bin/local/demo';
import { parseLocalOptions } from '../../../bin/local/options';
import { runLocal } from '../../../bin/local/run';
import { resetRuntime } from '../../../functions/runtime';
import { runDeployedLoop } from '../../../shared/backtest/deployed';

/**
 * The benchmark measures the loop we deploy: on the demo's real trace, the backtest's deployed
 * loop (in-process state machine steps, in-memory store) and `shadowscale local` (the real Lambda
 * handlers, the ASL files in a local interpreter, a local DynamoDB) make the same decisions —
 * contention announced with its sizes, pre-warm floors and shadow sizes, operations started and
 * ended, every verified weight step — at the same simulated instants.
 */
jest.setTimeout(600_000);

const DAY = 86_400_000;
const quiet: CliIO = { out: () => {}, err: () => {}, isTTY: false };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shadowscale-equality-'));
});
afterAll(() => {
  resetRuntime();
  rmSync(dir, { recursive: true, force: true });
});

it('the backtest and the local run decide the same, step by step', async () => {
  const warmupDays = 14;
  const options = parseLocalOptions({ days: 1, warmupDays, report: join(dir, 'report.html'), quiet: true });
  const local = await runLocal(options, quiet);

  // The same world on both sides: the trace with the demo's injected incident.
  const full = injectIncident(
    loadTrace(DEFAULT_TRACE),
    loadTrace(DEFAULT_TRACE).startMs + warmupDays * DAY + DEMO_INCIDENT.afterMs,
  );
  const steps = Math.round(((warmupDays + 1) * DAY) / SIM_STEP_MS);
  const trace = { ...full, values: full.values.slice(0, steps) };
  const demo = demoWorkload(trace);
  const bench = await runDeployedLoop({
    workload: demo.workload,
    sim: { ...demo.sim, trace },
    watchFromMs: trace.startMs + warmupDays * DAY,
  });

  // The local run lets a running operation finish after the replay; the backtest's trace ends.
  const replayed = (e: { atMs: number }) => e.atMs < local.endMs;
  const fromLocal = local.decisions.filter(replayed);
  const fromBench = bench.log.entries.filter(replayed);
  // The day has contention, operations and weight steps: a comparison that could fail.
  expect(fromBench.filter((e) => e.kind === 'contention').length).toBeGreaterThan(0);
  expect(fromBench.filter((e) => e.kind === 'weights').length).toBeGreaterThan(0);
  expect(fromLocal).toEqual(fromBench);
});
