import * as fs from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { LIFECYCLE_FUNCTIONS, LIFECYCLE_STATE_MACHINES } from '../../functions/lifecycle/manifest';
import type { Capabilities } from '../../infra/stacks/control-plane-stack';
import { type Synthesized, synthesize } from './synth';

/**
 * The lifecycle capability synthesised from a workload definition with five rules (Shadowscale
 * events, a schedule, an AWS event pattern on the default bus): one EventBridge rule each, the
 * real ASL file, grants on what the rules name, cdk-nag clean. Fixture handlers keep bundling fast.
 */
const ECHO = 'test/infra/fixtures/handlers/echo.ts';
const CAPABILITIES: Capabilities = {
  lifecycle: {
    functions: LIFECYCLE_FUNCTIONS.map((f) => ({ ...f, entry: ECHO, handler: 'handler' })),
    stateMachines: LIFECYCLE_STATE_MACHINES,
    lifecycleId: 'Lifecycle',
  },
};
const WORKLOADS = '["test/fixtures/workloads/checkout-api-lifecycle.json"]';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize(
    {
      'shadowscale:primaryRegion': 'us-east-1',
      'shadowscale:standbyRegion': 'us-west-2',
      'shadowscale:workloads': WORKLOADS,
    },
    CAPABILITIES,
  );
});
afterAll(() => fs.rmSync(synth.outdir, { recursive: true, force: true }));

describe('Lifecycle construct', () => {
  it('passes cdk-nag with no unacknowledged finding', () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it('starts the lifecycle state machine from a rule per lifecycle rule, with the whole event as input', () => {
    const t = synth.templates.primary;
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const rules = t.findResources('AWS::Events::Rule', {
      Properties: { Description: Match.stringLikeRegexp('^Shadowscale lifecycle: ') },
    });
    expect(Object.keys(rules)).toHaveLength(5);
    t.hasResourceProperties('AWS::Events::Rule', {
      Description: 'Shadowscale lifecycle: checkout-api / anomaly-oncall',
      EventBusName: Match.anyValue(),
      EventPattern: {
        source: ['shadowscale'],
        'detail-type': ['Anomaly Detected'],
        detail: { workloadId: ['checkout-api'] },
      },
      Targets: [
        Match.objectLike({
          InputTransformer: {
            InputTemplate:
              '{"workloadId":"checkout-api","rule":"anomaly-oncall","event":<aws.events.event.json>}',
          },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      Description: 'Shadowscale lifecycle: checkout-api / nightly-snapshot',
      ScheduleExpression: 'cron(0 7 * * ? *)',
      State: 'ENABLED',
    });
    // An AWS service event: on the default bus (no EventBusName).
    t.hasResourceProperties('AWS::Events::Rule', {
      Description: 'Shadowscale lifecycle: checkout-api / task-crash',
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [{ suffix: '/prod' }],
          lastStatus: ['STOPPED'],
          stopCode: ['EssentialContainerExited'],
        },
      },
    });
  });

  it('deploys schedules disabled in the standby region, so a schedule acts once', () => {
    synth.templates.standby?.hasResourceProperties('AWS::Events::Rule', {
      Description: 'Shadowscale lifecycle: checkout-api / nightly-snapshot',
      State: 'DISABLED',
    });
  });

  it('grants notify, tests and snapshots only on what the rules name', () => {
    const t = synth.templates.primary;
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(
      '"Action":"sns:Publish","Effect":"Allow","Resource":"arn:aws:sns:us-east-1:123456789012:checkout-oncall"',
    );
    expect(policies).toContain(
      '"Action":"states:StartExecution","Effect":"Allow","Resource":"arn:aws:states:us-east-1:123456789012:stateMachine:checkout-diagnose"',
    );
    expect(policies).toMatch(/"Action":"codebuild:StartBuild".*project\/checkout-diagnostics/);
    expect(policies).toMatch(/"ec2:CreateAction":"CreateSnapshot"/);
    expect(policies).not.toMatch(/"Action":"(\*|[a-z0-9-]+:\*)"/);
  });
});
