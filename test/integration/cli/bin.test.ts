import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixturePath } from '../../helpers/fixtures';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'shadowscale.cjs');

/** Runs the real entry point the way `npx shadowscale` does (same Node, tsx loader). */
function shadowscale(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('bin/shadowscale.cjs', () => {
  it('runs --help and lists the commands', () => {
    const result = shadowscale('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('validate');
  });

  it('exits 2 with one line naming the bad field', () => {
    const result = shadowscale('validate', fixturePath('workloads', 'bad-max-units.json'));
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      `shadowscale: workload file ${fixturePath('workloads', 'bad-max-units.json')}: field \`capacity.maxUnits\` = "ten": Invalid input: expected number, received string`,
    );
  });
});
