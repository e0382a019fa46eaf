import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { localLifecycleMachine } from '../../functions/lifecycle/local';
import type { Clock } from '../../shared/clock';
import { describeAction } from '../../shared/lifecycle/actions';
import { rulesTriggeredBy, type TriggerEvent } from '../../shared/lifecycle/match';
import { EVENT_SOURCE, type ShadowscaleEvent } from '../../shared/schemas/events';
import type { Workload } from '../../shared/schemas/workload';
import type { AslRunner, TaskHandler } from '../../shared/sim/asl-runner';
import type { SimLifecycleEffects } from '../../shared/sim/lifecycle';
import type { LineKind } from './output';

/**
 * The local run's EventBridge for lifecycle rules: every published event is matched against the
 * workload's rules (the same pure matching the state machine re-checks), and each rule it
 * triggers runs the real `lifecycle` ASL in the local interpreter with the real task functions,
 * over the local DynamoDB and simulated SNS, EC2 and CodeBuild. Schedule rules do not fire here.
 */
export class LocalLifecycle {
  private count = 0;
  readonly fired: { atMs: number; rule: string; trigger: string; status: string }[] = [];

  constructor(
    private readonly o: {
      co: AslRunner;
      clock: Clock;
      workload: Workload;
      effects: SimLifecycleEffects;
      runId: string;
      note: (atMs: number, kind: LineKind, text: string) => void;
    },
  ) {}

  onEvent(event: ShadowscaleEvent): void {
    const rules = this.o.workload.lifecycle ?? [];
    if (rules.length === 0 || event.detailType === 'Lifecycle Completed') return;
    const at = this.o.clock.now();
    const trigger: TriggerEvent = {
      id: `${this.o.runId}-${++this.count}`,
      source: EVENT_SOURCE,
      'detail-type': event.detailType,
      time: new Date(at).toISOString(),
      detail: event.detail as unknown as Record<string, unknown>,
    };
    for (const rule of rulesTriggeredBy(rules, trigger, this.o.workload.workloadId))
      this.start(rule.name, trigger);
  }

  private start(rule: string, trigger: TriggerEvent): void {
    const { co, clock, note, effects, workload } = this.o;
    const { definition, handlers } = localLifecycleMachine();
    const seen = effects.calls.length;
    const execution = co.start({
      name: `lifecycle-${rule}-${trigger.id}`,
      definition: definition as unknown as StateMachineDefinition,
      input: { workloadId: workload.workloadId, rule, event: trigger } as never,
      handlers: handlers as unknown as Record<string, TaskHandler>,
    });
    void execution.outcome.then((outcome) => {
      const at = clock.now();
      const calls = effects.calls.slice(seen).map(describeCall);
      const output =
        outcome.status === 'succeeded'
          ? (outcome.output as { run?: { status?: string; reason?: string } })
          : undefined;
      const status =
        outcome.status === 'failed'
          ? `failed: ${outcome.error}`
          : output?.run?.status === 'skipped'
            ? `skipped: ${output.run.reason ?? ''}`
            : output?.run?.status === 'duplicate'
              ? 'already done'
              : `done: ${calls.length > 0 ? calls.join('; ') : (workload.lifecycle?.find((r) => r.name === rule)?.do ?? []).map(describeAction).join('; ')}`;
      note(at, 'lifecycle', `rule ${rule} (on ${trigger['detail-type']}) ${status}`);
      this.fired.push({ atMs: at, rule, trigger: trigger['detail-type'], status });
    });
  }
}

function describeCall(call: SimLifecycleEffects['calls'][number]): string {
  switch (call.kind) {
    case 'notify':
      return `SNS ${call.topicArn.split(':').pop()}: "${call.subject}"`;
    case 'snapshot':
      return `EBS snapshots of the ${call.pool} pool: ${call.snapshots.length} volume(s)`;
    case 'diagnostics':
      return `started ${call.target.kind === 'codebuild' ? `CodeBuild ${call.target.projectName}` : `Step Functions ${call.target.stateMachineArn.split(':').pop()}`}`;
  }
}
