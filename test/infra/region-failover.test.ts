import * as fs from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { FAILOVER_FUNCTIONS, FAILOVER_STATE_MACHINES } from '../../functions/failover/manifest';
import { allowStatements } from './iam-scan';
import { type Synthesized, synthesize } from './synth';

const CAPABILITIES = {
  failover: {
    functions: FAILOVER_FUNCTIONS,
    stateMachines: FAILOVER_STATE_MACHINES,
    failoverId: 'RegionalFailover',
    failbackId: 'RegionalFailback',
  },
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
    const scale = statements.filter((s) => s.actions.includes('ecs:UpdateService'));
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
});
