import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { AwsTestRunner } from '../../shared/aws/test-runner';
import type { TestRunnerPort } from '../../shared/ports/tests';
import { overrides } from './index';

/**
 * The integration-test starter for handlers: CodeBuild and Lambda clients built once per container
 * on first use (`AWS_ENDPOINT_URL_*` / `AWS_ENDPOINT_URL` honoured). `setRuntime({ tests })` wins.
 */
let codebuild: CodeBuildClient | undefined;
let lambda: LambdaClient | undefined;
let cached: TestRunnerPort | undefined;

export function tests(): TestRunnerPort {
  if (overrides.tests) return overrides.tests;
  cached ??= new AwsTestRunner({
    codebuild: () => {
      codebuild ??= new CodeBuildClient({});
      return codebuild;
    },
    lambda: () => {
      lambda ??= new LambdaClient({});
      return lambda;
    },
  });
  return cached;
}
