import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDemandTrace } from '../../../bench/backtest';
import { loadTrace as loadBenchSeries } from '../../../bench/forecast';
import { loadTrace } from '../../../bin/local/demo';
import { runCli } from '../../helpers/cli';

/**
 * A messy export: rows in reverse order, one duplicate timestamp, one negative value, one row with
 * no number and one missing step. Every reader says what it repaired, in one line.
 */
function messyCsv(): string {
  const start = Date.UTC(2024, 0, 1);
  const rows: string[] = [];
  for (let i = 0; i < 3 * 288; i++) {
    if (i === 100) continue; // a missing step
    const v = i === 50 ? -4 : 100 + 50 * Math.sin((2 * Math.PI * i) / 288);
    rows.push(`${new Date(start + i * 300_000).toISOString()},${i === 60 ? 'n/a' : v.toFixed(2)}`);
  }
  rows.push(`${new Date(start + 10 * 300_000).toISOString()},120`); // a duplicate timestamp
  return `timestamp,value\n${rows.reverse().join('\n')}\n`;
}

describe('CSV repairs are reported in one line; a mostly unusable file is refused', () => {
  let dir: string;
  let messy: string;
  let unusable: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-repairs-'));
    messy = join(dir, 'messy.csv');
    writeFileSync(messy, messyCsv());
    unusable = join(dir, 'labels.csv');
    const rows = Array.from(
      { length: 20 },
      (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString()},${i < 4 ? i : 'high'}`,
    );
    writeFileSync(unusable, `timestamp,value\n${rows.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const repairLines = (text: string) => text.split('\n').filter((l) => l.includes('repaired'));

  it('backtest says what it repaired', async () => {
    const { code, out, err } = await runCli('backtest', '--trace', messy, '--policies', 'reactive');
    expect(code).toBe(0);
    const lines = repairLines(out + err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/1 duplicate, 1 dropped \(no numeric value\), 1 clamped \(negative to 0\)/);
    expect(lines[0]).toMatch(/2 gap steps filled/);
    expect(lines[0]).toMatch(/out of order \(sorted\)/);
  });

  it('forecast says what it repaired', async () => {
    const { code, err } = await runCli('forecast', '--input', messy, '--horizon', '1h', '--format', 'csv');
    expect(code).toBe(0);
    const lines = repairLines(err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/1 duplicate, 1 dropped/);
  });

  it('local and the benches say what they repaired', () => {
    const seen: string[] = [];
    loadTrace(messy, (line) => seen.push(line));
    loadDemandTrace(messy, (line) => seen.push(line));
    loadBenchSeries(messy, (line) => seen.push(line));
    expect(seen).toHaveLength(3);
    for (const line of seen) expect(line).toMatch(/repaired 1 duplicate, 1 dropped/);
  });

  it.each([
    ['backtest', () => ['backtest', '--trace', unusable]],
    ['forecast', () => ['forecast', '--input', unusable, '--horizon', '1h']],
    ['local', () => ['local', '--trace', unusable, '--quiet']],
  ])('%s refuses a file where most rows have no number (exit 2, one line)', async (_name, args) => {
    const { code, err } = await runCli(...args());
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('16 of 20 rows have no numeric values');
  });
});
