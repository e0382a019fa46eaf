import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { benchCommand } from '../../../bin/cli/commands/bench-forecast';
import { runCli } from '../../helpers/cli';
import { fixturePath } from '../../helpers/fixtures';
import { nth } from './synthetic';

const run = runCli;

const rds = fixturePath('traces', 'nab-rds_cpu_utilization_cc0c53.csv');
const dir = mkdtempSync(join(tmpdir(), 'shadowscale-forecast-'));

describe('shadowscale forecast', () => {
  it('prints a JSON forecast with the requested quantiles and the hygiene report', async () => {
    const { code, out } = await run('forecast', '--input', rds, '--horizon', '1h', '--quantiles', '0.5,0.9');
    expect(code).toBe(0);
    const body = JSON.parse(out) as { forecast: Record<string, unknown>[]; hygiene: { filled: number } };
    expect(body.forecast).toHaveLength(12);
    expect(Object.keys(nth(body.forecast, 0))).toEqual(['timestamp', 'point', 'p50', 'p90']);
    expect(body.hygiene.filled).toBe(1);
  });

  it('writes CSV with one row per step, and applies signals from a file', async () => {
    const signals = join(dir, 'signals.json');
    const start = Date.parse('2014-02-28T15:00:00Z');
    writeFileSync(
      signals,
      JSON.stringify([
        { signalId: 's1', tag: 'campaign', startsAt: start, endsAt: start + 3_600_000, expectedUplift: 1 },
      ]),
    );
    const plain = await run('forecast', '--input', rds, '--horizon', '2h', '--format', 'csv');
    const lifted = await run(
      'forecast',
      '--input',
      rds,
      '--horizon',
      '2h',
      '--format',
      'csv',
      '--signals',
      signals,
    );
    expect(plain.code).toBe(0);
    expect(lifted.code).toBe(0);
    const rows = (s: string) =>
      s
        .trim()
        .split('\n')
        .slice(1)
        .map((r) => r.split(','));
    expect(plain.out.split('\n')[0]).toBe('timestamp,point,p50,p80,p95');
    expect(rows(plain.out)).toHaveLength(24);
    const i = rows(plain.out).findIndex((r) => r[0] === '2014-02-28T15:00:00.000Z');
    expect(Number(nth(rows(lifted.out), i)[1])).toBeCloseTo(2 * Number(nth(rows(plain.out), i)[1]), 6);
    expect(plain.err).toMatch(/repaired 1 gap step filled in 4032 rows/);
  });

  it.each([
    [['--horizon', '1h'], /--input/],
    [['--input', rds, '--horizon', 'soon'], /--horizon/],
    [['--input', rds, '--horizon', '1h', '--quantiles', '0.5,1.2'], /1\.2/],
    [['--input', rds, '--horizon', '1h', '--format', 'xml'], /xml|--format/],
    [['--input', rds, '--horizon', '1h', '--model', 'prophet'], /--model/],
    [['--input', join(dir, 'missing.csv'), '--horizon', '1h'], /--input .*no such file/],
  ])('exits 2 on bad input %j', async (args, message) => {
    const { code, err } = await run('forecast', ...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('exits 2 naming --input for a file without numbers', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'timestamp,value\n2026-01-01T00:00:00Z,n/a\n');
    const { code, err } = await run('forecast', '--input', bad, '--horizon', '1h');
    expect(code).toBe(2);
    expect(err).toMatch(/--input .*no numeric values/);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});

describe('shadowscale bench forecast', () => {
  it('finds or creates one bench group', () => {
    const program = new Command('x');
    const a = benchCommand(program);
    expect(benchCommand(program)).toBe(a);
    expect(program.commands.filter((c) => c.name() === 'bench')).toHaveLength(1);
  });

  it('runs on the fixture traces and writes the per-trace and summary JSON', async () => {
    const json = join(dir, 'bench.json');
    const { code, out, err } = await run(
      'bench',
      'forecast',
      '--traces',
      fixturePath('traces'),
      '--only',
      'rds_cpu',
      '--json',
      json,
    );
    expect(code).toBe(0);
    expect(err).toContain('bench forecast: 1/1 nab-rds_cpu_utilization_cc0c53');
    expect(out).toContain('geomean rel MAE vs snaive');
    const body = JSON.parse(readFileSync(json, 'utf8')) as {
      series: Record<string, unknown>[];
      short: Record<string, unknown>[];
      summary: Record<string, Record<string, unknown>>;
    };
    expect(body.series.map((s) => s.horizon)).toEqual(['1h', '24h']);
    expect(Object.keys(nth(body.series, 0)).sort()).toEqual(
      [
        'name',
        'horizon',
        'model',
        'mase',
        'smape',
        'pinball',
        'coverage80',
        'coverage95',
        'fit_ms',
        'update_ms',
        'snaive_mae',
        'mae',
        'mstl_mae',
      ].sort(),
    );
    expect(out).toContain('15m  geomean rel MAE vs persistence');
    expect(Object.keys(body.summary)).toEqual(['1h', '24h', '15m', '30m']);
    expect(body.short.map((s) => [s.horizon, s.step])).toEqual([
      ['15m', 3],
      ['30m', 6],
    ]);
    expect(Object.keys(body.summary['15m'] ?? {}).sort()).toEqual(
      [
        'geomean_rel_mae_vs_persistence',
        'geomean_rel_mae_vs_snaive',
        'geomean_rel_mae_seasonal_vs_persistence',
        'mean_coverage80',
        'mean_coverage95',
      ].sort(),
    );
    for (const hz of ['15m', '30m'])
      for (const v of Object.values(body.summary[hz] ?? {})) expect(v).toEqual(expect.any(Number));
    expect(Object.keys(body.summary['24h'] ?? {}).sort()).toEqual(
      [
        'geomean_rel_mae_vs_snaive',
        'geomean_rel_mae_vs_mstl',
        'mean_coverage80',
        'mean_coverage95',
        'median_fit_ms',
        'median_update_ms',
      ].sort(),
    );
    expect(nth(body.series, 0).mstl_mae).toEqual(expect.any(Number));
  }, 180_000);

  it('exits 2 when --traces is not a folder', async () => {
    const { code, err } = await run('bench', 'forecast', '--traces', join(dir, 'nope'));
    expect(code).toBe(2);
    expect(err).toContain('--traces');
  });
});
