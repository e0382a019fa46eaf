import { runCli } from '../../helpers/cli';
import { fixturePath } from '../../helpers/fixtures';

const run = runCli;

describe('shadowscale CLI', () => {
  it('prints its version', async () => {
    const { code, out } = await run('--version');
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists the commands in --help', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toContain('validate');
  });

  it('validates a good workload file', async () => {
    const { code, out } = await run('validate', fixturePath('workloads', 'checkout-api.json'));
    expect(code).toBe(0);
    expect(out).toContain('valid workload "checkout-api"');
  });

  it('exits 2 naming the field and value of a bad workload, without a stack trace', async () => {
    const { code, err } = await run('validate', fixturePath('workloads', 'bad-max-units.json'));
    expect(code).toBe(2);
    expect(err).toContain('`capacity.maxUnits` = "ten"');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).not.toContain('    at ');
  });

  it('exits 2 for a missing file and for an unknown flag', async () => {
    expect((await run('validate', 'no/such/file.json')).code).toBe(2);
    const unknown = await run('validate', '--frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--frobnicate');
  });
});
