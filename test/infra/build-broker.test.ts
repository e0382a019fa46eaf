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
import { deployedBuildFunctions } from '../../infra/stacks/control-plane-stack';

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
  {
    id: 'BuildPipelineAction',
    entry: ECHO,
    description: 'fixture pipeline action',
    timeoutSeconds: 60,
    memoryMb: 256,
    tables: { predictions: ['GetItem', 'PutItem', 'UpdateItem'] },
    permissions: ['builds:start', 'builds:read-status', 'pipeline:report-jobs'],
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
    pipelineActionId: 'BuildPipelineAction',
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

  /** Every statement of every policy, with the roles it is attached to. */
  function statementsWith(prefix: string) {
    const policies = template.findResources('AWS::IAM::Policy') as Record<
      string,
      {
        Properties: {
          Roles: { Ref: string }[];
          PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown; Sid?: string }[] };
        };
      }
    >;
    return Object.values(policies).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter((s) =>
        (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith(prefix)),
      ).map((s) => ({ roles: p.Properties.Roles.map((r) => r.Ref), statement: s })),
    );
  }
  const PROJECT_ARNS = BUILD_PROJECTS.map((p) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:codebuild:us-east-1:123456789012:project/${p}`]],
  }));

  it('lets only the starter and the pipeline action start builds, and only of the registered projects', () => {
    // Act
    const starts = statementsWith('codebuild:StartBuild');
    // Assess: one statement per role, one action, exactly the registered project ARNs.
    expect(starts).toHaveLength(2);
    for (const { statement, roles } of starts) {
      expect(statement.Action).toBe('codebuild:StartBuild');
      expect(statement.Resource).toEqual(PROJECT_ARNS);
      expect(roles).toHaveLength(1);
    }
    expect(starts.map((s) => s.roles[0]).sort()).toEqual([
      expect.stringMatching(/^BuildBrokerBuildPipelineAction/),
      expect.stringMatching(/^BuildBrokerBuildStarter/),
    ]);
  });

  it('lets only the pipeline action read builds, and only of the registered projects', () => {
    const reads = statementsWith('codebuild:BatchGetBuilds');
    expect(reads).toHaveLength(1);
    expect(reads[0]?.statement.Action).toBe('codebuild:BatchGetBuilds');
    expect(reads[0]?.statement.Resource).toEqual(PROJECT_ARNS);
    expect(reads[0]?.roles[0]).toMatch(/^BuildBrokerBuildPipelineAction/);
  });

  it('gives only the pipeline action the job reports, on * (no resource-level permissions exist) in its region', () => {
    const reports = statementsWith('codepipeline:');
    expect(reports).toHaveLength(1);
    expect(reports[0]?.statement).toMatchObject({
      Sid: 'CodePipelineReportJobs',
      Action: ['codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
    });
    expect(reports[0]?.roles[0]).toMatch(/^BuildBrokerBuildPipelineAction/);
  });

  it('gives the asynchronously invoked pipeline action a dead-letter queue', () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: 'fixture pipeline action' },
    }) as Record<string, { Properties: Record<string, unknown> }>;
    expect(Object.values(fns)).toHaveLength(1);
    expect(Object.values(fns)[0]?.Properties.DeadLetterConfig).toBeDefined();
  });
});

describe('deployedBuildFunctions', () => {
  const builds = {
    functions: SPECS,
    brokerId: 'BuildBroker',
    feedbackId: 'BuildFeedback',
    starterId: 'BuildStarter',
    pipelineActionId: 'BuildPipelineAction',
  };

  it.each([
    [[], undefined, undefined],
    [['checkout-tests'], 'BuildStarter', 'BuildPipelineAction'],
  ])('with build projects %j: starter %s, pipeline action %s', (projects, starterId, pipelineActionId) => {
    const deployed = deployedBuildFunctions(builds, projects);
    expect(deployed.starterId).toBe(starterId);
    expect(deployed.pipelineActionId).toBe(pipelineActionId);
    expect(deployed.brokerId).toBe('BuildBroker');
  });
});
