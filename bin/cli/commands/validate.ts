import * as fs from 'node:fs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Command } from 'commander';
import { ManagedResources } from '../../../infra/config';
import { AwsPreflightReader } from '../../../shared/aws/preflight-reader';
import { type ManagedScope, preflightFindings } from '../../../shared/preflight';
import { Workload } from '../../../shared/schemas/workload';
import { parseOrThrow } from '../../../shared/validation';
import { CliExit, type CliIO } from '../context';
import { readJsonFile } from '../io';

const MANAGED_CONTEXT_KEY = 'shadowscale:managed';

export function registerValidate(program: Command, io: CliIO): void {
  program
    .command('validate')
    .description(
      'validate a workload definition file against its schema; with --check-aws, also read its ALB listener/rule, ECS service or EKS nodegroup and name every tag or role the deployed IAM needs that is missing (exit 1)',
    )
    .argument('<file>', 'workload definition (JSON)')
    .option('--print', 'print the definition with defaults applied')
    .option('--check-aws', 'read the workload resources in AWS (read-only) and check the IAM preconditions')
    .option(
      '--managed <file>',
      'the shadowscale:managed context the control plane was deployed with: a JSON object, or a cdk.json holding it (default ./cdk.json when present, else the tag-scoped mode)',
    )
    .action(async (file: string, opts: { print?: boolean; checkAws?: boolean; managed?: string }) => {
      const workload = parseOrThrow(Workload, readJsonFile(file, 'file'), `workload file ${file}`);
      if (opts.print) io.out(`${JSON.stringify(workload, null, 2)}\n`);
      else
        io.out(
          `${file}: valid workload "${workload.workloadId}" (${workload.compute.kind}, ${workload.metrics.length} metric(s))\n`,
        );
      if (!opts.checkAws) {
        if (opts.managed) throw new CliExit(2, '--managed needs --check-aws');
        return;
      }
      const scope = readScope(opts.managed);
      const reader = new AwsPreflightReader({
        elb: new ElasticLoadBalancingV2Client({}),
        ecs: new ECSClient({}),
        eks: new EKSClient({}),
      });
      const facts = await reader.read(workload);
      const findings = preflightFindings(workload, facts, scope);
      for (const f of findings)
        io.out(`${f.severity === 'problem' ? 'missing' : 'check'}: ${f.resource}: ${f.message}\n`);
      const problems = findings.filter((f) => f.severity === 'problem').length;
      if (problems > 0)
        throw new CliExit(1, `${workload.workloadId}: ${problems} missing precondition(s) for a migration`);
      io.out(`${workload.workloadId}: AWS preconditions met (${scopeLabel(scope)})\n`);
    });
}

function scopeLabel(scope: ManagedScope): string {
  const byArn = [
    scope.listenerArns.length > 0 && 'listeners',
    scope.ecsClusters.length > 0 && 'ECS clusters',
    scope.eksClusters.length > 0 && 'EKS clusters',
    scope.passRoleArns.length > 0 && 'roles',
    scope.launchTemplateIds.length > 0 && 'launch templates',
  ].filter(Boolean);
  return byArn.length > 0 ? `registered ${byArn.join(', ')}; the rest by tag` : 'everything by tag';
}

/** The managed scope from --managed (object or cdk.json), else ./cdk.json, else all by tag. */
function readScope(file: string | undefined): ManagedScope {
  const path = file ?? (fs.existsSync('cdk.json') ? 'cdk.json' : undefined);
  if (!path) return ManagedResources.parse({});
  const raw = readJsonFile(path, '--managed') as Record<string, unknown> | null;
  const context = (raw as { context?: Record<string, unknown> } | null)?.context;
  const value = context ? (context[MANAGED_CONTEXT_KEY] ?? {}) : raw;
  return parseOrThrow(ManagedResources, value, `--managed ${path}`);
}
