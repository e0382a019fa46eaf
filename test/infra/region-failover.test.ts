import * as fs from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import {
  FAILOVER_DETECTOR_FUNCTION,
  FAILOVER_FUNCTIONS,
  FAILOVER_STATE_MACHINES,
} from '../../functions/failover/manifest';
import { PREWARM_FUNCTIONS } from '../../functions/prewarm/manifest';
import { allowStatements } from './iam-scan';
import { type Synthesized, synthesize } from './synth';

const CAPABILITIES = {
  failover: {
    functions: FAILOVER_FUNCTIONS,
    stateMachines: FAILOVER_STATE_MACHINES,
    failoverId: 'RegionalFailover',
    failbackId: 'RegionalFailback',
    detector: FAILOVER_DETECTOR_FUNCTION,
  },
  prewarm: { function: PREWARM_FUNCTIONS[0] as (typeof PREWARM_FUNCTIONS)[number] },
};

let synth: Synthesized;
let primary: Template;

beforeAll(() => {
  synth = synthesize(
    {
      'shadowscale:primaryRegion': 'us-east-1',
      'shadowscale:standbyRegion': 'us-west-2',
      'shadowscale:managed': { hostedZoneIds: ['Z0123456789ABCDEFGHIJ'], ecsClusters: ['prod'] },
    },
    CAPABILITIES,
  );
  primary = synth.templates.primary;
}, 240_000);

afterAll(() => {
  if (synth) fs.rmSync(synth.outdir, { recursive: true, force: true });
});

describe('RegionFailover', () => {
  it('deploys both regional state machines in both regions, cdk-nag clean', () => {
    expect(synth.nagFindings).toEqual([]);
    primary.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    synth.templates.standby?.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });

  it('scopes Route 53 writes to the registered hosted zone and standby scaling to the standby region', () => {
    const statements = allowStatements(primary);
    const route53 = statements.filter((s) => s.actions.includes('route53:ChangeResourceRecordSets'));
    expect(route53.length).toBeGreaterThan(0);
    for (const s of route53)
      expect(JSON.stringify(s.resources)).toContain('hostedzone/Z0123456789ABCDEFGHIJ');
    // The failover tasks' scaling (pre-warm also scales its primary, in its own region).
    const scale = statements.filter(
      (s) => s.actions.includes('ecs:UpdateService') && s.holder.startsWith('RegionFailover'),
    );
    expect(scale.length).toBeGreaterThan(0);
    for (const s of scale) expect(JSON.stringify(s.resources)).toContain(':ecs:us-west-2:');
    expect(statements.some((s) => s.actions.includes('*'))).toBe(false);
  });

  it('alarms on failed executions of the regional state machines', () => {
    const alarms = Object.values(primary.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { MetricName?: string };
    }[];
    expect(
      alarms.filter((a) => a.Properties.MetricName === 'ExecutionsFailed').length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('wakes the detector every minute, on AWS Health issues and on regional alarm state changes, each with a DLQ', () => {
    primary.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: Match.arrayWith([Match.objectLike({ DeadLetterConfig: Match.anyValue() })]),
    });
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.health'],
        'detail-type': ['AWS Health Event'],
        detail: { eventTypeCategory: ['issue'] },
      },
      Targets: Match.arrayWith([Match.objectLike({ DeadLetterConfig: Match.anyValue() })]),
    });
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'shadowscale-region-' }] },
      },
    });
  });

  it('lets the detector start only the two regional state machines, and tells it their ARNs', () => {
    const starts = allowStatements(primary).filter((s) => s.actions.includes('states:StartExecution'));
    const detector = starts.filter((s) => s.sid === 'StatesStartRegional');
    expect(detector).toHaveLength(1);
    expect(detector[0]?.actions).toEqual(['states:StartExecution']);
    expect(detector[0]?.resources.map((r) => r.replace(/^.*stateMachine:/, ''))).toEqual([
      'shadowscale-regional-failover',
      'shadowscale-regional-failback',
    ]);
    primary.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FAILOVER_STATE_MACHINE_ARN: Match.anyValue(),
          FAILBACK_STATE_MACHINE_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('alarms while a home region is degraded and graphs the failover state', () => {
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'SELECT MAX(HomeRegionDegraded) FROM Shadowscale' }),
      ]),
    });
    const dashboard = JSON.stringify(primary.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain('Regional failover state');
  });

  it('grants pre-warm the standby leg: describe and scale the service in the standby region only', () => {
    primary.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('standby region'),
      Environment: { Variables: Match.objectLike({ SHADOWSCALE_STANDBY_REGION: 'us-west-2' }) },
    });
    const standby = allowStatements(primary).filter(
      (s) => s.holder.startsWith('PrewarmRole') && s.sid === 'StandbyEcsScale',
    );
    expect(standby).toHaveLength(1);
    expect(standby[0]?.resources.join(' ')).toContain(':ecs:us-west-2:');
    expect(standby[0]?.resources.join(' ')).toContain('service/prod/');
  });
});
