import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeNodegroupCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import {
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsPreflightReader } from '../../../shared/aws/preflight-reader';
import {
  arnMatches,
  type ManagedScope,
  preflightFindings,
  type WorkloadFacts,
} from '../../../shared/preflight';
import { Workload } from '../../../shared/schemas/workload';
import { runCli } from '../../helpers/cli';
import { fixturePath, workloadInput } from '../../helpers/fixtures';

const BY_TAG: ManagedScope = {
  listenerArns: [],
  ecsClusters: [],
  eksClusters: [],
  passRoleArns: [],
  launchTemplateIds: [],
};
const TAGGED = { 'shadowscale:managed': 'true' };
const ecsWorkload = Workload.parse(workloadInput());
const LISTENER = ecsWorkload.traffic.listenerArn;
const RULE = `${LISTENER.replace(':listener/', ':listener-rule/')}/9683b2d02a6cabee`;
const SERVICE = 'arn:aws:ecs:us-east-1:123456789012:service/prod/checkout-api';
const TASK_ROLE = 'arn:aws:iam::123456789012:role/checkout-task';
const EXEC_ROLE = 'arn:aws:iam::123456789012:role/checkout-exec';
const NODE_ROLE = 'arn:aws:iam::123456789012:role/k8s-nodes';
const withRule = Workload.parse({
  ...workloadInput(),
  traffic: { ...workloadInput().traffic, ruleArn: RULE },
});
const eksWorkload = Workload.parse({
  ...workloadInput(),
  compute: { kind: 'eks', cluster: 'k8s', nodegroup: 'web' },
});

const ecsFacts = (over: Partial<WorkloadFacts> = {}): WorkloadFacts => ({
  listener: { arn: LISTENER, tags: TAGGED },
  compute: {
    kind: 'ecs',
    service: { arn: SERVICE, tags: TAGGED },
    taskRoleArn: TASK_ROLE,
    executionRoleArn: EXEC_ROLE,
  },
  ...over,
});
const eksFacts = (launchTemplateId?: string, tags: Record<string, string> = TAGGED): WorkloadFacts => ({
  listener: { arn: LISTENER, tags: TAGGED },
  compute: {
    kind: 'eks',
    nodegroup: { arn: 'arn:aws:eks:us-east-1:123456789012:nodegroup/k8s/web/1', tags },
    nodeRoleArn: NODE_ROLE,
    ...(launchTemplateId ? { launchTemplateId } : {}),
  },
});
const problems = (w: Workload, f: WorkloadFacts, s: ManagedScope) =>
  preflightFindings(w, f, s).map(
    (x) => `${x.severity} ${x.resource}: ${x.message.split(' ').slice(0, 6).join(' ')}`,
  );

describe('preflightFindings', () => {
  it.each<[string, Workload, WorkloadFacts, ManagedScope, string[]]>([
    ['all tagged, by tag', ecsWorkload, ecsFacts(), BY_TAG, []],
    [
      'an untagged listener, by tag',
      ecsWorkload,
      ecsFacts({ listener: { arn: LISTENER, tags: {} } }),
      BY_TAG,
      [
        `problem ${LISTENER}: listener is not tagged shadowscale:managed=true (elasticloadbalancing:ModifyListener`,
      ],
    ],
    [
      'a rule that does not inherit the tagged listener',
      withRule,
      ecsFacts({ rule: { arn: RULE, tags: {} } }),
      BY_TAG,
      [`problem ${RULE}: listener rule is not tagged shadowscale:managed=true`],
    ],
    [
      'a tagged rule under an untagged listener',
      withRule,
      ecsFacts({ listener: { arn: LISTENER, tags: {} }, rule: { arn: RULE, tags: TAGGED } }),
      BY_TAG,
      [],
    ],
    [
      'a rule that does not exist',
      withRule,
      ecsFacts({ rule: { arn: RULE, tags: undefined } }),
      BY_TAG,
      [`problem ${RULE}: listener rule not found (or not`],
    ],
    [
      'an untagged primary service, by tag',
      ecsWorkload,
      ecsFacts({ compute: { kind: 'ecs', service: { arn: SERVICE, tags: {} } } }),
      BY_TAG,
      [`problem ${SERVICE}: ECS service is not tagged shadowscale:managed=true`],
    ],
    [
      'registered listener and cluster, untagged resources',
      ecsWorkload,
      ecsFacts({
        listener: { arn: LISTENER, tags: {} },
        compute: { kind: 'ecs', service: { arn: SERVICE, tags: {} } },
      }),
      {
        ...BY_TAG,
        listenerArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/prod-alb/*'],
        ecsClusters: ['prod'],
      },
      [],
    ],
    [
      'a listener and cluster outside the registered ones',
      ecsWorkload,
      ecsFacts(),
      {
        ...BY_TAG,
        listenerArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/other/*'],
        ecsClusters: ['staging'],
      },
      [
        `problem ${LISTENER}: listener is not among shadowscale:managed.listenerArns, so`,
        `problem ${SERVICE}: cluster prod is not among shadowscale:managed.ecsClusters`,
      ],
    ],
    [
      'the execution role missing from passRoleArns',
      ecsWorkload,
      ecsFacts(),
      { ...BY_TAG, passRoleArns: [TASK_ROLE] },
      [`problem ${EXEC_ROLE}: task execution role is not among`],
    ],
    [
      'both task roles registered (by pattern)',
      ecsWorkload,
      ecsFacts(),
      { ...BY_TAG, passRoleArns: ['arn:aws:iam::123456789012:role/checkout-*'] },
      [],
    ],
    [
      'the node role missing from passRoleArns',
      eksWorkload,
      eksFacts(),
      { ...BY_TAG, passRoleArns: [TASK_ROLE] },
      [`problem ${NODE_ROLE}: node role is not among shadowscale:managed.passRoleArns,`],
    ],
    [
      'an untagged nodegroup with a launch template, by tag',
      eksWorkload,
      eksFacts('lt-0123456789abcdef0', {}),
      BY_TAG,
      [
        'problem arn:aws:eks:us-east-1:123456789012:nodegroup/k8s/web/1: EKS nodegroup is not tagged shadowscale:managed=true',
        'unverified lt-0123456789abcdef0: launch template must be tagged shadowscale:managed=true',
      ],
    ],
    [
      'a launch template that is not registered',
      eksWorkload,
      eksFacts('lt-0123456789abcdef0'),
      { ...BY_TAG, launchTemplateIds: ['lt-00000000000000000'] },
      ['problem lt-0123456789abcdef0: launch template is not among shadowscale:managed.launchTemplateIds,'],
    ],
  ])('%s', (_name, workload, facts, scope, expected) => {
    expect(problems(workload, facts, scope)).toEqual(expected);
  });

  it.each([
    ['arn:aws:iam::1:role/a-*', 'arn:aws:iam::1:role/a-b', true],
    ['arn:aws:iam::1:role/a-*', 'arn:aws:iam::1:role/b', false],
    ['prod', 'prod', true],
    ['prod', 'prod2', false],
    ['arn:aws:iam::1:role/a.b', 'arn:aws:iam::1:role/aXb', false],
  ])('arnMatches(%s, %s) = %s', (pattern, arn, expected) => {
    expect(arnMatches(pattern, arn)).toBe(expected);
  });
});

const elb = mockClient(ElasticLoadBalancingV2Client);
const ecs = mockClient(ECSClient);
const eks = mockClient(EKSClient);
beforeEach(() => {
  elb.reset();
  ecs.reset();
  eks.reset();
});

function reader() {
  return new AwsPreflightReader({
    elb: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    ecs: new ECSClient({ region: 'us-east-1' }),
    eks: new EKSClient({ region: 'us-east-1' }),
  });
}

describe('AwsPreflightReader', () => {
  it('reads listener and rule tags, the service tags and its task definition roles', async () => {
    elb
      .on(DescribeTagsCommand, { ResourceArns: [LISTENER] })
      .resolves({
        TagDescriptions: [{ ResourceArn: LISTENER, Tags: [{ Key: 'shadowscale:managed', Value: 'true' }] }],
      })
      .on(DescribeTagsCommand, { ResourceArns: [RULE] })
      .resolves({ TagDescriptions: [{ ResourceArn: RULE, Tags: [] }] });
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [{ serviceArn: SERVICE, status: 'ACTIVE', taskDefinition: 'td:1', tags: [] }] })
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'td:1' })
      .resolves({ taskDefinition: { taskRoleArn: TASK_ROLE, executionRoleArn: EXEC_ROLE } });

    const facts = await reader().read(withRule);

    expect(facts).toEqual({
      listener: { arn: LISTENER, tags: TAGGED },
      rule: { arn: RULE, tags: {} },
      compute: {
        kind: 'ecs',
        service: { arn: SERVICE, tags: {} },
        taskRoleArn: TASK_ROLE,
        executionRoleArn: EXEC_ROLE,
      },
    });
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toMatchObject({ include: ['TAGS'] });
  });

  it('reports a missing rule and nodegroup as not found instead of failing', async () => {
    elb
      .on(DescribeTagsCommand, { ResourceArns: [LISTENER] })
      .resolves({ TagDescriptions: [{ ResourceArn: LISTENER, Tags: [] }] })
      .on(DescribeTagsCommand, { ResourceArns: [RULE] })
      .rejects(new RuleNotFoundException({ message: 'no rule', $metadata: {} }));
    eks
      .on(DescribeNodegroupCommand)
      .rejects(new ResourceNotFoundException({ message: 'no ng', $metadata: {} }));
    const workload = Workload.parse({
      ...workloadInput(),
      traffic: withRule.traffic,
      compute: eksWorkload.compute,
    });

    const facts = await reader().read(workload);

    expect(facts.rule).toEqual({ arn: RULE, tags: undefined });
    expect(facts.compute).toEqual({
      kind: 'eks',
      nodegroup: { arn: 'EKS nodegroup k8s/web', tags: undefined },
    });
  });

  it('reads the node role and launch template of a nodegroup', async () => {
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: LISTENER, Tags: [] }] });
    eks.on(DescribeNodegroupCommand, { clusterName: 'k8s', nodegroupName: 'web' }).resolves({
      nodegroup: {
        nodegroupArn: 'ng-arn',
        tags: TAGGED,
        nodeRole: NODE_ROLE,
        launchTemplate: { id: 'lt-0123456789abcdef0' },
      },
    });

    const facts = await reader().read(eksWorkload);

    expect(facts.compute).toEqual({
      kind: 'eks',
      nodegroup: { arn: 'ng-arn', tags: TAGGED },
      nodeRoleArn: NODE_ROLE,
      launchTemplateId: 'lt-0123456789abcdef0',
    });
  });
});

describe('shadowscale validate --check-aws', () => {
  const file = fixturePath('workloads', 'checkout-api.json');

  it('exits 1 with one line per missing tag or role', async () => {
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: LISTENER, Tags: [] }] });
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [{ serviceArn: SERVICE, status: 'ACTIVE', taskDefinition: 'td:1', tags: [] }] })
      .on(DescribeTaskDefinitionCommand)
      .resolves({ taskDefinition: { taskRoleArn: TASK_ROLE } });

    const { code, out, err } = await runCli(
      'validate',
      file,
      '--check-aws',
      '--managed',
      fixturePath('preflight', 'by-tag.json'),
    );

    expect(code).toBe(1);
    expect(out.split('\n').filter((l) => l.startsWith('missing: '))).toEqual([
      `missing: ${LISTENER}: listener is not tagged shadowscale:managed=true (elasticloadbalancing:ModifyListener is limited to tagged listeners)`,
      `missing: ${SERVICE}: ECS service is not tagged shadowscale:managed=true (pre-warm and rollback scale it: ecs:UpdateService is limited to tagged services)`,
    ]);
    expect(err.trim()).toBe('shadowscale: checkout-api: 2 missing precondition(s) for a migration');
  });

  it('exits 0 when every precondition holds', async () => {
    elb.on(DescribeTagsCommand).resolves({
      TagDescriptions: [{ ResourceArn: LISTENER, Tags: [{ Key: 'shadowscale:managed', Value: 'true' }] }],
    });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        { serviceArn: SERVICE, status: 'ACTIVE', tags: [{ key: 'shadowscale:managed', value: 'true' }] },
      ],
    });

    const { code, out } = await runCli(
      'validate',
      file,
      '--check-aws',
      '--managed',
      fixturePath('preflight', 'by-tag.json'),
    );

    expect(code).toBe(0);
    expect(out).toContain('checkout-api: AWS preconditions met (everything by tag)');
  });

  it('exits 2 on a bad --managed file, naming the field', async () => {
    const { code, err } = await runCli(
      'validate',
      file,
      '--check-aws',
      '--managed',
      fixturePath('preflight', 'bad.json'),
    );
    expect(code).toBe(2);
    expect(err).toContain('launchTemplateIds');
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});
