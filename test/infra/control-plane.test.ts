import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { TABLE_ENV_VARS, TABLE_NAMES, TABLES } from '../../shared/data/tables';
import {
  CONTENTION_PREDICTED,
  FIXTURE_CAPABILITIES,
  FORECAST_FUNCTIONS,
  MIGRATION_FUNCTIONS,
  MIGRATION_STATE_MACHINES,
  PREWARM_FUNCTION,
} from './fixtures/capabilities';
import { allowStatements, isRead } from './iam-scan';
import { type Synthesized, synthesize } from './synth';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Resources = Record<string, Resource>;

const resources = (template: Template, type: string): Resources => template.findResources(type) as Resources;

const SPECS = [...FORECAST_FUNCTIONS, ...MIGRATION_FUNCTIONS, PREWARM_FUNCTION];
const serviceName = (id: string) => `shadowscale-${id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;

/** The Lambda function (logical id, resource) built from the spec with this id. */
function functionOf(template: Template, specId: string): [string, Resource] {
  const found = Object.entries(resources(template, 'AWS::Lambda::Function')).find(
    ([, r]) =>
      (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .POWERTOOLS_SERVICE_NAME === serviceName(specId),
  );
  if (!found) throw new Error(`no function for spec ${specId}`);
  return found;
}

let synth: Synthesized;
let primary: Template;
let standby: Template;
let demo: Template;

beforeAll(() => {
  // Prepare: one synthesis of the whole app (primary + standby + demo), bundling included.
  synth = synthesize(
    {
      'shadowscale:primaryRegion': 'us-east-1',
      'shadowscale:standbyRegion': 'us-west-2',
      'shadowscale:demo': true,
      'shadowscale:alarmEmail': 'oncall@example.com',
    },
    FIXTURE_CAPABILITIES,
  );
  primary = synth.templates.primary;
  if (!synth.templates.standby || !synth.templates.demo) throw new Error('standby and demo stacks expected');
  standby = synth.templates.standby;
  demo = synth.templates.demo;
}, 240_000);

afterAll(() => {
  if (synth) fs.rmSync(synth.outdir, { recursive: true, force: true });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it('reports no unacknowledged finding on any stack', () => {
    expect(synth.nagFindings).toEqual([]);
  });
});

describe('functions', () => {
  it.each(['primary', 'standby'] as const)(
    'every %s function is nodejs24.x on arm64, traced, with its own log group',
    (which) => {
      const template = which === 'primary' ? primary : standby;
      const functions = Object.values(resources(template, 'AWS::Lambda::Function'));
      expect(functions).toHaveLength(SPECS.length);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        });
        expect(fn.Properties.Handler).toBe('index.handler');
      }
    },
  );

  it('keeps every log group for the configured retention', () => {
    for (const template of [primary, standby, demo]) {
      const groups = Object.values(resources(template, 'AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThan(0);
      for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
    }
  });

  it.each(SPECS.map((s) => [s.id, s] as const))(
    '%s gets exactly the table names it declares, and the bus',
    (id, spec) => {
      const [, fn] = functionOf(primary, id);
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const table of TABLE_NAMES) {
        if (spec.tables[table])
          expect(env[TABLE_ENV_VARS[table]]).toEqual({ Ref: expect.stringMatching(/^Tables/) });
        else expect(env[TABLE_ENV_VARS[table]]).toBeUndefined();
      }
      expect(env.SHADOWSCALE_EVENT_BUS_NAME).toEqual({ Ref: expect.stringMatching(/^Bus/) });
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('Shadowscale');
    },
  );

  it('ships the augurs .wasm files beside the bundle of a function that asks for them', () => {
    const [, forecast] = functionOf(primary, 'Forecast');
    const env = (forecast.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.AUGURS_WASM_DIR).toBe('/var/task');
    const key = (forecast.Properties.Code as { S3Key: string }).S3Key;
    const bundle = path.join(synth.outdir, `asset.${key.replace(/\.zip$/, '')}`);
    expect(fs.readdirSync(bundle)).toEqual(
      expect.arrayContaining(['index.mjs', 'index.mjs.map', 'mstl_bg.wasm']),
    );
    const [, lister] = functionOf(primary, 'ListWorkloads');
    const listerEnv = (lister.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(listerEnv.AUGURS_WASM_DIR).toBeUndefined();
  });

  it('bundles ESM with a require shim and source maps', () => {
    const [, forecast] = functionOf(primary, 'Forecast');
    const key = (forecast.Properties.Code as { S3Key: string }).S3Key;
    const code = fs.readFileSync(
      path.join(synth.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'),
      'utf8',
    );
    expect(code).toContain('createRequire(import.meta.url)');
    expect(code).toContain('sourceMappingURL=index.mjs.map');
  });

  it('gives the asynchronously invoked ingest function a dead-letter queue', () => {
    const [, ingest] = functionOf(primary, 'IngestSignal');
    expect(ingest.Properties.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
    });
  });
});

describe('tables', () => {
  const tables = () => Object.values(resources(primary, 'AWS::DynamoDB::GlobalTable'));

  it('creates every table of shared/data/tables.ts in the primary, none in the standby', () => {
    expect(
      tables()
        .map((t) => t.Properties.TableName)
        .sort(),
    ).toEqual(TABLE_NAMES.map((n) => `shadowscale-${n}`).sort());
    expect(Object.keys(resources(standby, 'AWS::DynamoDB::GlobalTable'))).toHaveLength(0);
    expect(Object.keys(resources(standby, 'AWS::DynamoDB::Table'))).toHaveLength(0);
  });

  it.each(TABLE_NAMES.map((n) => [n]))(
    '%s: on-demand, encrypted, PITR and deletion protection in both regions, TTL, keys',
    (name) => {
      const spec = TABLES[name];
      primary.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          TableName: `shadowscale-${name}`,
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
          KeySchema: [
            { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
            ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' }] : []),
          ],
          TimeToLiveSpecification: spec.ttlAttribute
            ? { AttributeName: spec.ttlAttribute, Enabled: true }
            : Match.absent(),
          Replicas: [
            Match.objectLike({
              Region: 'us-west-2',
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              DeletionProtectionEnabled: true,
            }),
            Match.objectLike({
              Region: 'us-east-1',
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              DeletionProtectionEnabled: true,
            }),
          ],
          GlobalSecondaryIndexes:
            spec.globalSecondaryIndexes.length > 0
              ? spec.globalSecondaryIndexes.map((index) =>
                  Match.objectLike({
                    IndexName: index.indexName,
                    Projection: { ProjectionType: index.projection },
                  }),
                )
              : Match.absent(),
        }),
      });
    },
  );
});

describe('standby region', () => {
  it('uses the table replicas by name and grants on their ARNs in its own region', () => {
    const [, forecast] = functionOf(standby, 'Forecast');
    const env = (forecast.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.SHADOWSCALE_WORKLOADS_TABLE).toBe('shadowscale-workloads');
    const tableResources = allowStatements(standby)
      .filter((s) => s.actions.includes('dynamodb:GetItem'))
      .flatMap((s) => s.resources);
    expect(tableResources.length).toBeGreaterThan(0);
    for (const resource of tableResources)
      expect(resource).toMatch(
        /:dynamodb:us-west-2:123456789012:table\/shadowscale-[a-z]+(\/index\/[A-Za-z]+)?/,
      );
  });
});

describe('state machines', () => {
  const machines = (template: Template) =>
    Object.entries(resources(template, 'AWS::StepFunctions::StateMachine'));

  it('logs ALL events with execution data and traces, in both regions', () => {
    for (const template of [primary, standby]) {
      expect(machines(template)).toHaveLength(3);
      for (const [, sm] of machines(template)) {
        expect(sm.Properties).toMatchObject({
          StateMachineType: 'STANDARD',
          LoggingConfiguration: {
            Level: 'ALL',
            IncludeExecutionData: true,
            Destinations: [
              { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
            ],
          },
          TracingConfiguration: { Enabled: true },
        });
      }
    }
  });

  it('resolves every placeholder of the deployed definition through its substitutions', () => {
    for (const [id, sm] of machines(primary)) {
      const key = (sm.Properties.DefinitionS3Location as { Key: string }).Key;
      const file = path.join(synth.outdir, `asset.${key}`);
      const substitutions = sm.Properties.DefinitionSubstitutions as Record<string, unknown>;
      let definition = fs.readFileSync(file, 'utf8');
      for (const name of Object.keys(substitutions))
        definition = definition.split(`\${${name}}`).join('resolved');
      expect({ id, leftover: definition.match(/\$\{[^}]*\}/g) ?? [] }).toEqual({ id, leftover: [] });
      expect(() => JSON.parse(definition)).not.toThrow();
      for (const value of Object.values(substitutions))
        expect(value).not.toEqual(expect.stringContaining('${'));
    }
  });

  it.each(MIGRATION_STATE_MACHINES.map((s) => [s.id, s.functions] as const))(
    '%s may invoke exactly %j',
    (id, functionIds) => {
      const [, sm] =
        machines(primary).find(([, m]) => m.Properties.StateMachineName === serviceName(id)) ?? [];
      if (!sm) throw new Error(`no state machine ${id}`);
      const role = (sm.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const invokable = allowStatements(primary)
        .filter((s) => {
          const policy = resources(primary, 'AWS::IAM::Policy')[s.holder];
          return (policy?.Properties.Roles as { Ref: string }[] | undefined)?.some((r) => r.Ref === role);
        })
        .filter((s) => s.actions.includes('lambda:InvokeFunction'))
        .flatMap((s) => s.resources);
      const expected = functionIds.map((f) =>
        JSON.stringify({ 'Fn::GetAtt': [functionOf(primary, f)[0], 'Arn'] }),
      );
      expect(invokable.sort()).toEqual(expected.sort());
    },
  );

  it('alarms on failed, timed-out and aborted executions of every state machine', () => {
    for (const [id] of machines(primary)) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Namespace: 'AWS/States',
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id } }],
          Threshold: 1,
          AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
        });
      }
    }
  });
});

describe('rules', () => {
  it('runs the forecast fan-out on the configured schedule, enabled only in the primary', () => {
    const target = {
      Arn: { Ref: Match.stringLikeRegexp('^ForecasterForecastFanout') },
      DeadLetterConfig: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ForecasterForecastScheduleDlq'), 'Arn'] },
      },
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
    };
    primary.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike(target)],
    });
    standby.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'DISABLED',
    });
  });

  it('sends Signal Scheduled events from the Shadowscale bus to the ingest function, with a DLQ', () => {
    const [ingestId] = functionOf(primary, 'IngestSignal');
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: { 'detail-type': ['Signal Scheduled'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [ingestId, 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SignalsSignalDeliveryDlq'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
  });

  it('starts the migration on Contention Predicted with the shared input transformer and a DLQ', () => {
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: { source: ['shadowscale'], 'detail-type': ['Contention Predicted'] },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^ShadowPoolShadowPoolMigrationStateMachine') },
          InputTransformer: {
            InputPathsMap: CONTENTION_PREDICTED.inputTransformer.inputPathsMap,
            InputTemplate: CONTENTION_PREDICTED.inputTransformer.inputTemplate,
          },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShadowPoolContentionPredictedStartDlq'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
          RoleArn: Match.anyValue(),
        }),
      ],
    });
  });

  it('starts the return on Contention Cleared', () => {
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['shadowscale'], 'detail-type': ['Contention Cleared'] },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^ShadowPoolShadowPoolReturnStateMachine') },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('sends Forecast Computed events to the pre-warm function, with DLQs for delivery and invocation', () => {
    const [prewarmId, prewarm] = functionOf(primary, 'Prewarm');
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: { source: ['shadowscale'], 'detail-type': ['Forecast Computed'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [prewarmId, 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PrewarmForecastDeliveryDlq'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 900 },
        }),
      ],
    });
    expect(prewarm.Properties.DeadLetterConfig).toBeDefined();
  });

  it('gives every EventBridge target a dead-letter queue', () => {
    for (const template of [primary, standby]) {
      const targets = Object.values(resources(template, 'AWS::Events::Rule')).flatMap(
        (r) => r.Properties.Targets as Record<string, unknown>[],
      );
      expect(targets.length).toBe(5);
      for (const target of targets) expect(target.DeadLetterConfig).toBeDefined();
    }
  });
});

describe('IAM', () => {
  const ALWAYS_UNSCOPED = new Set([
    // AWS offers no resource-level permissions for these; each is acknowledged in cdk-nag.
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'logs:CreateLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:PutResourcePolicy',
  ]);

  it.each(['primary', 'standby', 'demo'] as const)(
    'the %s stack has no * action in any Allow statement',
    (which) => {
      const template = { primary, standby, demo }[which];
      const wildcards = allowStatements(template).flatMap((s) =>
        s.actions.filter((a) => a === '*' || a.endsWith(':*')),
      );
      expect(wildcards).toEqual([]);
    },
  );

  it.each(['primary', 'standby', 'demo'] as const)('the %s stack has no unscoped write action', (which) => {
    const template = { primary, standby, demo }[which];
    const unscoped = allowStatements(template)
      .filter((s) => s.resources.includes('*') && s.condition === undefined)
      .flatMap((s) =>
        s.actions.filter((a) => !isRead(a) && !ALWAYS_UNSCOPED.has(a)).map((a) => `${s.holder}: ${a}`),
      )
      // The key policy names the key itself with `*`.
      .filter((entry) => !/^MonitoringAlarmTopicKey/.test(entry));
    expect(unscoped).toEqual([]);
  });

  it('limits ECS, EKS and ELB writes to resources tagged shadowscale:managed=true when none are registered', () => {
    const writes = allowStatements(primary).filter((s) =>
      s.actions.some((a) => /^(ecs|eks|elasticloadbalancing):/.test(a) && !isRead(a)),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const statement of writes) {
      const text = JSON.stringify(statement.condition ?? {});
      expect({ sid: statement.sid, scoped: /shadowscale:managed|ecs:CreateAction/.test(text) }).toEqual({
        sid: statement.sid,
        scoped: true,
      });
    }
  });
});

describe('monitoring', () => {
  it('sends alarms to an encrypted topic with the configured e-mail subscribed', () => {
    primary.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    primary.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    primary.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const alarms = Object.values(resources(primary, 'AWS::CloudWatch::Alarm'));
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  it('alarms on the depth of every dead-letter queue', () => {
    const queues = Object.keys(resources(primary, 'AWS::SQS::Queue'));
    expect(queues.length).toBe(7);
    for (const queue of queues)
      primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      });
  });

  it.each(['Forecast', 'ListWorkloads'])('alarms on errors of the forecaster function %s', (id) => {
    const [fnId] = functionOf(primary, id);
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
    });
  });

  it.each(['WorkloadsFailed', 'EventsFailed'])(
    'alarms when the forecaster counts %s above 0, whatever its dimensions',
    (metric) => {
      primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [
          Match.objectLike({
            Expression: `SELECT SUM(${metric}) FROM Shadowscale`,
            Period: 300,
            ReturnData: true,
          }),
        ],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    },
  );

  it('graphs the fleet-level metrics the forecaster emits, and no per-workload series', () => {
    const [dashboard] = Object.values(resources(primary, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of [
      'WorkloadsForecast',
      'WorkloadsSkipped',
      'AnomalyScoreMax',
      'WorkloadsFailed',
      'WorkloadsContended',
      'ContentionScoreMax',
      'ContentionScoreP95',
      'RunDuration',
      // The feedback loop's fleet aggregates (no per-workload dimension).
      'ForecastCoverage80_15m',
      'ForecastCoverage95_1h',
      'ForecastErrorRatio_24h',
      'ForecastsScored',
      'FeedbackRefits',
    ])
      expect(body).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    expect(body).toContain('Namespace=\\\\\\"Shadowscale\\\\\\"');
    for (const metric of ['ContentionScore', 'ForecastP50', 'Observed'])
      expect(body).not.toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
  });

  it('shows one workload at a time through a custom widget backed by the forecast widget function', () => {
    const [dashboard] = Object.values(resources(primary, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    const widget = Object.keys(resources(primary, 'AWS::Lambda::Function')).filter((id) =>
      id.startsWith('ForecasterForecastWidgetFunction'),
    );
    expect(widget).toHaveLength(1);
    expect(body).toContain('\\"type\\":\\"custom\\"');
    expect(body).toContain(JSON.stringify({ 'Fn::GetAtt': [widget[0], 'Arn'] }));
  });
});

describe('demo workload', () => {
  it('forwards the listener by weight to a primary (100) and a shadow (0) target group', () => {
    demo.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: { Ref: Match.stringLikeRegexp('^PrimaryTargetGroup') }, Weight: 100 },
              { TargetGroupArn: { Ref: Match.stringLikeRegexp('^ShadowTargetGroup') }, Weight: 0 },
            ],
          },
        },
      ],
    });
    demo.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
  });

  it('runs an ECS Fargate service behind the primary target group in a VPC with flow logs', () => {
    demo.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      LoadBalancers: [
        Match.objectLike({ TargetGroupArn: { Ref: Match.stringLikeRegexp('^PrimaryTargetGroup') } }),
      ],
    });
    demo.hasResourceProperties('AWS::ECS::Cluster', { ClusterName: 'shadowscale-demo' });
    demo.resourceCountIs('AWS::EC2::VPC', 1);
    demo.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it.each([
    'AWS::EC2::VPC',
    'AWS::ElasticLoadBalancingV2::LoadBalancer',
    'AWS::ElasticLoadBalancingV2::Listener',
    'AWS::ElasticLoadBalancingV2::TargetGroup',
    'AWS::ECS::Cluster',
    'AWS::ECS::Service',
  ])('tags %s shadowscale:managed=true', (type) => {
    const found = Object.values(resources(demo, type));
    expect(found.length).toBeGreaterThan(0);
    for (const resource of found)
      expect(resource.Properties.Tags).toEqual(
        expect.arrayContaining([{ Key: 'shadowscale:managed', Value: 'true' }]),
      );
  });
});
