import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { FunctionSpec } from '../../functions/manifest';
import { buildFunctions, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import { functionTarget } from './rule-target';

export interface SignalsIngestProps {
  readonly context: CapabilityContext;
  /** The ingest handler (functions/forecast/manifest.ts). */
  readonly function: FunctionSpec;
  /** @default ['Signal Scheduled'] */
  readonly detailTypes?: readonly string[];
}

/**
 * Inbound signals: other systems put `Signal Scheduled` events (any source) on the Shadowscale
 * bus; a rule sends them to the ingest function asynchronously. Undeliverable events go to the
 * rule target's DLQ, invocations that fail after Lambda's retries to the function's DLQ.
 */
export class SignalsIngest extends Construct {
  public readonly function: ProjectFunction;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SignalsIngestProps) {
    super(scope, id);
    const functions = buildFunctions(this, [props.function], props.context, {
      asyncIds: [props.function.id],
    });
    this.function = pick(functions, props.function.id, 'function');
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Shadowscale: store scheduled external signals',
      eventBus: props.context.eventBus,
      eventPattern: { detailType: [...(props.detailTypes ?? ['Signal Scheduled'])] },
    });
    this.rule.addTarget(
      functionTarget(this, this.function.function, {
        id: 'SignalDelivery',
        purpose: 'Signal Scheduled events EventBridge could not deliver to the ingest function',
        monitoring: props.context.monitoring,
      }),
    );
  }
}
