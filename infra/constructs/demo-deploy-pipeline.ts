import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ValidationError } from '../../shared/errors';
import { acknowledge, acknowledgeWildcardResources } from './nag';

export interface DemoDeployPipelineProps {
  /**
   * Name of the deployed pipeline-branch state machine (the control plane names it
   * `shadowscale-pipeline-branch`): referenced by name, so the demo needs no cross-stack export.
   */
  readonly stateMachineName: string;
  /** S3 key of the release bundle the source stage reads. @default release/deploy.zip */
  readonly sourceKey?: string;
  /** Stage name, as the execution input and the stage history see it. @default Deploy */
  readonly stageName?: string;
}

/** The execution input file inside the release bundle: `{"workloadId", "version", "stage"}`. */
export const DEPLOY_INPUT_FILE = 'deploy.json';

/**
 * A sample CodePipeline (V2) whose deploy stage is the pipeline-branch state machine, called with
 * CodePipeline's Step Functions invoke action. The source stage reads a release bundle from S3
 * (uploaded by whatever builds the release; the pipeline is started by hand or by that upload);
 * the bundle's `deploy.json` is the execution input, so each release names its own version.
 * The action waits for the execution: the stage succeeds when the version is deployed (to the
 * primary, or merged through a shadow environment) and fails with the discard's reason.
 */
export class DemoDeployPipeline extends Construct {
  public readonly pipeline: codepipeline.Pipeline;
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DemoDeployPipelineProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(props.stateMachineName))
      throw new ValidationError(
        `DemoDeployPipeline: stateMachineName ${JSON.stringify(props.stateMachineName)} is not a state machine name`,
      );
    const stageName = props.stageName ?? 'Deploy';
    this.bucket = new s3.Bucket(this, 'Releases', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'the demo release bucket holds release bundles and pipeline artifacts only; access logging into another bucket is out of scope for a sandbox demo',
    );
    const source = new codepipeline.Artifact('Release');
    const stateMachine = sfn.StateMachine.fromStateMachineName(this, 'Branch', props.stateMachineName);
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.bucket,
      crossAccountKeys: false,
      restartExecutionOnUpdate: false,
      stages: [
        {
          stageName: 'Source',
          actions: [
            new actions.S3SourceAction({
              actionName: 'Release',
              bucket: this.bucket,
              bucketKey: props.sourceKey ?? 'release/deploy.zip',
              output: source,
              trigger: actions.S3Trigger.NONE,
            }),
          ],
        },
        {
          stageName,
          actions: [
            new actions.StepFunctionInvokeAction({
              actionName: 'BranchOrDeploy',
              stateMachine,
              stateMachineInput: actions.StateMachineInput.filePath(source.atPath(DEPLOY_INPUT_FILE)),
              executionNamePrefix: 'demo',
            }),
          ],
        },
      ],
    });
    // CDK's StateMachineInput.filePath writes `Input` as `<artifact>::<path>`; the Step Functions
    // invoke action reads it, with InputType FilePath, as the path of the file inside its one
    // input artifact (example entry `assets/input.json`), so `Input` is set to the bare path.
    // https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StepFunctions.html#action-reference-StepFunctions-config
    (this.pipeline.node.defaultChild as codepipeline.CfnPipeline).addPropertyOverride(
      'Stages.1.Actions.0.Configuration.Input',
      DEPLOY_INPUT_FILE,
    );
    const stack = Stack.of(this);
    const why =
      "CodePipeline's generated artifact policies (pipeline role and each action role): read, write and abort uploads of objects in this release bucket only, whose keys are generated per execution";
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'])
      acknowledge(this, `AwsSolutions-IAM5[Action::${action}]`, `${action}: ${why}`);
    acknowledgeWildcardResources(this, [`${this.bucket.bucketArn}/*`], why);
    acknowledgeWildcardResources(
      this,
      [
        `arn:${Aws.PARTITION}:states:${stack.region}:${stack.account}:execution:${props.stateMachineName}:demo*`,
      ],
      "states:DescribeExecution/StopExecution of this pipeline's own executions of the pipeline-branch state machine (named demo<id> per run by the invoke action)",
    );
  }
}
