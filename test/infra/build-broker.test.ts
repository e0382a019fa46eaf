import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { FunctionSpec } from '../../functions/manifest';
import { BuildBroker } from '../../infra/constructs/build-broker';
import { Monitoring } from '../../infra/constructs/monitoring';
import { Tables } from '../../infra/constructs/tables';

const ECHO = 'test/infra/fixtures/handlers/echo.ts';
const SPECS: FunctionSpec[] = [
  {
    id: 'BuildBroker',
    entry: ECHO,
    description: 'fixture broker',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { predictions: 'write' },
    permissions: [],
  },
  {
    id: 'BuildFeedback',
    entry: ECHO,
    description: 'fixture feedback',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { predictions: 'write' },
    permissions: [],
  },
  {
    id: 'BuildStarter',
    entry: ECHO,
    description: 'fixture starter',
    timeoutSeconds: 30,
    memoryMb: 256,
    tables: { predictions: ['GetItem', 'PutItem', 'UpdateItem'] },
    permissions: ['builds:start'],
  },
];
const BUILD_PROJECTS = ['checkout-tests', 'nightly-integration'];

let outdir: string;
let template: Template;
let nagReport: string[] = [];

beforeAll(() => {
  // Prepare: one stack with the construct and the shared pieces it builds on, cdk-nag on.
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowscale-build-broker-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'T', { env: { account: '123456789012', region: 'us-east-1' } });
  const eventBus = new events.EventBus(stack, 'Bus');
  const monitoring = new Monitoring(stack, 'Monitoring');
  new BuildBroker(stack, 'BuildBroker', {
    context: {
      tables: new Tables(stack, 'Tables', { prefix: 'test' }),
      eventBus,
      permissionContext: {
        managed: {
          listenerArns: [],
          ecsClusters: [],
          eksClusters: [],
          passRoleArns: [],
          launchTemplateIds: [],
          hostedZoneIds: [],
          buildProjects: BUILD_PROJECTS,
        },
        eventBus,
      },
      logRetention: logs.RetentionDays.ONE_WEEK,
      monitoring,
      substitutionValues: {},
    },
    functions: SPECS,
    brokerId: 'BuildBroker',
    feedbackId: 'BuildFeedback',
    starterId: 'BuildStarter',
  });
  monitoring.finish();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: { ruleName: string }[] }[];
    };
    nagReport = report.pluginReports.flatMap((r) => r.violations.map((v) => v.ruleName));
  }
  template = Template.fromStack(stack);
}, 180_000);
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('BuildBroker construct', () => {
  it('is cdk-nag clean', () => expect(nagReport).toEqual([]));

  it('routes stage and build starts from the default bus to the broker', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.codepipeline', 'aws.codebuild'],
        detail: { $or: [{ state: ['STARTED', 'RESUMED'] }, { 'build-status': ['IN_PROGRESS'] }] },
      }),
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
    const rules = template.findResources('AWS::Events::Rule');
    for (const rule of Object.values(rules))
      expect([undefined, 'default']).toContain(
        (rule as { Properties: Record<string, unknown> }).Properties.EventBusName,
      );
  });

  it('routes stage ends, build completions and phase changes to the feedback function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'detail-type': [
          'CodePipeline Stage Execution State Change',
          'CodeBuild Build State Change',
          'CodeBuild Build Phase Change',
        ],
      }),
    });
  });

  it('grants each function the predictions table only, with no wildcard action', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (
          p as {
            Properties: { PolicyDocument: { Statement: { Action: string | string[]; Sid?: string }[] } };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
    const tableSids = statements
      .map((s) => s.Sid ?? '')
      .filter((sid) => sid.endsWith('Table') || sid.endsWith('Indexes'));
    expect(new Set(tableSids)).toEqual(new Set(['PredictionsTable']));
  });

  it('lets only the starter start builds, and only of the registered projects', () => {
    // Prepare: every statement of every policy, with the role it is attached to.
    const policies = template.findResources('AWS::IAM::Policy') as Record<
      string,
      {
        Properties: {
          Roles: { Ref: string }[];
          PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown; Sid?: string }[] };
        };
      }
    >;
    const starts = Object.values(policies).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter((s) =>
        (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('codebuild:')),
      ).map((s) => ({ roles: p.Properties.Roles.map((r) => r.Ref), statement: s })),
    );
    // Assess: one statement, one action, exactly the registered project ARNs, on the starter's role.
    expect(starts).toHaveLength(1);
    const [only] = starts;
    expect(only?.statement.Action).toBe('codebuild:StartBuild');
    expect(only?.statement.Resource).toEqual(
      BUILD_PROJECTS.map((p) => ({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, `:codebuild:us-east-1:123456789012:project/${p}`],
        ],
      })),
    );
    expect(only?.roles).toHaveLength(1);
    expect(only?.roles[0]).toMatch(/^BuildBrokerBuildStarter/);
  });
});
