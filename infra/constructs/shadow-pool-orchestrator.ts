import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { buildFunctions, buildWorkflows, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import { type InputTransformerShape, RawInputTransformer, stateMachineTarget } from './rule-target';
import type { Workflow } from './workflow';

/** An event pattern and the transformer that turns a matching event into an execution input. */
export interface StartRule {
  readonly eventPattern: { readonly source: readonly string[]; readonly 'detail-type': readonly string[] };
  readonly inputTransformer: InputTransformerShape;
}

export interface ShadowPoolOrchestratorProps {
  readonly context: CapabilityContext;
  /** Task functions (functions/migration/manifest.ts). */
  readonly functions: readonly FunctionSpec[];
  /** Both state machines. */
  readonly stateMachines: readonly StateMachineSpec[];
  /** Id of the shadow-pool-migration state machine (started by `Contention Predicted`). */
  readonly migrationId: string;
  /** Id of the shadow-pool-return state machine. */
  readonly returnId: string;
  /** `Contention Predicted` -> StartExecution of the migration (shared/migration/transformer.ts). */
  readonly contentionPredicted: StartRule;
  /** `Contention Cleared` -> StartExecution of the return. @default no rule (started by hand) */
  readonly contentionCleared?: StartRule;
}

/**
 * The shadow-pool orchestrator: the task functions, the migration and return state machines
 * (each may invoke only the functions its spec lists), and the rules that start them from
 * Shadowscale events with an input transformer, retries and a DLQ.
 */
export class ShadowPoolOrchestrator extends Construct {
  public readonly functions: ReadonlyMap<string, ProjectFunction>;
  public readonly workflows: ReadonlyMap<string, Workflow>;
  public readonly migration: Workflow;
  public readonly return: Workflow;
  public readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: ShadowPoolOrchestratorProps) {
    super(scope, id);
    const { context } = props;
    this.functions = buildFunctions(this, props.functions, context);
    this.workflows = buildWorkflows(this, props.stateMachines, this.functions, context);
    this.migration = pick(this.workflows, props.migrationId, 'state machine');
    this.return = pick(this.workflows, props.returnId, 'state machine');
    this.rules.push(
      this.startRule('ContentionPredicted', props.contentionPredicted, this.migration, context),
    );
    if (props.contentionCleared)
      this.rules.push(this.startRule('ContentionCleared', props.contentionCleared, this.return, context));
  }

  private startRule(
    id: string,
    shape: StartRule,
    workflow: Workflow,
    context: CapabilityContext,
  ): events.Rule {
    const rule = new events.Rule(this, `${id}Rule`, {
      description: `Shadowscale: ${shape.eventPattern['detail-type'].join(', ')} -> ${workflow.spec.id}`,
      eventBus: context.eventBus,
      eventPattern: {
        source: [...shape.eventPattern.source],
        detailType: [...shape.eventPattern['detail-type']],
      },
    });
    rule.addTarget(
      stateMachineTarget(this, workflow.stateMachine, {
        id: `${id}Start`,
        purpose: `${shape.eventPattern['detail-type'].join(', ')} events that could not start ${workflow.spec.id}`,
        monitoring: context.monitoring,
        input: new RawInputTransformer(shape.inputTransformer),
      }),
    );
    return rule;
  }
}
