import { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { buildFunctions, buildWorkflows, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import type { Workflow } from './workflow';

export interface RegionFailoverProps {
  readonly context: CapabilityContext;
  /** Task functions (functions/failover/manifest.ts). */
  readonly functions: readonly FunctionSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
  readonly failoverId: string;
  readonly failbackId: string;
}

/**
 * Regional failover in one region: the task functions (Route 53 grants scoped to the registered
 * hosted zones, standby scaling to the standby region) and the regional-failover /
 * regional-failback state machines, watched by monitoring (failed/timed-out alarms, dashboard
 * widgets). Started by hand or by the operator's own rule; both regions deploy it.
 */
export class RegionFailover extends Construct {
  public readonly functions: ReadonlyMap<string, ProjectFunction>;
  public readonly workflows: ReadonlyMap<string, Workflow>;
  public readonly failover: Workflow;
  public readonly failback: Workflow;

  constructor(scope: Construct, id: string, props: RegionFailoverProps) {
    super(scope, id);
    this.functions = buildFunctions(this, props.functions, props.context);
    this.workflows = buildWorkflows(this, props.stateMachines, this.functions, props.context);
    this.failover = pick(this.workflows, props.failoverId, 'state machine');
    this.failback = pick(this.workflows, props.failbackId, 'state machine');
  }
}
