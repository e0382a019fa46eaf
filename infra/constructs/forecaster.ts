import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import { buildFunctions, buildWorkflows, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import { functionTarget, stateMachineTarget } from './rule-target';
import type { Workflow } from './workflow';

export interface ForecasterProps {
  readonly context: CapabilityContext;
  /** The forecaster's functions (functions/forecast/manifest.ts), without the signal ingest. */
  readonly functions: readonly FunctionSpec[];
  /** Its state machines (the forecast fan-out). @default [] */
  readonly stateMachines?: readonly StateMachineSpec[];
  /** EventBridge schedule expression, e.g. `rate(5 minutes)`. */
  readonly schedule: string;
  /**
   * What the schedule starts: a state machine id or a function id.
   * @default the only state machine
   */
  readonly scheduleTarget?: string;
  /**
   * The standby region deploys the schedule disabled (one forecaster writes the global tables at
   * a time); the failover seam enables it. @default true
   */
  readonly scheduleEnabled?: boolean;
  /** The function of the dashboard's forecast widget (one of `functions`). @default no widget */
  readonly widgetId?: string;
}

/**
 * The forecaster: its functions, the fan-out state machine, and the schedule that starts it
 * (a rule on the default bus, where schedules live, with retries and a DLQ). Errors of every
 * forecaster function raise an alarm.
 */
export class Forecaster extends Construct {
  public readonly functions: ReadonlyMap<string, ProjectFunction>;
  public readonly workflows: ReadonlyMap<string, Workflow>;
  public readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: ForecasterProps) {
    super(scope, id);
    const { context } = props;
    const stateMachines = props.stateMachines ?? [];
    const targetId = props.scheduleTarget ?? (stateMachines.length === 1 ? stateMachines[0]?.id : undefined);
    if (targetId === undefined)
      throw new ValidationError(
        `Forecaster: scheduleTarget is required with ${stateMachines.length} state machines (ids: ${stateMachines.map((s) => s.id).join(', ') || 'none'})`,
      );
    const targetIsFunction = props.functions.some((f) => f.id === targetId);
    this.functions = buildFunctions(this, props.functions, context, {
      asyncIds: targetIsFunction ? [targetId] : [],
      alarmOnErrors: true,
    });
    this.workflows = buildWorkflows(this, stateMachines, this.functions, context);
    context.monitoring.watchForecasterMetrics();
    if (props.widgetId !== undefined)
      context.monitoring.addWorkloadForecast(
        pick(this.functions, props.widgetId, 'Forecaster: widgetId').function,
      );

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Shadowscale: run the forecaster (${props.schedule})`,
      schedule: events.Schedule.expression(props.schedule),
      enabled: props.scheduleEnabled ?? true,
    });
    const options = {
      id: 'ForecastSchedule',
      purpose: 'scheduled forecaster runs EventBridge could not start',
      monitoring: context.monitoring,
      // A forecast run older than an hour is superseded by the next one.
      retryAttempts: 2,
    };
    const workflow = this.workflows.get(targetId);
    const fn = this.functions.get(targetId);
    if (workflow) this.schedule.addTarget(stateMachineTarget(this, workflow.stateMachine, options));
    else if (fn) this.schedule.addTarget(functionTarget(this, fn.function, options));
    else
      throw new ValidationError(
        `Forecaster: scheduleTarget ${JSON.stringify(targetId)} is neither a state machine nor a function here`,
      );
  }
}
