import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodeBuildStarter } from '../../shared/aws/codebuild-starter';
import { CodeBuildStatusReader } from '../../shared/aws/codebuild-status';
import type { BuildStarter, BuildStatusReader } from '../../shared/ports/builds';
import { traced } from './powertools';

/**
 * The build starter and build status reader for handlers: one traced CodeBuild client per
 * container, built on first use and configured by the environment only (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_CODEBUILD` / `AWS_ENDPOINT_URL`). Tests and the local run install others with
 * `setBuildStarter` / `setBuildStatusReader`.
 */
let installed: BuildStarter | undefined;
let installedReader: BuildStatusReader | undefined;
let client: CodeBuildClient | undefined;
const codebuild = (): CodeBuildClient => {
  client ??= traced(new CodeBuildClient({}));
  return client;
};
const starter = new CodeBuildStarter(codebuild);
const reader = new CodeBuildStatusReader(codebuild);

export function buildStarter(): BuildStarter {
  return installed ?? starter;
}

/** Install a starter (or go back to CodeBuild with `undefined`). */
export function setBuildStarter(next: BuildStarter | undefined): void {
  installed = next;
}

export function buildStatusReader(): BuildStatusReader {
  return installedReader ?? reader;
}

/** Install a status reader (or go back to CodeBuild with `undefined`). */
export function setBuildStatusReader(next: BuildStatusReader | undefined): void {
  installedReader = next;
}
