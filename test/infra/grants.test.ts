import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { FunctionSpec } from '../../functions/manifest';
import { ManagedResources } from '../../infra/config';
import { lifecycleTargets } from '../../infra/constructs/lifecycle';
import { functionStatements } from '../../infra/constructs/project-function';
import { Tables } from '../../infra/constructs/tables';
import { REPO_ROOT } from '../../infra/paths';
import { TABLE_NAMES, type TableName } from '../../shared/data/tables';
import { Workload } from '../../shared/schemas/workload';
import { readFixture } from '../helpers/fixtures';
import { SdkCallAnalyzer, type SdkReach } from './sdk-calls';

/**
 * Each deployed function is granted exactly what its code can call: the IAM actions of every AWS
 * SDK command reachable from its handler (read from the code, see sdk-calls.ts), plus the
 * actions AWS authorizes on the caller as part of those commands, and no other. DynamoDB is
 * compared per table and index. Every `functions/<capability>/manifest.ts` is read, so a new
 * handler is held to the same rule as soon as its manifest exists.
 *
 * What it compares is actions, not where they apply: a call into another region (the standby
 * legs) counts as the same action as in the stack's region, and resource scoping is asserted by
 * the targeted tests of permissions.test.ts and control-plane.test.ts.
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
const IMPLIED: Readonly<Record<string, readonly string[]>> = {
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

function isFunctionSpec(value: unknown): value is FunctionSpec {
  const v = value as Partial<FunctionSpec> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.entry === 'string' &&
    typeof v.tables === 'object' &&
    Array.isArray(v.permissions)
  );
}

/** Every FunctionSpec exported by any functions/<capability>/manifest.ts. */
function allSpecs(): FunctionSpec[] {
  const specs = new Map<string, FunctionSpec>();
  const root = path.join(REPO_ROOT, 'functions');
  for (const dir of fs.readdirSync(root).sort()) {
    const file = path.join(root, dir, 'manifest.ts');
    if (!fs.existsSync(file)) continue;
    const exported = require(file) as Record<string, unknown>;
    for (const value of Object.values(exported)) {
      const list = Array.isArray(value) ? value : [value];
      for (const item of list) if (isFunctionSpec(item)) specs.set(item.id, item);
    }
  }
  return [...specs.values()];
}

interface Granted {
  readonly actions: string[];
  readonly tables: Map<TableName, { actions: string[]; indexes: string[] }>;
}

/**
 * One stack for every spec: functionStatements builds statements only (no construct is added),
 * so the specs do not see each other, and the suite stays well under a minute.
 */
const stack = new Stack(new App(), 'G', { env: { account: '123456789012', region: 'eu-west-1' } });
const tables = new Tables(stack, 'Tables', { prefix: 'grants' });
const eventBus = new events.EventBus(stack, 'Bus');
// A hosted zone and a standby region, so the failover functions' grants can be built at all.
const permissionContext = {
  managed: ManagedResources.parse({ hostedZoneIds: ['Z0000000000TEST'], buildProjects: ['app-build'] }),
  eventBus,
  standbyRegion: 'eu-central-1',
  // Lifecycle rules naming a topic, a CodeBuild project and a state machine, so the lifecycle
  // functions' grants exist.
  lifecycleTargets: lifecycleTargets([
    Workload.parse(JSON.parse(readFixture('workloads', 'checkout-api-lifecycle.json'))),
  ]),
};

/** What the deployed role of `spec` is granted (tables and permissions; logs and X-Ray aside). */
function granted(spec: FunctionSpec): Granted {
  const statements = functionStatements(stack, spec, tables, permissionContext);
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

function expected(reach: SdkReach): string[] {
  const actions = new Set<string>();
  for (const action of reach.actions) {
    if (action.startsWith('dynamodb:')) continue;
    actions.add(action);
    for (const implied of IMPLIED[action] ?? []) actions.add(implied);
  }
  return [...actions].sort();
}

const SPECS = allSpecs();
let analyzer: SdkCallAnalyzer;

beforeAll(() => {
  analyzer = new SdkCallAnalyzer([...new Set(SPECS.map((s) => s.entry))]);
});

describe('grants equal what each handler can call', () => {
  it('finds the functions of every capability manifest', () => {
    expect(SPECS.map((s) => s.id)).toEqual(
      expect.arrayContaining([
        'Forecast',
        'IngestSignal',
        'MigrationPlan',
        'Prewarm',
        'BuildBroker',
        'FailoverAcquireLease',
        'PipelineDeployPrimary',
      ]),
    );
  });

  it.each(SPECS.map((s) => [s.id, s] as const))('%s', (id, spec) => {
    // Act
    const reach = analyzer.analyze(spec.entry, spec.handler ?? 'handler');
    const grants = granted(spec);

    // Assess: AWS actions beyond DynamoDB, then DynamoDB per table and index.
    expect({ id, unattributedDynamoDbCalls: reach.unattributed }).toEqual({
      id,
      unattributedDynamoDbCalls: [],
    });
    expect({ id, actions: grants.actions }).toEqual({ id, actions: expected(reach) });
    const called = Object.fromEntries(
      [...reach.tables].map(([t, use]) => [
        t,
        { actions: [...use.actions].sort(), indexes: [...use.indexes].sort() },
      ]),
    );
    const given = Object.fromEntries(
      [...grants.tables].map(([t, use]) => [
        t,
        { actions: [...new Set(use.actions)].sort(), indexes: [...new Set(use.indexes)].sort() },
      ]),
    );
    expect({ id, tables: given }).toEqual({ id, tables: called });
  });
});
