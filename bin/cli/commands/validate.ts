import type { Command } from 'commander';
import { Workload } from '../../../shared/schemas/workload';
import { parseOrThrow } from '../../../shared/validation';
import type { CliIO } from '../context';
import { readJsonFile } from '../io';

export function registerValidate(program: Command, io: CliIO): void {
  program
    .command('validate')
    .description('validate a workload definition file against its schema')
    .argument('<file>', 'workload definition (JSON)')
    .option('--print', 'print the definition with defaults applied')
    .action((file: string, opts: { print?: boolean }) => {
      const workload = parseOrThrow(Workload, readJsonFile(file, 'file'), `workload file ${file}`);
      if (opts.print) io.out(`${JSON.stringify(workload, null, 2)}\n`);
      else
        io.out(
          `${file}: valid workload "${workload.workloadId}" (${workload.compute.kind}, ${workload.metrics.length} metric(s))\n`,
        );
    });
}
