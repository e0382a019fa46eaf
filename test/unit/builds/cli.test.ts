import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../helpers/cli';

let dir: string;
let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });
}
function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  fs.writeFileSync(path.join(repo, file), text);
}

beforeAll(() => {
  // Prepare: a real git repository with two commits.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowscale-builds-'));
  repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  write('src/app.ts', 'export function f(x: number) {\n  return x;\n}\n');
  write('README.md', '# app\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'one');
  write(
    'src/app.ts',
    'export function f(x: number) {\n  if (x > 1 && x < 9) return 1;\n  return x ?? 0;\n}\n',
  );
  write('src/app.test.ts', 'it("works", () => {});\n');
  write('README.md', '# app\n\nMore words.\n');
  write('package-lock.json', '{}\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'two');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('shadowscale change-score', () => {
  it('scores a range by kind with the TS complexity delta', async () => {
    const run = await runCli('change-score', '--repo', repo, '--from', 'HEAD~1', '--to', 'HEAD', '--json');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.out) as {
      score: number;
      complexityDelta: number;
      byKind: Record<string, { files: number; lines: number }>;
    };
    expect(out.byKind.source).toEqual({ files: 1, lines: 3 });
    expect(out.byKind.test?.files).toBe(1);
    expect(out.byKind.docs?.files).toBe(1);
    expect(out.byKind.dependency?.files).toBe(1);
    // if + && + ?? added; the new test file adds its module (1) and one arrow function (1).
    expect(out.complexityDelta).toBe(5);
    expect(out.score).toBeGreaterThan(0);
  });

  it('prints a table by default', async () => {
    const run = await runCli('change-score', '--repo', repo, '--from', 'HEAD~1', '--to', 'HEAD');
    expect(run.out).toMatch(/score \d/);
    expect(run.out).toMatch(/complexity delta \(TS\/JS\): 5/);
  });

  it.each([
    [['--repo', 'REPO', '--from', 'nope', '--to', 'HEAD'], '--from "nope"'],
    [['--repo', '/no/such/dir', '--from', 'HEAD', '--to', 'HEAD'], '--repo'],
  ])('exits 2 with one line for bad input %#', async (args, named) => {
    const run = await runCli('change-score', ...args.map((a) => (a === 'REPO' ? repo : a)));
    expect(run.code).toBe(2);
    expect(run.err).toContain(named);
    expect(run.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('shadowscale bench builds', () => {
  it('replays the fixture datasets and writes the JSON summary and the HTML report', async () => {
    const json = path.join(dir, 'builds.json');
    const report = path.join(dir, 'builds.html');
    const run = await runCli(
      'bench',
      'builds',
      '--data',
      'test/fixtures/ci',
      '--json',
      json,
      '--report',
      report,
    );
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/bench builds: .*stage runs loaded/);
    const out = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      summary: Record<string, number>;
      policies: { policy: string }[];
    };
    for (const key of [
      'duration_mae_vs_best_naive',
      'coverage80',
      'cost_vs_fixed',
      'p95_queue_vs_fixed',
      'p95_queue_vs_reactive_at_equal_cost',
      'seconds',
    ])
      expect(Number.isFinite(out.summary[key])).toBe(true);
    expect(out.policies.map((p) => p.policy)).toEqual(
      expect.arrayContaining(['fixed', 'broker', 'reactive@0.5']),
    );
    const html = fs.readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('predicted 10–90 % interval');
  });

  it('with --bound prints the cross-validated bound per stage and adds it to the JSON', async () => {
    const json = path.join(dir, 'builds-bound.json');
    const run = await runCli('bench', 'builds', '--data', 'test/fixtures/ci', '--bound', '--json', json);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/bench builds: bound: /);
    expect(run.out).toContain('bound: the lowest duration MAE');
    const out = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      stages: { stage: string; maeModel: number }[];
      bound: {
        geomean: { stages: number; ours: number; bound: number };
        stages: { stage: string; maeOurs: number; maeBound: number; ratioBound: number }[];
      };
    };
    expect(out.bound.stages.length).toBeGreaterThan(0);
    for (const s of out.bound.stages) {
      expect(s.maeOurs).toBe(out.stages.find((x) => x.stage === s.stage)?.maeModel);
      expect(Number.isFinite(s.ratioBound)).toBe(true);
    }
    expect(out.bound.geomean.stages).toBe(
      (out as unknown as { summary: { stages_in_geomean: number } }).summary.stages_in_geomean,
    );
  });

  it('exits 2 naming --data when the folder lacks the datasets', async () => {
    const run = await runCli('bench', 'builds', '--data', dir);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--data');
  });
});
