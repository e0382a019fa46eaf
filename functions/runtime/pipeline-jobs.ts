import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { CodePipelineJobReporter } from '../../shared/aws/codepipeline-jobs';
import type { PipelineJobReporter } from '../../shared/ports/builds';
import { traced } from './powertools';

/**
 * The CodePipeline job reporter for handlers: one traced CodePipeline client per container,
 * built on first use and configured by the environment only (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_CODEPIPELINE` / `AWS_ENDPOINT_URL`). Tests and the local run install another
 * with `setPipelineJobReporter`.
 */
let installed: PipelineJobReporter | undefined;
let client: CodePipelineClient | undefined;
const reporter = new CodePipelineJobReporter(() => {
  client ??= traced(new CodePipelineClient({}));
  return client;
});

export function pipelineJobReporter(): PipelineJobReporter {
  return installed ?? reporter;
}

/** Install a reporter (or go back to CodePipeline with `undefined`). */
export function setPipelineJobReporter(next: PipelineJobReporter | undefined): void {
  installed = next;
}
