import type { TestRunner } from '../schemas/workload';

/** What a test runner is handed: the token it answers with, and what to test. */
export interface TestRequest {
  /** Step Functions task token: the runner calls SendTaskSuccess / SendTaskFailure with it. */
  taskToken: string;
  workloadId: string;
  operationId: string;
  stage: string;
  version: string;
  /** Where the new version answers (the shadow target group). */
  targetGroupArn: string;
  /** The runner must heartbeat at least this often and answer within the timeout. */
  heartbeatSeconds: number;
  timeoutSeconds: number;
}

/**
 * Starts a workload's integration tests (a CodeBuild build, an asynchronous Lambda invocation, or an
 * HTTP callback). Starting is all it does: the runner answers later through the task token, so
 * tests may take as long as they take.
 */
export interface TestRunnerPort {
  start(runner: TestRunner, request: TestRequest): Promise<{ runId: string }>;
}
