import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import { ruleEventPattern } from '../../shared/lifecycle/match';
import type { EventPattern, LifecycleRule } from '../../shared/schemas/lifecycle';
import type { Workload } from '../../shared/schemas/workload';
import { buildFunctions, buildWorkflows, type CapabilityContext, pick } from './capability';
import { DeadLetterQueue } from './dead-letter-queue';
import type { LifecycleTargets } from './permissions';
import type { ProjectFunction } from './project-function';
import type { Workflow } from './workflow';

export interface LifecycleProps {
  readonly context: CapabilityContext;
  /** Task functions (functions/lifecycle/manifest.ts). */
  readonly functions: readonly FunctionSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
  /** Id of the `lifecycle` state machine. */
  readonly lifecycleId: string;
  /** The registered workload definitions: one EventBridge rule per lifecycle rule. @default none */
  readonly workloads?: readonly Workload[];
  /**
   * Whether schedule rules fire here. The standby region deploys them disabled (as its forecast
   * schedule), so a schedule runs its actions once. @default true
   */
  readonly schedulesEnabled?: boolean;
}

/**
 * Lifecycle rules: the task functions, the `lifecycle` state machine, and one EventBridge rule per
 * (workload, lifecycle rule) synthesised from the definitions: Shadowscale events of that
 * workload on the Shadowscale bus, a schedule, or the rule's own pattern. Each hands the state
 * machine `{workloadId, rule, event}` (the whole event, its id included, which the run is
 * idempotent on), with retries and one dead-letter queue for all of them.
 */
export class Lifecycle extends Construct {
  public readonly functions: ReadonlyMap<string, ProjectFunction>;
  public readonly workflow: Workflow;
  public readonly rules: events.Rule[] = [];
  public readonly deadLetterQueue: DeadLetterQueue;
  private readonly schedulesEnabled: boolean;

  constructor(scope: Construct, id: string, props: LifecycleProps) {
    super(scope, id);
    const { context } = props;
    this.schedulesEnabled = props.schedulesEnabled ?? true;
    this.functions = buildFunctions(this, props.functions, context);
    const workflows = buildWorkflows(this, props.stateMachines, this.functions, context);
    this.workflow = pick(workflows, props.lifecycleId, 'state machine');
    this.deadLetterQueue = new DeadLetterQueue(this, 'StartDlq', {
      purpose: 'events of lifecycle rules that could not start the lifecycle state machine',
    });
    context.monitoring.watchQueue('LifecycleStart', this.deadLetterQueue);
    for (const workload of props.workloads ?? [])
      for (const rule of workload.lifecycle ?? [])
        this.rules.push(this.ruleFor(workload, rule, context.eventBus));
  }

  private ruleFor(workload: Workload, rule: LifecycleRule, bus: events.IEventBus): events.Rule {
    const id = `${pascal(workload.workloadId)}${pascal(rule.name)}`;
    const description = `Shadowscale lifecycle: ${workload.workloadId} / ${rule.name}`.slice(0, 512);
    const eventRule = rule.when.schedule
      ? new events.Rule(this, `${id}Rule`, {
          description,
          schedule: events.Schedule.expression(rule.when.schedule),
          enabled: this.schedulesEnabled,
        })
      : new events.Rule(this, `${id}Rule`, {
          description,
          // No bus is the account's default bus, where AWS service events arrive.
          ...(rule.when.pattern && rule.when.bus === 'default' ? {} : { eventBus: bus }),
          eventPattern: cdkPattern(ruleEventPattern(rule.when, workload.workloadId), workload, rule),
        });
    eventRule.addTarget(
      new targets.SfnStateMachine(this.workflow.stateMachine, {
        deadLetterQueue: this.deadLetterQueue.queue,
        retryAttempts: 4,
        maxEventAge: Duration.hours(1),
        input: new LifecycleInput(workload.workloadId, rule.name),
      }),
    );
    return eventRule;
  }
}

/** `{"workloadId": ..., "rule": ..., "event": <the whole event>}`, the state machine's input. */
export class LifecycleInput extends events.RuleTargetInput {
  constructor(
    private readonly workloadId: string,
    private readonly rule: string,
  ) {
    super();
  }

  public bind(_rule: events.IRule): events.RuleTargetInputProperties {
    // `<aws.events.event.json>` is EventBridge's predefined variable for the whole event (detail
    // included), inserted as JSON.
    return {
      inputTemplate: `{"workloadId":${JSON.stringify(this.workloadId)},"rule":${JSON.stringify(this.rule)},"event":<aws.events.event.json>}`,
    };
  }
}

const ENVELOPE: Readonly<Record<string, keyof events.EventPattern>> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

/** The pattern in CDK's shape; a top-level key EventBridge events never carry is refused. */
export function cdkPattern(
  pattern: EventPattern | undefined,
  workload: Workload,
  rule: LifecycleRule,
): events.EventPattern {
  if (!pattern)
    throw new ValidationError(`lifecycle rule ${workload.workloadId}/${rule.name} has no event pattern`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    const name = ENVELOPE[key];
    if (!name)
      throw new ValidationError(
        `workload ${workload.workloadId}: lifecycle rule ${rule.name}: when.pattern.${key} is not a field of an EventBridge event (${Object.keys(ENVELOPE).join(', ')})`,
      );
    out[name] = value;
  }
  return out as events.EventPattern;
}

/** What the rules' actions name, for the grants (permissions.ts). */
export function lifecycleTargets(workloads: readonly Workload[]): LifecycleTargets {
  const topics = new Set<string>();
  const projects = new Set<string>();
  const machines = new Set<string>();
  for (const w of workloads)
    for (const rule of w.lifecycle ?? [])
      for (const action of rule.do) {
        if (action.type === 'notify') topics.add(action.topicArn);
        if (action.type === 'run-tests' && action.target.kind === 'codebuild')
          projects.add(action.target.projectName);
        if (action.type === 'run-tests' && action.target.kind === 'stepfunctions')
          machines.add(action.target.stateMachineArn);
      }
  return {
    topicArns: [...topics].sort(),
    codebuildProjects: [...projects].sort(),
    stateMachineArns: [...machines].sort(),
  };
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
