import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodeBuildStarter } from '../../shared/aws/codebuild-starter';
import type { BuildStarter } from '../../shared/ports/builds';
import { traced } from './powertools';

/**
 * The build starter for handlers: one traced CodeBuild client per container, built on first use
 * and configured by the environment only (`AWS_REGION`, `AWS_ENDPOINT_URL_CODEBUILD` /
 * `AWS_ENDPOINT_URL`). Tests and the local run install another starter with `setBuildStarter`.
 */
let installed: BuildStarter | undefined;
let client: CodeBuildClient | undefined;
const starter = new CodeBuildStarter(() => {
  client ??= traced(new CodeBuildClient({}));
  return client;
});

export function buildStarter(): BuildStarter {
  return installed ?? starter;
}

/** Install a starter (or go back to CodeBuild with `undefined`). */
export function setBuildStarter(next: BuildStarter | undefined): void {
  installed = next;
}
