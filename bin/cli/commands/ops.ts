import type { Command } from 'commander';
import { NotFoundError } from '../../../shared/errors';
import { WorkloadId } from '../../../shared/schemas/common';
import type { Operation, TrafficWeights } from '../../../shared/schemas/operation';
import { parseOrThrow } from '../../../shared/validation';
import type { CliIO } from '../context';
import { parsePositiveInt } from '../options';
import { formatTable, iso, type TableOptions, withRepositories, withTableOptions } from './workloads';

/** `shadowscale ops list|show`: migrations, returns and failovers, with their steps and leases. */
export function registerOps(program: Command, io: CliIO): void {
  const ops = program.command('ops').description('inspect operations (migrations, returns, failovers)');

  withTableOptions(
    ops
      .command('list')
      .description('list operations, newest first')
      .option('--workload <id>', 'only this workload')
      .option('--limit <n>', 'show at most this many (default 20)', parsePositiveInt)
      .option('--json', 'print JSON lines instead of a table'),
  ).action(async (opts: { workload?: string; limit?: number; json?: boolean } & TableOptions) => {
    const workloadId =
      opts.workload === undefined ? undefined : parseOrThrow(WorkloadId, opts.workload, '--workload');
    const limit = opts.limit ?? 20;
    const found = await withRepositories(opts, async (repos) => {
      const out: Operation[] = [];
      let cursor: string | undefined;
      do {
        const page =
          workloadId === undefined
            ? await repos.operations.listRecent({
                limit: Math.min(100, limit - out.length),
                ...(cursor ? { cursor } : {}),
              })
            : await repos.operations.listByWorkload(workloadId, {
                limit: Math.min(100, limit - out.length),
                ...(cursor ? { cursor } : {}),
              });
        out.push(...page.items);
        cursor = page.next;
      } while (cursor && out.length < limit);
      return out;
    });
    if (opts.json) {
      for (const op of found) io.out(`${JSON.stringify(op)}\n`);
      return;
    }
    if (found.length === 0) {
      io.out(workloadId ? `no operations for workload ${workloadId}\n` : 'no operations\n');
      return;
    }
    io.out(
      formatTable(
        ['OPERATION', 'WORKLOAD', 'KIND', 'STATUS', 'STARTED', 'UPDATED', 'STEPS', 'WEIGHTS'],
        found.map((op) => [
          op.operationId,
          op.workloadId,
          op.kind,
          op.status,
          iso(op.startedAt),
          iso(op.updatedAt),
          String(op.steps.length),
          weights(op.lastVerifiedWeights ?? op.initialWeights),
        ]),
      ),
    );
  });

  withTableOptions(
    ops
      .command('show')
      .description('print one operation and its steps timeline (what was done, when, verified weights)')
      .argument('<id>', 'operation id')
      .option('--json', 'print the stored operation as JSON'),
  ).action(async (id: string, opts: { json?: boolean } & TableOptions) => {
    const { op, lease } = await withRepositories(opts, async (repos) => {
      const found = await repos.operations.get(id);
      if (!found) throw new NotFoundError(`operation "${id}" does not exist`);
      return { op: found, lease: await repos.operations.getLease(found.workloadId) };
    });
    if (opts.json) {
      io.out(`${JSON.stringify(op, null, 2)}\n`);
      return;
    }
    io.out(renderOperation(op, lease?.holder === op.operationId ? lease.expiresAt : undefined));
  });
}

function weights(w: TrafficWeights | undefined): string {
  return w ? `${w.primary}/${w.shadow}` : '-';
}

function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `+${s}s`;
  if (s < 3_600) return `+${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `+${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`;
}

/** The header and the steps timeline of `ops show`. */
export function renderOperation(op: Operation, leaseExpiresAt?: number): string {
  const lines = [
    `operation  ${op.operationId}`,
    `workload   ${op.workloadId}`,
    `kind       ${op.kind}`,
    `status     ${op.status}${op.error ? ` (${op.error.name}: ${op.error.message})` : ''}`,
    `reason     ${op.reason || '-'}`,
    `started    ${iso(op.startedAt)}`,
    `updated    ${iso(op.updatedAt)} (version ${op.version})`,
    `weights    initial ${weights(op.initialWeights)}, last verified ${weights(op.lastVerifiedWeights)} (primary/shadow)`,
    `lease      ${leaseExpiresAt === undefined ? 'not held by this operation' : `held until ${iso(leaseExpiresAt)}`}`,
    '',
  ];
  if (op.steps.length === 0) lines.push('steps      (none yet)');
  else {
    lines.push('steps');
    lines.push(
      formatTable(
        ['  AT', 'ELAPSED', 'STEP', 'WEIGHTS', 'DETAIL'],
        op.steps.map((step) => [
          `  ${iso(step.at)}`,
          elapsed(step.at - op.startedAt),
          step.name,
          weights(step.weights),
          Object.keys(step.detail).length === 0 ? '' : JSON.stringify(step.detail),
        ]),
      ).trimEnd(),
    );
  }
  return `${lines.join('\n')}\n`;
}
