import { type CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { InvocationType, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { TransientError } from '../errors';
import type { TestRequest, TestRunnerPort } from '../ports/tests';
import type { TestRunner } from '../schemas/workload';
import { awsFailure } from './common';

/** How long the HTTP callback may take to accept the request (it must answer later, not now). */
export const CALLBACK_TIMEOUT_MS = 10_000;

/**
 * Starts integration tests and hands over the task token:
 * - CodeBuild: StartBuild with the request as environment variables (`SHADOWSCALE_TASK_TOKEN`,
 *   `SHADOWSCALE_TARGET_GROUP_ARN`, ...); the buildspec calls `aws stepfunctions send-task-success`.
 * - Lambda: an asynchronous invocation (`Event`) with the request as payload.
 * - HTTP: a POST of the request as JSON; any 2xx means accepted.
 * The runner answers with SendTaskSuccess / SendTaskFailure and heartbeats with SendTaskHeartbeat.
 */
export class AwsTestRunner implements TestRunnerPort {
  constructor(private readonly clients: { codebuild: () => CodeBuildClient; lambda: () => LambdaClient }) {}

  async start(runner: TestRunner, request: TestRequest): Promise<{ runId: string }> {
    if (runner.kind === 'codebuild') {
      try {
        const out = await this.clients.codebuild().send(
          new StartBuildCommand({
            projectName: runner.projectName,
            environmentVariablesOverride: buildEnvironment(request),
          }),
        );
        return { runId: out.build?.id ?? runner.projectName };
      } catch (error) {
        throw awsFailure(error, 'StartBuild');
      }
    }
    if (runner.kind === 'lambda') {
      try {
        const out = await this.clients.lambda().send(
          new InvokeCommand({
            FunctionName: runner.functionName,
            InvocationType: InvocationType.Event,
            Payload: new TextEncoder().encode(JSON.stringify(request)),
          }),
        );
        return { runId: out.$metadata.requestId ?? runner.functionName };
      } catch (error) {
        throw awsFailure(error, 'Invoke');
      }
    }
    let response: Response;
    try {
      response = await fetch(runner.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      });
    } catch (error) {
      throw new TransientError(`POST ${runner.url} failed: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) {
      throw new TransientError(`POST ${runner.url} answered ${response.status}; the tests were not started`);
    }
    return { runId: response.headers.get('x-run-id') ?? `${runner.url}#${response.status}` };
  }
}

/** The request as CodeBuild environment variables (PLAINTEXT: the token is not a secret to the build). */
export function buildEnvironment(request: TestRequest): { name: string; value: string; type: 'PLAINTEXT' }[] {
  const vars: Record<string, string> = {
    SHADOWSCALE_TASK_TOKEN: request.taskToken,
    SHADOWSCALE_WORKLOAD_ID: request.workloadId,
    SHADOWSCALE_OPERATION_ID: request.operationId,
    SHADOWSCALE_STAGE: request.stage,
    SHADOWSCALE_VERSION: request.version,
    SHADOWSCALE_TARGET_GROUP_ARN: request.targetGroupArn,
    SHADOWSCALE_HEARTBEAT_SECONDS: String(request.heartbeatSeconds),
  };
  return Object.entries(vars).map(([name, value]) => ({ name, value, type: 'PLAINTEXT' as const }));
}
