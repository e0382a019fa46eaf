import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { FunctionSpec } from '../../functions/manifest';
import { ManagedResources } from '../../infra/config';
import { lifecycleTargets } from '../../infra/constructs/lifecycle';
import { functionStatements } from '../../infra/constructs/project-function';
import { Tables } from '../../infra/constructs/tables';
import { TABLE_NAMES, type TableName } from '../../shared/data/tables';
import { Workload } from '../../shared/schemas/workload';
import { readFixture } from '../helpers/fixtures';
import type { SdkReach } from './sdk-calls';

/**
 * What the grant-equality check compares: the IAM actions and DynamoDB table/index grants a
 * function's role is given, and the actions its code can call (sdk-calls.ts) plus the ones AWS
 * checks on the caller of those commands.
 */

/**
 * Actions AWS checks on the caller of a command besides the command's own (service
 * authorization reference and the service guides):
 * - ECS RegisterTaskDefinition passes the task and execution roles (iam:PassRole) and, with
 *   tags, needs ecs:TagResource; CreateService with tags needs ecs:TagResource.
 * - EC2 CreateSnapshot with TagSpecifications needs ec2:CreateTags on the new snapshot.
 * - EKS CreateNodegroup passes the node role and tags the nodegroup; with a launch template,
 *   EKS reads its version and checks that the caller may launch and tag instances from it.
 */
export const IMPLIED: Readonly<Record<string, readonly string[]>> = {
  'ecs:RegisterTaskDefinition': ['iam:PassRole', 'ecs:TagResource'],
  'ecs:CreateService': ['ecs:TagResource'],
  // Tags given in CreateSnapshot's TagSpecifications are authorized as ec2:CreateTags.
  'ec2:CreateSnapshot': ['ec2:CreateTags'],
  'eks:CreateNodegroup': [
    'iam:PassRole',
    'eks:TagResource',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:RunInstances',
    'ec2:CreateTags',
  ],
};

export interface Granted {
  readonly actions: string[];
  readonly tables: Map<TableName, { actions: string[]; indexes: string[] }>;
}

/** What the deployed role of `spec` is granted (tables and permissions; logs and X-Ray aside). */
export function granted(spec: FunctionSpec): Granted {
  const stack = new Stack(new App(), 'G', { env: { account: '123456789012', region: 'eu-west-1' } });
  const tables = new Tables(stack, 'Tables', { prefix: 'grants' });
  const eventBus = new events.EventBus(stack, 'Bus');
  // A hosted zone and a standby region, so the failover functions' grants can be built at all.
  const statements = functionStatements(stack, spec, tables, {
    managed: ManagedResources.parse({ hostedZoneIds: ['Z0000000000TEST'] }),
    eventBus,
    standbyRegion: 'eu-central-1',
    // Lifecycle rules naming a topic, a CodeBuild project and a state machine, so the lifecycle
    // functions' grants exist.
    lifecycleTargets: lifecycleTargets([
      Workload.parse(JSON.parse(readFixture('workloads', 'checkout-api-lifecycle.json'))),
    ]),
  });
  const tableArns = new Map(
    TABLE_NAMES.map((t) => [JSON.stringify(stack.resolve(tables.table(t).tableArn)), t]),
  );
  const actions = new Set<string>();
  const byTable = new Map<TableName, { actions: string[]; indexes: string[] }>();
  for (const { statement } of statements) {
    const json = stack.resolve(statement.toStatementJson()) as {
      Action: string | string[];
      Resource: unknown;
    };
    const list = Array.isArray(json.Action) ? json.Action : [json.Action];
    const dynamo = list.filter((a) => a.startsWith('dynamodb:'));
    for (const a of list) if (!a.startsWith('dynamodb:')) actions.add(a);
    if (dynamo.length === 0) continue;
    for (const resource of Array.isArray(json.Resource) ? json.Resource : [json.Resource]) {
      const text = JSON.stringify(resource);
      const exact = tableArns.get(text);
      if (exact) {
        const use = byTable.get(exact) ?? { actions: [], indexes: [] };
        use.actions.push(...dynamo);
        byTable.set(exact, use);
        continue;
      }
      const index = /\/index\/([A-Za-z0-9_.-]+)"/.exec(text)?.[1];
      const table = [...tableArns].find(([arn]) => text.includes(arn))?.[1];
      if (!index || !table)
        throw new Error(`${spec.id}: DynamoDB grant on ${text} is neither a table nor an index`);
      const use = byTable.get(table) ?? { actions: [], indexes: [] };
      use.indexes.push(index);
      byTable.set(table, use);
    }
  }
  return { actions: [...actions].sort(), tables: byTable };
}

export function expected(reach: SdkReach): string[] {
  const actions = new Set<string>();
  for (const action of reach.actions) {
    if (action.startsWith('dynamodb:')) continue;
    actions.add(action);
    for (const implied of IMPLIED[action] ?? []) actions.add(implied);
  }
  return [...actions].sort();
}
