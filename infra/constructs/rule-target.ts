import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import type { Monitoring } from './monitoring';

/** An EventBridge `InputTransformer` as plain data (shared/migration/transformer.ts shape). */
export interface InputTransformerShape {
  readonly inputPathsMap: Readonly<Record<string, string>>;
  readonly inputTemplate: string;
}

/**
 * Hands EventBridge the transformer exactly as written (the shared module tests it with the
 * same semantics EventBridge applies), rather than re-deriving it with `EventField` tokens.
 */
export class RawInputTransformer extends events.RuleTargetInput {
  constructor(private readonly shape: InputTransformerShape) {
    super();
  }

  public bind(_rule: events.IRule): events.RuleTargetInputProperties {
    return { inputPathsMap: { ...this.shape.inputPathsMap }, inputTemplate: this.shape.inputTemplate };
  }
}

export interface TargetOptions {
  /** Names the DLQ in alarms. */
  readonly id: string;
  /** What is lost when delivery fails, for the DLQ's description. */
  readonly purpose: string;
  readonly monitoring: Monitoring;
  /** @default 4 */
  readonly retryAttempts?: number;
  /** @default 1 hour */
  readonly maxEventAge?: Duration;
  readonly input?: events.RuleTargetInput;
}

/**
 * Every EventBridge target gets retries and a dead-letter queue for events it could not
 * deliver (watched by monitoring): a lost `Contention Predicted` is a migration that never ran.
 */
function delivery(scope: Construct, options: TargetOptions) {
  const dlq = new DeadLetterQueue(scope, `${options.id}Dlq`, { purpose: options.purpose });
  options.monitoring.watchQueue(options.id, dlq);
  return {
    deadLetterQueue: dlq.queue,
    retryAttempts: options.retryAttempts ?? 4,
    maxEventAge: options.maxEventAge ?? Duration.hours(1),
    input: options.input,
  };
}

export function stateMachineTarget(
  scope: Construct,
  stateMachine: sfn.IStateMachine,
  options: TargetOptions,
): targets.SfnStateMachine {
  return new targets.SfnStateMachine(stateMachine, delivery(scope, options));
}

export function functionTarget(
  scope: Construct,
  fn: lambda.IFunction,
  options: TargetOptions,
): targets.LambdaFunction {
  return new targets.LambdaFunction(fn, delivery(scope, options));
}
