import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { ValidationError } from '../../shared/errors';
import { buildFunctions, buildWorkflows, type CapabilityContext, pick } from './capability';
import type { ProjectFunction } from './project-function';
import { functionTarget } from './rule-target';
import type { Workflow } from './workflow';

/** The CodePipeline and CodeBuild state changes the stage history records. */
export const STAGE_EVENT_DETAIL_TYPES = {
  'aws.codepipeline': [
    'CodePipeline Stage Execution State Change',
    'CodePipeline Action Execution State Change',
  ],
  'aws.codebuild': ['CodeBuild Build State Change', 'CodeBuild Build Phase Change'],
} as const;

export interface PipelineBranchProps {
  readonly context: CapabilityContext;
  /** The pipeline-branch task functions (functions/pipeline/manifest.ts). */
  readonly functions: readonly FunctionSpec[];
  /** The pipeline-branch state machine spec(s). */
  readonly stateMachines: readonly StateMachineSpec[];
  /** Id of the pipeline-branch state machine among `stateMachines`. */
  readonly stateMachineId: string;
  /**
   * The shadow-pool functions the state machine calls too (health poll, smoke test, traffic
   * steps, gate, decommission), already built by the ShadowPoolOrchestrator: one function per
   * task, whichever state machine calls it.
   */
  readonly sharedFunctions: ReadonlyMap<string, ProjectFunction>;
  /** The stage-history ingestion function (functions/stage-history/manifest.ts). */
  readonly stageHistory: FunctionSpec;
  /**
   * Principals that run integration tests (CodeBuild project roles, Lambda roles): they may
   * answer the test gate (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat) on this state
   * machine only. Starting them is granted to StartTests by `tests:start`.
   * @default none (runners in other stacks are granted there, with `grantTaskResponse`)
   */
  readonly testRunners?: readonly iam.IGrantable[];
  /**
   * The bus CodePipeline and CodeBuild publish their state changes on.
   * @default the account's default event bus
   */
  readonly sourceBus?: events.IEventBus;
}

/**
 * Deploy-time branching: the pipeline-branch state machine (its own task functions plus the
 * shadow-pool ones it shares), started by a pipeline stage action (CodePipeline's Step Functions
 * invoke action), another CI or the console; and the stage instrumentation, the rules that send
 * every CodePipeline stage/action and CodeBuild build/phase state change to the StageHistory
 * function. AWS service events arrive on the default bus, not on Shadowscale's own.
 */
export class PipelineBranch extends Construct {
  public readonly functions: ReadonlyMap<string, ProjectFunction>;
  public readonly workflow: Workflow;
  public readonly stageHistory: ProjectFunction;
  public readonly pipelineRule: events.Rule;
  public readonly buildRule: events.Rule;
  /**
   * Roles of the tasks that call an EKS cluster's Kubernetes API (the `eks:kubernetes-api`
   * permission): each needs an EKS access entry and RBAC on deployments, services and
   * targetgroupbindings in the workload's namespace (README, deploy-time branching).
   */
  public readonly kubernetesRoles: readonly iam.IRole[];

  constructor(scope: Construct, id: string, props: PipelineBranchProps) {
    super(scope, id);
    const { context } = props;
    const own = buildFunctions(this, props.functions, context);
    for (const key of own.keys())
      if (props.sharedFunctions.has(key))
        throw new ValidationError(`PipelineBranch: function ${key} is both its own and a shared one`);
    const callable = new Map([...props.sharedFunctions, ...own]);
    const workflows = buildWorkflows(this, props.stateMachines, callable, context);
    this.functions = own;
    this.kubernetesRoles = [...own.values()]
      .filter((f) => f.spec.permissions.includes('eks:kubernetes-api'))
      .map((f) => f.role);
    this.workflow = pick(workflows, props.stateMachineId, 'state machine');
    for (const runner of props.testRunners ?? []) this.grantTaskResponse(runner);

    this.stageHistory = pick(
      buildFunctions(this, [props.stageHistory], context, { asyncIds: [props.stageHistory.id] }),
      props.stageHistory.id,
      'function',
    );
    const bus = props.sourceBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const rule = (ruleId: string, source: keyof typeof STAGE_EVENT_DETAIL_TYPES, what: string) => {
      const r = new events.Rule(this, ruleId, {
        description: `Shadowscale: record ${what} state changes as stage history`,
        eventBus: bus,
        eventPattern: { source: [source], detailType: [...STAGE_EVENT_DETAIL_TYPES[source]] },
      });
      r.addTarget(
        functionTarget(this, this.stageHistory.function, {
          id: `${ruleId}Delivery`,
          purpose: `${what} state changes EventBridge could not deliver to the stage history`,
          monitoring: context.monitoring,
        }),
      );
      return r;
    };
    this.pipelineRule = rule('PipelineEventsRule', 'aws.codepipeline', 'CodePipeline stage and action');
    this.buildRule = rule('BuildEventsRule', 'aws.codebuild', 'CodeBuild build and phase');
  }

  /** Let a test runner answer the integration test gate of this state machine (and nothing else). */
  public grantTaskResponse(runner: iam.IGrantable): void {
    this.workflow.stateMachine.grantTaskResponse(runner);
  }
}
