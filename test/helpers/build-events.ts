/**
 * A CodePipeline stage state change of stage `Test` of pipeline `checkout`, shaped as the
 * CodePipeline User Guide shows it.
 */
export const pipelineStageEvent = (
  state: string,
  time: string,
  executionId = 'c1d2e3f4-0000-4000-8000-000000000001',
) => ({
  version: '0',
  id: `evt-${state}-${executionId}-${time}`,
  'detail-type': 'CodePipeline Stage Execution State Change',
  source: 'aws.codepipeline',
  account: '123456789012',
  time,
  region: 'us-east-1',
  resources: ['arn:aws:codepipeline:us-east-1:123456789012:pipeline:checkout'],
  detail: { pipeline: 'checkout', version: '1', 'execution-id': executionId, stage: 'Test', state },
});
