import {
  type CodeBuildClient,
  ComputeType,
  EnvironmentType,
  StartBuildCommand,
  type StartBuildCommandOutput,
} from '@aws-sdk/client-codebuild';
import { ConfigError, NotFoundError, TransientError, ValidationError } from '../errors';
import type { BuildStarter, SizedBuildRequest, StartedBuild } from '../ports/builds';
import { awsFailure } from './common';

/**
 * Starts the sized build with `StartBuild`: the allocation's compute type as
 * `computeTypeOverride` with the environment type it runs on, and an idempotency token per run,
 * so an invocation retried within CodeBuild's five-minute token window gets the build already
 * started instead of a second one (the caller covers later retries with its own record).
 * The client comes from the caller (module scope in the Lambda), configured by the environment
 * only (`AWS_REGION`, `AWS_ENDPOINT_URL`).
 */
export class CodeBuildStarter implements BuildStarter {
  constructor(private readonly client: () => CodeBuildClient) {}

  async start(request: SizedBuildRequest): Promise<Omit<StartedBuild, 'startedAt'>> {
    const computeType = known(ComputeType, request.computeType, 'computeType');
    const environmentType = known(EnvironmentType, request.environmentType, 'environmentType');
    let out: StartBuildCommandOutput;
    try {
      out = await this.client().send(
        new StartBuildCommand({
          projectName: request.projectName,
          computeTypeOverride: computeType,
          environmentTypeOverride: environmentType,
          idempotencyToken: request.idempotencyToken,
          ...(request.sourceVersion !== undefined ? { sourceVersion: request.sourceVersion } : {}),
          ...(request.environmentVariables.length > 0
            ? { environmentVariablesOverride: request.environmentVariables.map((v) => ({ ...v })) }
            : {}),
        }),
      );
    } catch (error) {
      throw startBuildFailure(error, request.projectName);
    }
    const id = out.build?.id;
    if (!id) throw new TransientError(`StartBuild of ${request.projectName} answered without a build id`);
    return {
      id,
      ...(out.build?.arn ? { arn: out.build.arn } : {}),
      projectName: request.projectName,
      computeType: request.computeType,
    };
  }
}

/** `value` when it is one of the SDK enum's values; ValidationError naming the field otherwise. */
function known<T extends string>(values: Readonly<Record<string, T>>, value: string, field: string): T {
  const found = Object.values(values).find((v) => v === value);
  if (found === undefined)
    throw new ValidationError(`${field}: ${JSON.stringify(value)} is not a CodeBuild ${field}`, [
      { path: field, message: 'unknown value', received: value },
    ]);
  return found;
}

/**
 * CodeBuild's StartBuild errors as the product's named errors, so a Step Functions task can
 * Retry the transient ones and Catch the rest by name
 * (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html#API_StartBuild_Errors).
 * `AccountLimitExceededException` is the account's concurrent-build quota: it clears when builds
 * finish, so it is retried like throttling.
 */
export function startBuildFailure(error: unknown, projectName: string): Error {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const what = `StartBuild of project ${JSON.stringify(projectName)}`;
  switch (name) {
    case 'ResourceNotFoundException':
      return new NotFoundError(`${what}: no such project (${message})`, { cause: error });
    case 'AccountLimitExceededException':
      return new TransientError(`${what}: account build limit reached (${message})`, { cause: error });
    case 'InvalidInputException':
      return new ValidationError(`${what}: CodeBuild refused the request: ${message}`, [], { cause: error });
    case 'AccessDeniedException':
      return new ConfigError(
        `${what}: not allowed; add the project to shadowscale:managed.buildProjects and redeploy (${message})`,
        { cause: error },
      );
    default:
      return awsFailure(error, what);
  }
}
