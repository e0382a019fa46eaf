import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDeployUnderLoadScenario } from '../../../bin/local/scenarios/deploy-under-load-cli';
import { runCli } from '../../helpers/cli';

jest.setTimeout(180_000);

let dir: string;
let out = '';
const io = { out: (t: string) => (out += t), err: () => {}, isTTY: false };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shadowscale-dul-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  out = '';
});

describe('shadowscale local --scenario deploy-under-load (NYC taxi trace)', () => {
  it('branches when the primary is predicted contended, tests pass, traffic steps out and home, merges; the report marks it', async () => {
    const report = join(dir, 'pass.html');

    const r = await runDeployUnderLoadScenario({ report }, io);

    const d = r.deployment;
    expect(r.decisions.at(-1)?.forecast).toMatchObject({ branch: true, reasonCode: 'contended' });
    expect(r.decisions.slice(0, -1).every((x) => !x.forecast.branch)).toBe(true);
    expect(d?.outcome.status).toBe('succeeded');
    const marks = d?.marks.map((m) => m.what) ?? [];
    expect(marks[0]).toMatch(/^branch: score/);
    expect(marks).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^shadow environment: \d+ units on demo-api:42$/),
        'integration tests passed',
        'primary runs demo-api:42',
        'merged: the stage is deployed',
      ]),
    );
    const shadowShares = (d?.operation?.steps ?? [])
      .filter((s) => s.name === 'shifted')
      .map((s) => s.weights?.shadow);
    expect(Math.max(...(shadowShares as number[]))).toBeGreaterThan(0);
    expect(shadowShares.at(-1)).toBe(0);
    // Traffic moved only after the test gate passed.
    const passed =
      d?.marks.find((m) => m.what === 'integration tests passed')?.at ?? Number.POSITIVE_INFINITY;
    const firstStep = d?.marks.find((m) => m.what.startsWith('traffic step'))?.at ?? 0;
    expect(firstStep).toBeGreaterThanOrEqual(passed);
    expect(d?.fleet.describe('demo-api', 'shadow').exists).toBe(false);
    const html = readFileSync(report, 'utf8');
    for (const text of [
      'branch: score',
      'integration tests passed',
      'traffic step (primary/shadow',
      'merged',
    ])
      expect(html).toContain(text);
    expect(out).toContain('deploy-under-load: merged');
  });

  it('--inject-failure tests: the tests fail, the branch is discarded, nothing left running', async () => {
    const report = join(dir, 'fail.html');

    const r = await runDeployUnderLoadScenario({ report, injectFailure: 'tests', quiet: true }, io);

    const d = r.deployment;
    expect(d?.outcome).toMatchObject({ status: 'failed', error: 'DeploymentDiscarded' });
    expect(d?.marks.map((m) => m.what)).toEqual(
      expect.arrayContaining([
        'discard: TestsFailed, traffic restored (primary/shadow 100/0)',
        'shadow environment deleted',
      ]),
    );
    expect(d?.marks.some((m) => m.what.startsWith('traffic step'))).toBe(false);
    expect(d?.fleet.getWeights('demo-api')).toEqual({ primary: 100, shadow: 0 });
    expect(d?.fleet.describe('demo-api', 'shadow').exists).toBe(false);
    expect(d?.fleet.version('demo-api', 'primary')).toBe('demo-api:41');
    expect(readFileSync(report, 'utf8')).toContain('discard: TestsFailed');
  });

  it('--compute eks: the demo as an EKS nodegroup with its Deployment; the new image branches and merges', async () => {
    const report = join(dir, 'eks.html');

    const r = await runDeployUnderLoadScenario({ report, compute: 'eks', quiet: true }, io);

    const d = r.deployment;
    expect(r.workload.compute).toMatchObject({ kind: 'eks', kubernetes: { deployment: 'demo-api' } });
    expect(r.version).toBe('registry.local/demo-api:42');
    expect(d?.outcome.status).toBe('succeeded');
    expect(d?.states.at(-1)).toBe('Merged');
    expect(d?.fleet.version('demo-api', 'primary')).toBe('registry.local/demo-api:42');
    expect(d?.fleet.describe('demo-api', 'shadow').exists).toBe(false);
    expect(readFileSync(report, 'utf8')).toContain('starts registry.local/demo-api:42');
  });

  it('--compute outside this scenario: exit 2', async () => {
    const r = await runCli('local', '--compute', 'eks');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--compute: only with --scenario deploy-under-load');
  });

  it('--inject-failure tests outside this scenario, or gate in it: exit 2', async () => {
    expect((await runCli('local', '--inject-failure', 'tests')).code).toBe(2);
    const r = await runCli('local', '--scenario', 'deploy-under-load', '--inject-failure', 'gate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('supports "tests"');
  });
});
