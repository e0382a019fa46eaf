import { statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatBuilds, renderBuildsReport, runBuildsBench } from '../../../bench/builds';
import { formatBound, runBound } from '../../../bench/builds-bound';
import { loadCiRuns } from '../../../bench/builds-data';
import { ValidationError } from '../../../shared/errors';
import type { CliIO } from '../context';
import { gitChangeScore } from '../git-change';
import { benchCommand } from './bench-forecast';

function writeOut(path: string, text: string, flag: string): void {
  try {
    writeFileSync(resolve(path), text);
  } catch (error) {
    throw new ValidationError(`${flag} ${JSON.stringify(path)}: cannot write (${(error as Error).message})`, [
      { path: flag, message: 'cannot write', received: path },
    ]);
  }
}

function requireDir(path: string, flag: string): string {
  const dir = resolve(path);
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok)
    throw new ValidationError(`${flag} ${JSON.stringify(path)}: not a directory`, [
      { path: flag, message: 'not a directory', received: path },
    ]);
  return dir;
}

export function registerBuilds(program: Command, io: CliIO): void {
  program
    .command('change-score')
    .description(
      'score a git range: lines and files changed by kind (source, test, docs, dependency manifests), the TS/JS cyclomatic-complexity delta, and one number; a pipeline step can pass the number to the build broker as runContext.changeScore, or to a CodeBuild build as the SHADOWSCALE_CHANGE_SCORE variable',
    )
    .requiredOption('--repo <dir>', 'a git working tree or repository')
    .requiredOption('--from <rev>', 'base revision (commit, branch, tag)')
    .requiredOption('--to <rev>', 'revision being built')
    .option('--json', 'print the score as JSON')
    .action((opts: { repo: string; from: string; to: string; json?: boolean }) => {
      const repo = requireDir(opts.repo, '--repo');
      const result = gitChangeScore(repo, opts.from, opts.to);
      if (opts.json) {
        io.out(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const lines = [
        `change ${result.from.slice(0, 12)}..${result.to.slice(0, 12)}: score ${result.score.toFixed(2)}`,
        'kind        files   lines   term',
        ...Object.entries(result.byKind).map(
          ([k, v]) =>
            `${k.padEnd(10)} ${String(v.files).padStart(6)} ${String(v.lines).padStart(7)} ${(result.terms[k] ?? 0).toFixed(1).padStart(7)}`,
        ),
        `complexity delta (TS/JS): ${result.complexityDelta === undefined ? 'no TS/JS files' : result.complexityDelta}`,
      ];
      io.out(`${lines.join('\n')}\n`);
    });

  benchCommand(program)
    .command('builds')
    .description(
      'replay the CI datasets in time order: stage duration prediction vs naive baselines, and the build broker vs a fixed size and reactive target tracking',
    )
    .requiredOption('--data <dir>', `folder with travistorrent_builds.csv and lrts_jenkins_stage_runs.csv`)
    .option(
      '--json <file>',
      'write the results as JSON (summary, per stage, per policy, the other replay settings)',
    )
    .option('--report <file.html>', 'write an HTML report with charts')
    .option(
      '--bound',
      'also estimate, per stage, the lowest duration MAE any predictor could reach from the inputs known at a run start (cross-validated boosted trees and k-nearest neighbours that see the future: optimistic), beside ours and the naive baselines',
    )
    .action((opts: { data: string; json?: string; report?: string; bound?: boolean }) => {
      const dir = requireDir(opts.data, '--data');
      const started = performance.now();
      const say = (text: string) =>
        io.err(`bench builds: ${text} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      say('loading');
      const runs = loadCiRuns(dir);
      say(`${runs.length} stage runs loaded`);
      let lastPhase = '';
      let lastShown = -1;
      const { bench, charts, predictions } = runBuildsBench(runs, (phase, done, total) => {
        const pct = Math.floor((100 * done) / Math.max(1, total));
        if (phase !== lastPhase || pct >= lastShown + 25 || done === total) {
          if (phase === lastPhase && pct === lastShown) return;
          say(`${phase} ${pct} %`);
          lastPhase = phase;
          lastShown = pct;
        }
      });
      io.out(formatBuilds(bench));
      let bound: ReturnType<typeof runBound> | undefined;
      if (opts.bound) {
        say('bound: cross-validating per stage');
        bound = runBound(
          runs,
          bench.stages,
          predictions.map((p) => p?.agentSeconds.q50),
          (stage, done, total) => {
            if (done < total) say(`bound: ${stage} (${done + 1} of ${total})`);
          },
        );
        io.out(`\n${formatBound(bound)}`);
      }
      if (opts.json)
        writeOut(opts.json, `${JSON.stringify(bound ? { ...bench, bound } : bench, null, 2)}\n`, '--json');
      if (opts.report) writeOut(opts.report, renderBuildsReport(bench, charts), '--report');
    });
}
