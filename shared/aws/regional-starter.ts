import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RegionalExecutionStarter } from '../ports/regions';
import { awsFailure } from './common';

/**
 * Starts regional-failover / regional-failback executions. The execution name is the idempotency
 * key: Step Functions answers a repeated StartExecution with the same name and input with the
 * running execution, and a closed one with ExecutionAlreadyExists (names are unique per state
 * machine for 90 days); either way nothing new starts.
 */
export class StepFunctionsRegionalStarter implements RegionalExecutionStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArns: { failover: string; failback: string },
  ) {}

  async start(
    kind: 'failover' | 'failback',
    name: string,
    input: { workloadId: string; trigger: string; reason: string },
  ): Promise<{ started: boolean; executionArn?: string }> {
    try {
      const out = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArns[kind],
          name,
          input: JSON.stringify(input),
        }),
      );
      return { started: true, ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return { started: false };
      throw awsFailure(error, `start ${kind} execution ${name}`);
    }
  }
}
