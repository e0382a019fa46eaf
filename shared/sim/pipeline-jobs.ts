import { ConflictError } from '../errors';
import type { PipelineJobFailure, PipelineJobReporter, PipelineJobSuccess } from '../ports/builds';

export type PipelineJobReport =
  | ({ jobId: string; outcome: 'success' } & PipelineJobSuccess)
  | ({ jobId: string; outcome: 'failure' } & PipelineJobFailure);

/**
 * CodePipeline's job results in memory, for the local run and the tests: a job takes one result
 * (a continuation closes it too: CodePipeline re-invokes the worker with a new job), a second
 * one is refused with ConflictError as CodePipeline refuses it (`InvalidJobStateException`).
 */
export class MemoryPipelineJobs implements PipelineJobReporter {
  /** Every result accepted, oldest first. */
  readonly reports: PipelineJobReport[] = [];
  private readonly failures: Error[] = [];

  /** The next calls throw these errors, one each, before anything else is checked. */
  failNext(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  async succeed(jobId: string, result: PipelineJobSuccess): Promise<void> {
    this.accept({ jobId, outcome: 'success', ...result });
  }

  async fail(jobId: string, failure: PipelineJobFailure): Promise<void> {
    this.accept({ jobId, outcome: 'failure', ...failure });
  }

  private accept(report: PipelineJobReport): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (this.reports.some((r) => r.jobId === report.jobId))
      throw new ConflictError(`job ${report.jobId} already has a result`);
    this.reports.push(report);
  }
}
