import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigError, NotFoundError } from '../errors';
import type { TrafficRouter } from '../ports/traffic';
import type { TrafficWeights } from '../schemas/operation';
import type { Workload } from '../schemas/workload';
import { awsFailure } from './common';

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw awsFailure(error, what);
  }
}

/** Percent weights from an ALB forward action (ALB weights are 0..999; we write percents). */
export function weightsFromActions(actions: readonly Action[], workload: Workload): TrafficWeights {
  const { primaryTargetGroupArn: primary, shadowTargetGroupArn: shadow } = workload.traffic;
  const forward = actions.find((a) => a.Type === 'forward');
  if (!forward) throw new ConfigError(`${where(workload)} has no forward action`);
  const groups = forward.ForwardConfig?.TargetGroups?.length
    ? forward.ForwardConfig.TargetGroups
    : [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }];
  let p = 0;
  let s = 0;
  for (const group of groups) {
    // A lone target group without a weight takes all traffic (ALB's default weight is 1).
    const weight = group.Weight ?? 1;
    if (group.TargetGroupArn === primary) p += weight;
    else if (group.TargetGroupArn === shadow) s += weight;
    else if (weight > 0) {
      throw new ConfigError(
        `${where(workload)} forwards weight ${weight} to ${group.TargetGroupArn}, which is neither the primary nor the shadow target group`,
      );
    }
  }
  if (p + s <= 0) throw new ConfigError(`${where(workload)} forwards no weight to its target groups`);
  const primaryPercent = Math.round((100 * p) / (p + s));
  return { primary: primaryPercent, shadow: 100 - primaryPercent };
}

/** The actions with the forward action replaced by weighted primary/shadow target groups; others kept. */
export function actionsWithWeights(
  actions: readonly Action[],
  workload: Workload,
  weights: TrafficWeights,
): Action[] {
  const { primaryTargetGroupArn, shadowTargetGroupArn } = workload.traffic;
  const index = actions.findIndex((a) => a.Type === 'forward');
  if (index < 0) throw new ConfigError(`${where(workload)} has no forward action`);
  const old = actions[index] as Action;
  const forward: Action = {
    Type: 'forward',
    ...(old.Order === undefined ? {} : { Order: old.Order }),
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: primaryTargetGroupArn, Weight: weights.primary },
        { TargetGroupArn: shadowTargetGroupArn, Weight: weights.shadow },
      ],
      ...(old.ForwardConfig?.TargetGroupStickinessConfig
        ? { TargetGroupStickinessConfig: old.ForwardConfig.TargetGroupStickinessConfig }
        : {}),
    },
  };
  return actions.map((a, i) => (i === index ? forward : a));
}

function where(workload: Workload): string {
  return workload.traffic.ruleArn
    ? `rule ${workload.traffic.ruleArn}`
    : `listener ${workload.traffic.listenerArn}`;
}

/**
 * `TrafficRouter` on an ALB: the weights live in the forward action of the listener's default
 * actions, or of one listener rule when `traffic.ruleArn` is set. A write (`ModifyListener` /
 * `ModifyRule`) is only trusted once `DescribeListeners` / `DescribeRules` reads it back, which
 * `setAndVerify` in shared/migration/traffic.ts does before anything else moves.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions
 */
export class AlbTrafficRouter implements TrafficRouter {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  private async actions(workload: Workload): Promise<Action[]> {
    const { ruleArn, listenerArn } = workload.traffic;
    if (ruleArn) {
      const out = await call('DescribeRules', () =>
        this.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })),
      );
      const rule = out.Rules?.find((r) => r.RuleArn === ruleArn);
      if (!rule) throw new NotFoundError(`listener rule ${ruleArn} not found`);
      return rule.Actions ?? [];
    }
    const out = await call('DescribeListeners', () =>
      this.client.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] })),
    );
    const listener = out.Listeners?.find((l) => l.ListenerArn === listenerArn);
    if (!listener) throw new NotFoundError(`listener ${listenerArn} not found`);
    return listener.DefaultActions ?? [];
  }

  async getWeights(workload: Workload): Promise<TrafficWeights> {
    return weightsFromActions(await this.actions(workload), workload);
  }

  async setWeights(workload: Workload, weights: TrafficWeights): Promise<void> {
    const actions = actionsWithWeights(await this.actions(workload), workload, weights);
    const { ruleArn, listenerArn } = workload.traffic;
    if (ruleArn) {
      await call('ModifyRule', () =>
        this.client.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: actions })),
      );
    } else {
      await call('ModifyListener', () =>
        this.client.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: actions })),
      );
    }
  }

  async healthyTargets(workload: Workload, role: 'primary' | 'shadow'): Promise<number> {
    const arn =
      role === 'primary' ? workload.traffic.primaryTargetGroupArn : workload.traffic.shadowTargetGroupArn;
    const out = await call('DescribeTargetHealth', () =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
    );
    return (out.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').length;
  }
}
