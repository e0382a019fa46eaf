import { statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { benchFailover } from '../../../bench/failover';
import { listTraceFiles, loadTrace } from '../../../bench/forecast';
import { ValidationError } from '../../../shared/errors';
import type { CliIO } from '../context';
import { parseDuration, parseNonNegativeInt, parsePositiveInt } from '../options';
import { benchCommand } from './bench-forecast';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
const ratio = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}x`);

export function registerBenchFailover(program: Command, io: CliIO): void {
  benchCommand(program)
    .command('failover')
    .description(
      'home-region outages at seeded random times in real traces: recovery, unserved demand and standby cost of Shadowscale (deployed detector, standby pre-warm and regional state machines) beside modelled Route 53 health-check failovers to an unscaled and a full-size standby',
    )
    .requiredOption('--traces <dir>', 'folder of timestamp,value CSV files')
    .option('--events <n>', 'outages per trace (default 2)', parsePositiveInt)
    .option('--seed <n>', 'seed of the outage times (default 1)', parseNonNegativeInt)
    .option('--outage <duration>', 'how long each outage lasts (default 1h)', parseDuration)
    .option('--only <names>', 'comma list: only files whose name contains one of these')
    .option('--json <file>', 'write every event and the summary as JSON')
    .action(
      async (opts: {
        traces: string;
        events?: number;
        seed?: number;
        outage?: number;
        only?: string;
        json?: string;
      }) => {
        const dir = resolve(opts.traces);
        let isDir = false;
        try {
          isDir = statSync(dir).isDirectory();
        } catch {
          isDir = false;
        }
        if (!isDir)
          throw new ValidationError(`--traces ${JSON.stringify(opts.traces)}: not a directory`, [
            { path: '--traces', message: 'not a directory', received: opts.traces },
          ]);
        const files = listTraceFiles(dir, opts.only ? opts.only.split(',').map((s) => s.trim()) : []);
        if (files.length === 0)
          throw new ValidationError(`--traces ${JSON.stringify(opts.traces)}: no .csv files found`, [
            { path: '--traces', message: 'no .csv files', received: opts.traces },
          ]);
        const traces = files.map((f) => ({ name: basename(f, '.csv'), ...loadTrace(f) }));
        const started = performance.now();
        const result = await benchFailover(traces, {
          events: opts.events ?? 2,
          seed: opts.seed ?? 1,
          outageMs: opts.outage ?? 3_600_000,
          warmupMs: 6 * 3_600_000,
          onEvent: (done, total, e) =>
            io.err(
              `bench failover: ${done}/${total} ${e.trace} @ ${e.outageAt}: recovery ${e.shadowscale.recoveryS ?? 'never'} s (Route 53 unscaled ${e.route53Unscaled.recoveryS ?? 'never'} s) (${((performance.now() - started) / 1000).toFixed(0)}s)\n`,
            ),
        });
        const s = result.summary;
        io.out(
          [
            `events: ${s.events} (${s.recovered} recovered within the outage)`,
            `median recovery (outage start -> 95% served): shadowscale ${s.median_recovery_s.shadowscale ?? 'n/a'} s, route53 unscaled standby ${s.median_recovery_s.route53_unscaled ?? 'n/a'} s, route53 full-size standby ${s.median_recovery_s.route53_full ?? 'n/a'} s`,
            `recovery_s_vs_route53 (vs unscaled standby): ${ratio(s.recovery_s_vs_route53)}; vs detection+TTL (90 s): ${ratio(s.recovery_s_vs_route53_detection_ttl)}`,
            `median unserved during the outage: shadowscale ${pct(s.unserved_fraction.shadowscale)}, route53 unscaled ${pct(s.unserved_fraction.route53_unscaled)}, route53 full ${pct(s.unserved_fraction.route53_full)}`,
            `median phases (s from outage start): detected ${s.median_phases_s.detected ?? 'n/a'}, failover started ${s.median_phases_s.failover_started ?? 'n/a'}, standby ready ${s.median_phases_s.standby_ready ?? 'n/a'}, first DNS step ${s.median_phases_s.first_dns_step ?? 'n/a'}, last DNS step ${s.median_phases_s.last_dns_step ?? 'n/a'} (+ TTL ${s.median_phases_s.ttl ?? 'n/a'} s)`,
            `false failovers (observed degradation while the home region served): ${s.false_triggers} over ${s.calm_hours_observed.toFixed(0)} calm hours; failovers ahead of a predicted shortfall: ${s.predicted_failovers}`,
            `unserved_after_shift_fraction (median): ${pct(s.unserved_after_shift_fraction)}`,
            `standby_unit_hours_vs_full: ${ratio(s.standby_unit_hours_vs_full)}`,
            '',
          ].join('\n'),
        );
        if (opts.json) writeFileSync(resolve(opts.json), `${JSON.stringify(result, null, 2)}\n`);
      },
    );
}
