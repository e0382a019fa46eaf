import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { AlbTrafficRouter, weightsFromActions } from '../../../shared/aws/alb-router';
import { awsFailure } from '../../../shared/aws/common';
import {
  ConfigError,
  NoHealthyTargetsError,
  TransientError,
  WeightMismatchError,
} from '../../../shared/errors';
import { setAndVerify } from '../../../shared/migration/traffic';
import { weightsForStep } from '../../../shared/migration/weights';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const elb = mockClient(ElasticLoadBalancingV2Client);
const workload = Workload.parse(workloadInput());
const { listenerArn, primaryTargetGroupArn: PRIMARY, shadowTargetGroupArn: SHADOW } = workload.traffic;
const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const OTHER_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/0000000000000000';

const simpleForward: Action[] = [{ Type: 'forward', TargetGroupArn: PRIMARY }];

/** A listener whose state changes on ModifyListener, like the real one. */
function statefulListener(initial: Action[], lag = false): void {
  let current = initial;
  elb.on(DescribeListenersCommand).callsFake(async () => ({
    Listeners: [{ ListenerArn: listenerArn, DefaultActions: current }],
  }));
  elb.on(ModifyListenerCommand).callsFake(async (input: { DefaultActions: Action[] }) => {
    if (!lag) current = input.DefaultActions;
    return { Listeners: [] };
  });
}

function healthy(primary: number, shadow: number): void {
  const descriptions = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      Target: { Id: `10.0.0.${i}` },
      TargetHealth: { State: 'healthy' as const },
    }));
  elb.on(DescribeTargetHealthCommand, { TargetGroupArn: PRIMARY }).resolves({
    TargetHealthDescriptions: [
      ...descriptions(primary),
      { Target: { Id: 'x' }, TargetHealth: { State: 'draining' } },
    ],
  });
  elb
    .on(DescribeTargetHealthCommand, { TargetGroupArn: SHADOW })
    .resolves({ TargetHealthDescriptions: descriptions(shadow) });
}

beforeEach(() => elb.reset());

describe('weightsFromActions', () => {
  it.each<[string, Action[], { primary: number; shadow: number }]>([
    ['a plain forward to the primary', simpleForward, { primary: 100, shadow: 0 }],
    [
      'weighted forward',
      [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: PRIMARY, Weight: 75 },
              { TargetGroupArn: SHADOW, Weight: 25 },
            ],
          },
        },
      ],
      { primary: 75, shadow: 25 },
    ],
    [
      'weights on another scale become percents',
      [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: PRIMARY, Weight: 1 },
              { TargetGroupArn: SHADOW, Weight: 3 },
            ],
          },
        },
      ],
      { primary: 25, shadow: 75 },
    ],
    [
      'a zero-weight third group is ignored',
      [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: PRIMARY, Weight: 10 },
              { TargetGroupArn: SHADOW, Weight: 90 },
              { TargetGroupArn: OTHER_TG, Weight: 0 },
            ],
          },
        },
      ],
      { primary: 10, shadow: 90 },
    ],
  ])('%s', (_name, actions, expected) => {
    expect(weightsFromActions(actions, workload)).toEqual(expected);
  });

  it.each<[string, Action[]]>([
    ['no forward action', [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }]],
    ['weight on a foreign target group', [{ Type: 'forward', TargetGroupArn: OTHER_TG }]],
  ])('rejects %s', (_name, actions) => {
    expect(() => weightsFromActions(actions, workload)).toThrow(ConfigError);
  });
});

describe('AlbTrafficRouter on a listener', () => {
  it('moves through 10/25/50/100 with exactly these ModifyListener weights, each read back', async () => {
    statefulListener(simpleForward);
    healthy(4, 3);
    const router = new AlbTrafficRouter(new ElasticLoadBalancingV2Client({}));
    for (const step of [10, 25, 50, 100])
      await setAndVerify(router, workload, weightsForStep(step, 'to-shadow'));
    const writes = elb
      .commandCalls(ModifyListenerCommand)
      .map((c) =>
        c.args[0].input.DefaultActions?.[0]?.ForwardConfig?.TargetGroups?.map((g) => [
          g.TargetGroupArn,
          g.Weight,
        ]),
      );
    expect(writes).toEqual([
      [
        [PRIMARY, 90],
        [SHADOW, 10],
      ],
      [
        [PRIMARY, 75],
        [SHADOW, 25],
      ],
      [
        [PRIMARY, 50],
        [SHADOW, 50],
      ],
      [
        [PRIMARY, 0],
        [SHADOW, 100],
      ],
    ]);
    expect(
      elb.commandCalls(ModifyListenerCommand).every((c) => c.args[0].input.ListenerArn === listenerArn),
    ).toBe(true);
    // One read to build the write and one read-back per step.
    expect(elb.commandCalls(DescribeListenersCommand)).toHaveLength(8);
    await expect(router.getWeights(workload)).resolves.toEqual({ primary: 0, shadow: 100 });
  });

  it('throws WeightMismatchError when the listener does not read back what was written', async () => {
    statefulListener(simpleForward, true);
    healthy(4, 3);
    const router = new AlbTrafficRouter(new ElasticLoadBalancingV2Client({}));
    await expect(setAndVerify(router, workload, { primary: 90, shadow: 10 })).rejects.toThrow(
      WeightMismatchError,
    );
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(1);
  });

  it('never writes weight onto a target group with no healthy target', async () => {
    statefulListener(simpleForward);
    healthy(4, 0);
    const router = new AlbTrafficRouter(new ElasticLoadBalancingV2Client({}));
    await expect(setAndVerify(router, workload, { primary: 90, shadow: 10 })).rejects.toThrow(
      NoHealthyTargetsError,
    );
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('keeps other actions, the order and stickiness of the forward action', async () => {
    const auth: Action = {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: {
        UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/x',
        UserPoolClientId: 'c',
        UserPoolDomain: 'd',
      },
    };
    statefulListener([
      auth,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: PRIMARY, Weight: 100 }],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
        },
      },
    ]);
    const router = new AlbTrafficRouter(new ElasticLoadBalancingV2Client({}));
    await router.setWeights(workload, { primary: 75, shadow: 25 });
    expect(elb.commandCalls(ModifyListenerCommand)[0]?.args[0].input.DefaultActions).toEqual([
      auth,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: PRIMARY, Weight: 75 },
            { TargetGroupArn: SHADOW, Weight: 25 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
        },
      },
    ]);
  });

  it('counts only healthy targets', async () => {
    healthy(2, 1);
    const router = new AlbTrafficRouter(new ElasticLoadBalancingV2Client({}));
    await expect(router.healthyTargets(workload, 'primary')).resolves.toBe(2);
    await expect(router.healthyTargets(workload, 'shadow')).resolves.toBe(1);
  });

  it('turns throttling into TransientError', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    elb.on(DescribeListenersCommand).rejects(throttled);
    const router = new AlbTrafficRouter(new ElasticLoadBalancingV2Client({}));
    await expect(router.getWeights(workload)).rejects.toThrow(TransientError);
  });
});

describe('AlbTrafficRouter on a rule', () => {
  const ruleWorkload = Workload.parse({
    ...workloadInput(),
    traffic: { ...workloadInput().traffic, ruleArn: RULE },
  });

  it('writes with ModifyRule and reads back with DescribeRules', async () => {
    let actions: Action[] = simpleForward;
    elb.on(DescribeRulesCommand).callsFake(async () => ({ Rules: [{ RuleArn: RULE, Actions: actions }] }));
    elb.on(ModifyRuleCommand).callsFake(async (input: { Actions: Action[] }) => {
      actions = input.Actions;
      return {};
    });
    healthy(3, 3);
    const router = new AlbTrafficRouter(new ElasticLoadBalancingV2Client({}));
    await expect(setAndVerify(router, ruleWorkload, { primary: 50, shadow: 50 })).resolves.toEqual({
      primary: 50,
      shadow: 50,
    });
    expect(elb.commandCalls(ModifyRuleCommand)[0]?.args[0].input.RuleArn).toBe(RULE);
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });
});

describe('awsFailure', () => {
  it.each<[string, Error, boolean]>([
    ['throttling', Object.assign(new Error('x'), { name: 'ThrottlingException' }), true],
    [
      '5xx',
      Object.assign(new Error('x'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }),
      true,
    ],
    ['429', Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 429 } }), true],
    [
      'access denied',
      Object.assign(new Error('x'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
      false,
    ],
  ])('%s transient=%p', (_name, error, transient) => {
    const mapped = awsFailure(error, 'Call');
    expect(mapped instanceof TransientError).toBe(transient);
    if (!transient) expect(mapped).toBe(error);
  });
});
