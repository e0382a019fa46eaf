import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { buildFunctions, buildWorkflows, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import { functionTarget } from './rule-target';
import type { Workflow } from './workflow';

export interface RegionFailoverProps {
  readonly context: CapabilityContext;
  /** Task functions (functions/failover/manifest.ts). */
  readonly functions: readonly FunctionSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
  readonly failoverId: string;
  readonly failbackId: string;
  /** The regional detector (functions/failover/manifest.ts); without it runs start by hand only. @default none */
  readonly detector?: FunctionSpec;
  /** CloudWatch alarms whose state changes wake the detector at once: names starting with this. @default 'shadowscale-region-' */
  readonly alarmNamePrefix?: string;
}

/**
 * Regional failover in one region: the task functions (Route 53 grants scoped to the registered
 * hosted zones, standby scaling to the standby region), the regional-failover /
 * regional-failback state machines, and the detector that starts them (every minute, on AWS
 * Health issues and on alarm state changes), watched by monitoring (failed/timed-out alarms,
 * the detector's errors, a home-region-degraded alarm and a failover-state widget). Both regions
 * deploy it; a run can also be started by hand.
 */
export class RegionFailover extends Construct {
  public readonly functions: ReadonlyMap<string, ProjectFunction>;
  public readonly workflows: ReadonlyMap<string, Workflow>;
  public readonly failover: Workflow;
  public readonly failback: Workflow;
  public readonly detector?: ProjectFunction;
  public readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: RegionFailoverProps) {
    super(scope, id);
    this.functions = buildFunctions(this, props.functions, props.context);
    this.workflows = buildWorkflows(this, props.stateMachines, this.functions, props.context);
    this.failover = pick(this.workflows, props.failoverId, 'state machine');
    this.failback = pick(this.workflows, props.failbackId, 'state machine');
    if (props.detector) this.detector = this.buildDetector(props.detector, props);
  }

  private buildDetector(spec: FunctionSpec, props: RegionFailoverProps): ProjectFunction {
    const built = buildFunctions(this, [spec], props.context, { asyncIds: [spec.id], alarmOnErrors: true });
    const detector = pick(built, spec.id, 'function');
    detector.function.addEnvironment(
      'FAILOVER_STATE_MACHINE_ARN',
      this.failover.stateMachine.stateMachineArn,
    );
    detector.function.addEnvironment(
      'FAILBACK_STATE_MACHINE_ARN',
      this.failback.stateMachine.stateMachineArn,
    );
    const monitoring = props.context.monitoring;
    const target = (id: string, purpose: string) =>
      // An observation is superseded by the next minute's: never act on a stale one.
      functionTarget(this, detector.function, { id, purpose, monitoring, maxEventAge: Duration.minutes(2) });
    const schedule = new events.Rule(this, 'DetectorSchedule', {
      description: 'Shadowscale: observe regional health every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
    });
    schedule.addTarget(target('DetectorScheduleDelivery', 'scheduled regional health observations'));
    // AWS Health and CloudWatch publish to the account's default bus.
    const health = new events.Rule(this, 'AwsHealthIssues', {
      description: 'Shadowscale: AWS Health issues wake the regional detector',
      eventPattern: {
        source: ['aws.health'],
        detailType: ['AWS Health Event'],
        detail: { eventTypeCategory: ['issue'] },
      },
    });
    health.addTarget(target('AwsHealthDelivery', 'AWS Health issue events for the regional detector'));
    const alarms = new events.Rule(this, 'AlarmStateChanges', {
      description: 'Shadowscale: regional alarms changing state wake the regional detector',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: props.alarmNamePrefix ?? 'shadowscale-region-' }] },
      },
    });
    alarms.addTarget(target('AlarmStateDelivery', 'alarm state changes for the regional detector'));
    this.rules.push(schedule, health, alarms);
    monitoring.watchRegionalDetector();
    return detector;
  }
}
