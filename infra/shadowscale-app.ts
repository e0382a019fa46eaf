import { type App, Tags } from 'aws-cdk-lib';
import type { ShadowscaleConfig } from './config';
import { type Capabilities, ControlPlaneStack } from './stacks/control-plane-stack';
import { DemoWorkloadStack } from './stacks/demo-workload-stack';
import { loadWorkloads } from './workloads';

export interface ShadowscaleStacks {
  readonly primary: ControlPlaneStack;
  readonly standby?: ControlPlaneStack;
  readonly demo?: DemoWorkloadStack;
}

/** Stack ids (what `cdk deploy <id>` takes); CloudFormation names are `shadowscale` / `shadowscale-demo`. */
export const STACK_IDS = {
  primary: 'ShadowscalePrimary',
  standby: 'ShadowscaleStandby',
  demo: 'ShadowscaleDemo',
} as const;

/**
 * Every stack of a configuration: the control plane in the primary region, the same in the
 * standby region when configured (after the primary, which creates the table replicas there),
 * and the demo workload in the primary region when switched on.
 */
export function buildShadowscale(
  app: App,
  config: ShadowscaleConfig,
  capabilities: Capabilities,
): ShadowscaleStacks {
  const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  Tags.of(app).add('shadowscale:app', 'shadowscale');
  const workloads = loadWorkloads(config.workloads);
  const primary = new ControlPlaneStack(app, STACK_IDS.primary, {
    env: { account, region: config.primaryRegion },
    stackName: 'shadowscale',
    description: 'Shadowscale control plane (primary region)',
    config,
    placement: 'primary',
    capabilities,
    workloads,
  });
  let standby: ControlPlaneStack | undefined;
  if (config.standbyRegion) {
    standby = new ControlPlaneStack(app, STACK_IDS.standby, {
      env: { account, region: config.standbyRegion },
      stackName: 'shadowscale',
      description: 'Shadowscale control plane (standby region, table replicas)',
      config,
      placement: 'standby',
      capabilities,
      workloads,
    });
    standby.addStackDependency(
      primary,
      'the table replicas in the standby region are created by the primary stack',
    );
  }
  let demo: DemoWorkloadStack | undefined;
  if (config.demo) {
    demo = new DemoWorkloadStack(app, STACK_IDS.demo, {
      env: { account, region: config.primaryRegion },
      stackName: 'shadowscale-demo',
      description:
        'Shadowscale demo workload: VPC, ALB with weighted primary/shadow target groups, ECS Fargate service',
      logRetention: config.logRetentionDays,
      ...(primary.pipelineBranch
        ? { pipelineBranchStateMachineName: primary.pipelineBranch.workflow.stateMachineName }
        : {}),
    });
  }
  return { primary, standby, demo };
}
