import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { FunctionSpec } from '../../functions/manifest';
import { MIGRATION_FUNCTIONS } from '../../functions/migration/manifest';
import {
  PIPELINE_FUNCTIONS,
  PIPELINE_SHARED_MIGRATION_FUNCTIONS,
  PIPELINE_STATE_MACHINES,
} from '../../functions/pipeline/manifest';
import { STAGE_HISTORY_FUNCTIONS } from '../../functions/stage-history/manifest';
import { buildFunctions, type CapabilityContext } from '../../infra/constructs/capability';
import { Monitoring } from '../../infra/constructs/monitoring';
import { PipelineBranch } from '../../infra/constructs/pipeline-branch';
import { Tables } from '../../infra/constructs/tables';
import { DemoWorkloadStack } from '../../infra/stacks/demo-workload-stack';

// The real specs (ids, substitutions, grants) with a tiny handler bundled in place of the real code.
const ECHO = 'test/infra/fixtures/handlers/echo.ts';
const echo = (spec: FunctionSpec): FunctionSpec => ({ ...spec, entry: ECHO, handler: 'handler' });
const TEST_PROJECT = 'checkout-integration-tests';

type Statement = { Action: string | string[]; Resource: unknown; Sid?: string; Condition?: unknown };
const statementsOf = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

let outdir: string;
let control: Template;
let demo: Template;
let nagFindings: string[] = [];
let kubernetesRoles = 0;

beforeAll(() => {
  // Prepare: the construct beside the shadow-pool functions it shares, a runner role, and the demo stack's pipeline; cdk-nag on.
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowscale-pipeline-branch-'));
  const app = new App({ outdir });
  const env = { account: '123456789012', region: 'us-east-1' };
  const stack = new Stack(app, 'Control', { env });
  const eventBus = new events.EventBus(stack, 'Bus');
  const monitoring = new Monitoring(stack, 'Monitoring');
  const context: CapabilityContext = {
    tables: new Tables(stack, 'Tables', { prefix: 'test' }),
    eventBus,
    permissionContext: {
      managed: {
        listenerArns: [],
        ecsClusters: ['prod-apps'],
        eksClusters: [],
        passRoleArns: ['arn:aws:iam::123456789012:role/checkout-task'],
        launchTemplateIds: [],
        hostedZoneIds: [],
        testProjects: [TEST_PROJECT],
      },
      eventBus,
    },
    logRetention: logs.RetentionDays.ONE_WEEK,
    monitoring,
    substitutionValues: {},
  };
  const shared = buildFunctions(
    stack,
    MIGRATION_FUNCTIONS.filter((f) =>
      (PIPELINE_SHARED_MIGRATION_FUNCTIONS as readonly string[]).includes(f.id),
    ).map(echo),
    context,
  );
  const runner = new iam.Role(stack, 'TestRunnerRole', {
    assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
  });
  const branch = new PipelineBranch(stack, 'PipelineBranch', {
    context,
    functions: PIPELINE_FUNCTIONS.map(echo),
    stateMachines: PIPELINE_STATE_MACHINES,
    stateMachineId: 'PipelineBranch',
    sharedFunctions: shared,
    stageHistory: echo(STAGE_HISTORY_FUNCTIONS[0] as FunctionSpec),
    testRunners: [runner],
  });
  kubernetesRoles = branch.kubernetesRoles.length;
  monitoring.finish();
  new DemoWorkloadStack(app, 'Demo', {
    env,
    pipelineBranchStateMachineName: branch.workflow.stateMachineName,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    const report = path.join(outdir, 'validation-report.json');
    if (!fs.existsSync(report)) throw error;
    const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      pluginReports: {
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[];
    };
    nagFindings = parsed.pluginReports.flatMap((r) =>
      r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
    );
  }
  const read = (s: Stack) =>
    Template.fromJSON(
      JSON.parse(fs.readFileSync(path.join(outdir, s.templateFile), 'utf8')) as Record<string, unknown>,
    );
  control = read(stack);
  demo = read(app.node.findChild('Demo') as Stack);
}, 300_000);
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('PipelineBranch construct', () => {
  it('is cdk-nag clean, the demo pipeline included', () => expect(nagFindings).toEqual([]));

  it('deploys the ASL file unchanged, calling its own tasks and the shared shadow-pool ones', () => {
    const machines = control.findResources('AWS::StepFunctions::StateMachine');
    const [machine] = Object.values(machines) as { Properties: Record<string, unknown> }[];
    expect(machine?.Properties.StateMachineName).toBe('shadowscale-pipeline-branch');
    const substitutions = Object.keys(machine?.Properties.DefinitionSubstitutions as object).sort();
    expect(substitutions).toEqual(
      [
        ...PIPELINE_FUNCTIONS.map((f) => `${f.id}FunctionArn`),
        ...PIPELINE_SHARED_MIGRATION_FUNCTIONS.map((id) => `${id}FunctionArn`),
      ].sort(),
    );
  });

  it('sends every CodePipeline stage/action and CodeBuild build/phase change from the default bus to the stage history', () => {
    for (const [source, detailTypes] of [
      [
        'aws.codepipeline',
        ['CodePipeline Stage Execution State Change', 'CodePipeline Action Execution State Change'],
      ],
      ['aws.codebuild', ['CodeBuild Build State Change', 'CodeBuild Build Phase Change']],
    ] as const)
      control.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: [source], 'detail-type': detailTypes },
        Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
      });
    for (const rule of Object.values(control.findResources('AWS::Events::Rule')))
      expect([undefined, 'default']).toContain(
        (rule as { Properties: { EventBusName?: string } }).Properties.EventBusName,
      );
  });

  it('lets StartTests start only the registered test project, and only the runner answer the gate', () => {
    const statements = statementsOf(control);
    const start = statements.filter((s) => actionsOf(s).includes('codebuild:StartBuild'));
    expect(start).toHaveLength(1);
    expect(JSON.stringify(start[0]?.Resource)).toContain(`:project/${TEST_PROJECT}`);
    const answer = statements.filter((s) => actionsOf(s).includes('states:SendTaskSuccess'));
    expect(answer).toHaveLength(1);
    expect(actionsOf(answer[0] as Statement).sort()).toEqual(
      ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'].sort(),
    );
    expect(JSON.stringify(answer[0]?.Resource)).toContain('PipelineBranch');
    expect(statements.flatMap(actionsOf).some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
  });

  it('tasks that reach an EKS cluster hold eks:DescribeCluster only, on clusters tagged shadowscale:managed=true when none is registered', () => {
    const describe = statementsOf(control).filter((s) => actionsOf(s).includes('eks:DescribeCluster'));
    expect(describe.length).toBeGreaterThan(0);
    for (const s of describe) {
      expect(actionsOf(s)).toEqual(['eks:DescribeCluster']);
      expect(JSON.stringify(s.Resource)).toContain(':cluster/*');
      expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/shadowscale:managed': 'true' } });
    }
    const reaching = PIPELINE_FUNCTIONS.filter((f) => f.permissions.includes('eks:kubernetes-api'));
    expect(describe).toHaveLength(reaching.length);
    expect(kubernetesRoles).toBe(reaching.length);
    expect(reaching.map((f) => f.id)).toEqual(
      expect.arrayContaining(['PipelineProvision', 'PipelineDeployPrimary', 'PipelineDiscard']),
    );
  });

  it('the demo pipeline invokes the state machine by name from its deploy stage, with the release bundle as input', () => {
    demo.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      PipelineType: 'V2',
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Deploy',
          Actions: [
            Match.objectLike({
              ActionTypeId: Match.objectLike({ Category: 'Invoke', Provider: 'StepFunctions' }),
              Configuration: Match.objectLike({
                StateMachineArn: Match.anyValue(),
                InputType: 'FilePath',
                Input: 'deploy.json',
              }),
            }),
          ],
        }),
      ]),
    });
    expect(JSON.stringify(demo.toJSON())).toContain('stateMachine:shadowscale-pipeline-branch');
  });
});
