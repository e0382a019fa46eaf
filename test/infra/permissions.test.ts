import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Permission } from '../../functions/manifest';
import { ManagedResources } from '../../infra/config';
import { permissionStatements } from '../../infra/constructs/permissions';
import { ValidationError } from '../../shared/errors';

const ALL: Permission[] = [
  'cloudwatch:read',
  'cloudwatch:put-metrics',
  'events:put',
  'ecs:read',
  'ecs:scale',
  'ecs:create-shadow',
  'ecs:delete-shadow',
  'ecs:deploy',
  'ecs:manage-shadow',
  'eks:read',
  'eks:scale',
  'eks:create-shadow',
  'eks:delete-shadow',
  'eks:manage-shadow',
  'elb:shift-weights',
  'elb:read-weights',
  'elb:read-health',
  'elb:read',
  'ecs:set-floor',
  'lambda:invoke-smoke',
  'tests:start',
  'route53:read-weights',
  'route53:shift-weights',
  'standby:read',
  'standby:scale',
];

function render(
  permission: Permission,
  managed: { readonly [K in keyof ManagedResources]?: readonly string[] },
) {
  // Prepare: a stack with a concrete environment, so ARNs render as text.
  const stack = new Stack(new App(), 'P', { env: { account: '123456789012', region: 'eu-west-1' } });
  const eventBus = new events.EventBus(stack, 'Bus', { eventBusName: 'shadowscale' });
  const ctx = { managed: ManagedResources.parse(managed), eventBus, standbyRegion: 'eu-central-1' };
  return permissionStatements(stack, permission, ctx).map(({ statement, wildcardReason }) => ({
    json: stack.resolve(statement.toStatementJson()) as {
      Action: string | string[];
      Resource: unknown;
      Condition?: Record<string, Record<string, unknown>>;
      Sid?: string;
    },
    wildcardReason,
  }));
}

const actions = (a: string | string[]) => (Array.isArray(a) ? a : [a]);
const resources = (r: unknown): string[] => (Array.isArray(r) ? r : [r]).map((x) => JSON.stringify(x));
const WITH_ZONE = { hostedZoneIds: ['Z0123456789ABC'] };

describe('permissionStatements', () => {
  it.each(ALL.map((p) => [p]))('%s: no * action, and every wildcard resource says why', (permission) => {
    for (const { json, wildcardReason } of render(permission, WITH_ZONE)) {
      for (const action of actions(json.Action)) expect(action).not.toMatch(/(^|:)\*$/);
      if (resources(json.Resource).some((r) => r.includes('*'))) {
        expect({ sid: json.Sid, reason: wildcardReason }).toEqual({
          sid: json.Sid,
          reason: expect.stringMatching(/^.{20,}$/),
        });
      }
    }
  });

  it.each([
    ['ecs:scale', 'EcsUpdateService', 'aws:ResourceTag/shadowscale:managed'],
    ['ecs:create-shadow', 'EcsCreateShadowService', 'aws:RequestTag/shadowscale:managed'],
    ['ecs:delete-shadow', 'EcsDeleteShadowService', 'aws:ResourceTag/shadowscale:managed'],
    ['ecs:create-shadow', 'EcsRegisterShadowTaskDefinition', 'aws:RequestTag/shadowscale:managed'],
    ['eks:scale', 'EksScaleNodegroup', 'aws:ResourceTag/shadowscale:managed'],
    ['eks:create-shadow', 'EksCreateShadowNodegroup', 'aws:RequestTag/shadowscale:managed'],
    ['eks:create-shadow', 'Ec2UseLaunchTemplate', 'aws:ResourceTag/shadowscale:managed'],
    ['elb:shift-weights', 'ElbShiftListenerWeights', 'aws:ResourceTag/shadowscale:managed'],
    ['elb:shift-weights', 'ElbShiftRuleWeights', 'aws:ResourceTag/shadowscale:managed'],
    ['lambda:invoke-smoke', 'LambdaInvokeSmokeTest', 'aws:ResourceTag/shadowscale:managed'],
    ['tests:start', 'CodeBuildStartTests', 'aws:ResourceTag/shadowscale:managed'],
    ['tests:start', 'LambdaInvokeTests', 'aws:ResourceTag/shadowscale:managed'],
    ['ecs:deploy', 'EcsRegisterRevision', 'aws:RequestTag/shadowscale:managed'],
  ] as const)('with nothing registered, %s statement %s is limited by %s', (permission, sid, key) => {
    const found = render(permission, {}).find((s) => s.json.Sid === sid);
    expect(found?.json.Condition?.StringEquals?.[key]).toBe('true');
  });

  it.each([
    ['ecs:scale', 'EcsUpdateService', { ecsClusters: ['prod'] }, 'service/prod/*'],
    ['eks:scale', 'EksScaleNodegroup', { eksClusters: ['k8s'] }, 'nodegroup/k8s/*/*'],
    [
      'elb:shift-weights',
      'ElbShiftListenerWeights',
      { listenerArns: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/abc/def'] },
      'listener/app/web/abc/def',
    ],
    [
      'elb:shift-weights',
      'ElbShiftRuleWeights',
      { listenerArns: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/abc/def'] },
      'listener-rule/app/web/abc/def/*',
    ],
  ] as const)(
    'with resources registered, %s statement %s is limited by ARN',
    (permission, sid, managed, fragment) => {
      const found = render(permission, managed).find((s) => s.json.Sid === sid);
      expect(resources(found?.json.Resource).join(' ')).toContain(fragment);
      expect(resources(found?.json.Resource).join(' ')).not.toMatch(/(service|nodegroup)\/\*\//);
    },
  );

  it('passes only the registered roles, only to ECS tasks', () => {
    const roles = ['arn:aws:iam::123456789012:role/task'];
    const found = render('ecs:create-shadow', { passRoleArns: roles }).find(
      (s) => s.json.Sid === 'EcsPassTaskRoles',
    );
    expect(found?.json.Resource).toBe(roles[0]);
    expect(found?.json.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
  });

  it.each([
    [
      'registered',
      { passRoleArns: ['arn:aws:iam::123456789012:role/nodes'] },
      '"arn:aws:iam::123456789012:role/nodes"',
    ],
    ['none registered', {}, ':iam::123456789012:role/*'],
  ] as const)('passes the EKS node role (%s) only to EKS', (_, managed, resource) => {
    const found = render('eks:create-shadow', managed).find((s) => s.json.Sid === 'EksPassNodeRole');
    expect(actions(found?.json.Action ?? [])).toEqual(['iam:PassRole']);
    expect(resources(found?.json.Resource).join(' ')).toContain(resource);
    expect(found?.json.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } });
  });

  it('gives reads, scaling and deletion no create, register, tag or PassRole right', () => {
    for (const permission of [
      'standby:read',
      'standby:scale',
      'ecs:read',
      'ecs:scale',
      'ecs:delete-shadow',
      'eks:read',
      'eks:scale',
      'eks:delete-shadow',
    ] as const) {
      const granted = render(permission, {}).flatMap((s) => actions(s.json.Action));
      expect({
        permission,
        granted: granted.filter((a) => /Create|Register|Tag|PassRole|ec2:/.test(a)),
      }).toEqual({
        permission,
        granted: [],
      });
    }
  });

  it('registers only revisions of shadow task-definition families', () => {
    const found = render('ecs:create-shadow', {}).find(
      (s) => s.json.Sid === 'EcsRegisterShadowTaskDefinition',
    );
    expect(resources(found?.json.Resource)).toEqual([
      JSON.stringify({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':ecs:eu-west-1:123456789012:task-definition/*-shadow:*'],
        ],
      }),
    ]);
  });

  describe('EKS shadow from a launch template', () => {
    const ec2 = (managed: { launchTemplateIds?: string[] }) =>
      render('eks:create-shadow', managed).filter((s) =>
        actions(s.json.Action).some((a) => a.startsWith('ec2:')),
      );
    const lt = (id: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:ec2:eu-west-1:123456789012:launch-template/${id}`],
      ],
    });

    it('grants what EKS checks on the caller: read the version, launch and tag from the template', () => {
      const granted = ec2({}).flatMap((s) => actions(s.json.Action));
      expect([...new Set(granted)].sort()).toEqual([
        'ec2:CreateTags',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:RunInstances',
      ]);
      const tag = ec2({}).find((s) => s.json.Sid === 'Ec2TagOnLaunch');
      expect(tag?.json.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
    });

    it('launches only from the registered templates when some are registered', () => {
      const statements = ec2({ launchTemplateIds: ['lt-0123456789abcdef0'] });
      const use = statements.find((s) => s.json.Sid === 'Ec2UseLaunchTemplate');
      expect(use?.json.Resource).toEqual(lt('lt-0123456789abcdef0'));
      expect(use?.json.Condition).toBeUndefined();
      const launch = statements.find((s) => s.json.Sid === 'Ec2LaunchFromTemplate');
      expect(launch?.json.Condition).toEqual({
        ArnLike: { 'ec2:LaunchTemplate': [lt('lt-0123456789abcdef0')] },
      });
    });

    it('launches only from tagged templates when none is registered', () => {
      const launch = ec2({}).find((s) => s.json.Sid === 'Ec2LaunchFromTemplate');
      expect(launch?.json.Condition).toEqual({ ArnLike: { 'ec2:LaunchTemplate': [lt('*')] } });
    });
  });

  it('puts events on the Shadowscale bus only', () => {
    const [put] = render('events:put', {});
    expect(put?.json.Action).toBe('events:PutEvents');
    expect(JSON.stringify(put?.json.Resource)).toContain('BusEA82B648');
  });

  it.each(['route53:read-weights', 'route53:shift-weights'] as const)(
    'refuses %s without a registered hosted zone',
    (permission) => {
      expect(() => render(permission, {})).toThrow(ValidationError);
      expect(() => render(permission, {})).toThrow('shadowscale:managed.hostedZoneIds');
    },
  );

  it('reads region weights without any right to change them', () => {
    const granted = render('route53:read-weights', WITH_ZONE).flatMap((s) => actions(s.json.Action));
    expect(granted).toEqual(['route53:ListResourceRecordSets']);
  });

  it('reads the standby pool without any right to scale it', () => {
    const granted = render('standby:read', {}).flatMap((s) => actions(s.json.Action));
    expect(granted.sort()).toEqual(['ecs:DescribeServices', 'eks:DescribeNodegroup']);
    const json = JSON.stringify(render('standby:read', {}).map((s) => s.json.Resource));
    expect(json).toContain(':ecs:eu-central-1:');
    expect(json).not.toContain(':eu-west-1:');
  });

  it('rolls a service onto a new revision: register and tag only together, never update or create', () => {
    const statements = render('ecs:deploy', {});
    const granted = statements.flatMap((s) => actions(s.json.Action));
    expect([...new Set(granted)].sort()).toEqual([
      'ecs:DescribeTaskDefinition',
      'ecs:RegisterTaskDefinition',
      'ecs:TagResource',
      'iam:PassRole',
    ]);
    const tag = statements.find((s) => s.json.Sid === 'EcsTagOnRegister');
    expect(tag?.json.Condition).toEqual({
      StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
    });
  });
});
