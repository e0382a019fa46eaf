import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  formatAnomalyReport,
  listNabFiles,
  loadNabSeries,
  loadScoreboard,
  parseWindows,
  runAnomalyBench,
  writeNabResults,
} from '../../../bench/anomaly';
import { ValidationError } from '../../../shared/errors';
import type { CliIO } from '../context';
import { readJsonFile } from '../io';
import { benchCommand } from './bench-forecast';

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

export function registerBenchAnomaly(program: Command, io: CliIO): void {
  benchCommand(program)
    .command('anomaly')
    .description(
      "anomaly detector on NAB (Numenta Anomaly Benchmark): runs it causally over every file, scores it with NAB's rules (three profiles, best threshold each, normalised null 0 / perfect 100) beside the published detectors' per-file scores",
    )
    .requiredOption('--data <dir>', 'NAB data folder (<category>/<name>.csv, timestamp,value)')
    .requiredOption('--labels <file>', 'NAB anomaly windows (combined_windows.json)')
    .option(
      '--scoreboard <dir>',
      'published per-file scores (<detector>_<profile>_scores.csv); default: scoreboard/ beside the labels folder',
    )
    .option('--json <file>', 'also write the results as JSON (summary and per file)')
    .option('--results <dir>', 'write NAB-format result files (timestamp,value,anomaly_score,label)')
    .action(
      (opts: { data: string; labels: string; scoreboard?: string; json?: string; results?: string }) => {
        const dataDir = requireDir(opts.data, '--data');
        const windows = parseWindows(readJsonFile(opts.labels, '--labels'), '--labels');
        const files = listNabFiles(dataDir);
        if (files.length === 0)
          throw new ValidationError(`--data ${JSON.stringify(opts.data)}: no .csv files found`, [
            { path: '--data', message: 'no .csv files', received: opts.data },
          ]);
        const defaultBoard = join(dirname(dirname(resolve(opts.labels))), 'scoreboard');
        const boardDir = opts.scoreboard
          ? requireDir(opts.scoreboard, '--scoreboard')
          : existsSync(defaultBoard)
            ? defaultBoard
            : null;
        const series = files.map((f) => loadNabSeries(dataDir, f));
        const started = performance.now();
        const { result, anomalyScores } = runAnomalyBench({
          series,
          windows,
          scoreboard: boardDir ? loadScoreboard(boardDir) : new Map(),
          onProgress: (done, total, name) => {
            const elapsed = ((performance.now() - started) / 1000).toFixed(0);
            if (done < total) io.err(`bench anomaly: ${done + 1}/${total} ${name} (${elapsed}s)\n`);
            else io.err(`bench anomaly: scored ${total} files in ${elapsed}s, now sweeping thresholds\n`);
          },
        });
        io.out(formatAnomalyReport(result));
        if (!boardDir) io.out('(no scoreboard folder found: published detectors not shown)\n');
        if (opts.results) writeNabResults(resolve(opts.results), series, anomalyScores, windows);
        if (opts.json) writeFileSync(resolve(opts.json), `${JSON.stringify(result, null, 2)}\n`);
      },
    );
}
