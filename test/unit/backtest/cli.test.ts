import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli';
import { fixturePath } from '../../helpers/fixtures';

const run = runCli;

const TRACE = fixturePath('traces', 'nab-ec2_cpu_utilization_ac20cd.csv');

describe('shadowscale backtest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-backtest-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the backtest JSON and a self-contained report', async () => {
    const json = join(dir, 'out.json');
    const report = join(dir, 'out.html');
    const { code, out, err } = await run(
      'backtest',
      '--trace',
      TRACE,
      '--policies',
      'reactive,oracle',
      '--lag',
      '3m',
      '--metric-delay',
      '1m',
      '--primary-max',
      '30',
      '--json',
      json,
      '--report',
      report,
    );
    expect({ code, err: err.includes('done 2') }).toEqual({ code: 0, err: true });
    expect(out).toContain('reactive');
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['trace', 'interval_s', 'unit_capacity', 'policies']);
    expect(parsed.interval_s).toBe(300);
    const policies = parsed.policies as Record<string, Record<string, number>>;
    expect(Object.keys(policies)).toEqual(['reactive', 'oracle']);
    expect(Object.keys(policies.reactive ?? {}).sort()).toEqual(
      [
        'theta_u',
        'theta_o',
        'tau_u',
        'tau_o',
        'instability',
        'overload_minutes',
        'unserved_fraction',
        'unit_hours',
        'cost',
        'actions',
      ].sort(),
    );
    const html = readFileSync(report, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
  });

  it.each([
    [['--policies', 'reactive,magic'], '--policies'],
    [['--lag', 'soon'], '--lag'],
    [['--primary-max', '0'], '--primary-max'],
    [['--unit-capacity', '-3'], '--unit-capacity'],
    [['--quantile', '1.5'], '--quantile'],
  ])('exits 2 on %j naming the flag', async (flags, flag) => {
    const { code, err } = await run('backtest', '--trace', TRACE, ...flags);
    expect(code).toBe(2);
    expect(err).toContain(flag);
  });

  it('exits 2 naming --trace for a missing file', async () => {
    const { code, err } = await run('backtest', '--trace', join(dir, 'nope.csv'));
    expect(code).toBe(2);
    expect(err.trim().split('\n')[0]).toContain('--trace');
  });

  it('has --help for backtest and bench backtest', async () => {
    expect((await run('backtest', '--help')).out).toContain('--report');
    expect((await run('bench', 'backtest', '--help')).out).toContain('--traces');
  });

  it('bench backtest exits 2 when --traces is not a folder', async () => {
    const { code, err } = await run('bench', 'backtest', '--traces', TRACE);
    expect(code).toBe(2);
    expect(err).toContain('--traces');
  });

  it('bench backtest reports a trace it cannot replay and goes on with the others', async () => {
    const traces = join(dir, 'traces');
    mkdirSync(traces);
    copyFileSync(TRACE, join(traces, 'good.csv'));
    writeFileSync(
      join(traces, 'zeros.csv'),
      'timestamp,value\n2020-01-01T00:00:00Z,0\n2020-01-01T00:05:00Z,0\n',
    );
    const json = join(dir, 'bench.json');
    const { code, out } = await run('bench', 'backtest', '--traces', traces, '--days', '0', '--json', json);
    expect(code).toBe(0);
    expect(out).toContain('skipped zeros: ValidationError');
    expect(out).toMatch(/shadowscale unit-hours \/ oracle/);
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as {
      results: { trace: string }[];
      skipped: unknown[];
    };
    expect(parsed.results.map((r) => r.trace)).toEqual(['good']);
    expect(parsed.skipped).toHaveLength(1);
  });

  it('bench backtest --frontier scores a grid of settings and writes the JSON and the charts', async () => {
    const traces = join(dir, 'frontier');
    mkdirSync(traces);
    copyFileSync(TRACE, join(traces, 'good.csv'));
    const json = join(dir, 'frontier.json');
    const report = join(dir, 'frontier.html');
    const { code, out, err } = await run(
      'bench',
      'backtest',
      '--traces',
      traces,
      '--frontier',
      '--quantiles',
      '0.99',
      '--headrooms',
      '0.1,none',
      '--json',
      json,
      '--report',
      report,
    );
    expect({ code, err: err.includes('done 6') }).toEqual({ code: 0, err: true });
    expect(out).toContain('1 traces, 4 settings');
    expect(out).toMatch(/^verdict: /m);
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as {
      traces: string[];
      settings: { label: string; max_headroom: number | null; pareto: boolean }[];
      envelope: { lambda: number; chosen: Record<string, string> }[];
    };
    expect(parsed.traces).toEqual(['good']);
    expect(parsed.settings.map((s) => [s.label, s.max_headroom])).toEqual([
      ['defaults', null],
      ['q 0.5, no cap', null],
      ['q 0.99, cap 0.1', 0.1],
      ['q 0.99, no cap', null],
    ]);
    expect(parsed.settings.some((s) => s.pareto)).toBe(true);
    expect(Object.keys(parsed.envelope[0]?.chosen ?? {})).toEqual(['good']);
    expect(readFileSync(report, 'utf8')).toContain('id="frontier-tau"');
  });

  it('bench backtest refuses frontier-only flags without --frontier', async () => {
    const { code, err } = await run('bench', 'backtest', '--traces', dir, '--headrooms', '0.1');
    expect(code).toBe(2);
    expect(err).toContain('--frontier');
  });
});
