import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DemoDeployPipeline } from '../constructs/demo-deploy-pipeline';
import { acknowledge } from '../constructs/nag';
import { MANAGED_TAG_KEY, MANAGED_TAG_VALUE } from '../constructs/permissions';

/** Fixed names, so the control plane can scope by ARN to the demo without a cross-stack reference. */
export const DEMO_CLUSTER_NAME = 'shadowscale-demo';
export const DEMO_LOAD_BALANCER_NAME = 'shadowscale-demo';

export interface DemoWorkloadStackProps extends StackProps {
  /** Log retention of the flow logs and the container logs. @default ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Container image. @default public.ecr.aws/nginx/nginx:stable-alpine */
  readonly image?: string;
  /** @default 2 */
  readonly desiredCount?: number;
  /**
   * The control plane's pipeline-branch state machine: when set, a sample pipeline whose deploy
   * stage invokes it is added. @default no pipeline
   */
  readonly pipelineBranchStateMachineName?: string;
}

/**
 * A sandbox workload to try Shadowscale end to end: a VPC (public subnets only, no NAT: the
 * tasks pull a public image), an internet-facing ALB whose listener forwards by weight to a
 * primary target group (100) and an empty shadow target group (0), and an ECS Fargate service
 * behind the primary. Everything carries `shadowscale:managed=true`, which is what the control
 * plane's tag-scoped ECS and ELB permissions require. The outputs are the fields of a workload
 * definition.
 */
export class DemoWorkloadStack extends Stack {
  public readonly listener: elbv2.ApplicationListener;
  public readonly primaryTargetGroup: elbv2.ApplicationTargetGroup;
  public readonly shadowTargetGroup: elbv2.ApplicationTargetGroup;
  public readonly service: ecs.FargateService;
  public readonly cluster: ecs.Cluster;
  public readonly pipeline?: DemoDeployPipeline;

  /**
   * Two AZs resolved at deploy time (`Fn::GetAZs`) instead of a context lookup at synth time,
   * so `cdk synth` stays offline whatever account is configured.
   */
  public override get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }

  constructor(scope: Construct, id: string, props: DemoWorkloadStackProps = {}) {
    super(scope, id, props);
    Tags.of(this).add(MANAGED_TAG_KEY, MANAGED_TAG_VALUE);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const vpc = this.network(retention);
    const { loadBalancer, albSecurityGroup } = this.publicLoadBalancer(vpc);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: DEMO_CLUSTER_NAME,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.service = this.fargateService(vpc, albSecurityGroup, props, retention);
    this.primaryTargetGroup = this.targetGroup(vpc, 'PrimaryTargetGroup', 'primary');
    this.shadowTargetGroup = this.targetGroup(vpc, 'ShadowTargetGroup', 'shadow');
    this.service.attachToApplicationTargetGroup(this.primaryTargetGroup);

    this.listener = loadBalancer.addListener('Http', { port: 80, open: false });
    this.listener.addAction('Weighted', {
      action: elbv2.ListenerAction.weightedForward([
        { targetGroup: this.primaryTargetGroup, weight: 100 },
        { targetGroup: this.shadowTargetGroup, weight: 0 },
      ]),
    });

    if (props.pipelineBranchStateMachineName) {
      this.pipeline = new DemoDeployPipeline(this, 'DeployPipeline', {
        stateMachineName: props.pipelineBranchStateMachineName,
      });
      new CfnOutput(this, 'PipelineName', { value: this.pipeline.pipeline.pipelineName });
      new CfnOutput(this, 'ReleaseBucket', { value: this.pipeline.bucket.bucketName });
    }

    new CfnOutput(this, 'Url', { value: `http://${loadBalancer.loadBalancerDnsName}` });
    new CfnOutput(this, 'ListenerArn', { value: this.listener.listenerArn });
    new CfnOutput(this, 'PrimaryTargetGroupArn', { value: this.primaryTargetGroup.targetGroupArn });
    new CfnOutput(this, 'ShadowTargetGroupArn', { value: this.shadowTargetGroup.targetGroupArn });
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
  }

  /** Public subnets in two AZs, no NAT (the tasks pull a public image), flow logs on. */
  private network(retention: logs.RetentionDays): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    vpc.addFlowLog('FlowLogs', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention, removalPolicy: RemovalPolicy.DESTROY }),
      ),
    });
    return vpc;
  }

  /** The internet-facing ALB, its security group and its access-log bucket. */
  private publicLoadBalancer(vpc: ec2.Vpc): {
    loadBalancer: elbv2.ApplicationLoadBalancer;
    albSecurityGroup: ec2.SecurityGroup;
  } {
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs only support SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      accessLogs,
      'AwsSolutions-S1',
      'this bucket only receives the demo ALB access logs; logging access to the log bucket into another bucket is out of scope for a sandbox demo',
    );

    const albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc,
      description: 'Demo ALB: HTTP from anywhere',
      allowAllOutbound: false,
    });
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere (demo)');
    acknowledge(
      albSecurityGroup,
      'AwsSolutions-EC23',
      'the demo ALB is public on purpose: the sandbox demo is reached from a browser or a load generator',
    );
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      loadBalancerName: DEMO_LOAD_BALANCER_NAME,
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    loadBalancer.logAccessLogs(accessLogs, 'alb');
    return { loadBalancer, albSecurityGroup };
  }

  /** The Fargate service (ARM64, public IPs, HTTP from the ALB only) in this stack's cluster. */
  private fargateService(
    vpc: ec2.Vpc,
    albSecurityGroup: ec2.SecurityGroup,
    props: DemoWorkloadStackProps,
    retention: logs.RetentionDays,
  ): ecs.FargateService {
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    taskDefinition.addContainer('web', {
      image: ecs.ContainerImage.fromRegistry(props.image ?? 'public.ecr.aws/nginx/nginx:stable-alpine'),
      portMappings: [{ containerPort: 80 }],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'demo',
        logGroup: new logs.LogGroup(this, 'ContainerLogs', {
          retention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      }),
    });
    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc,
      description: 'Demo tasks: HTTP from the ALB only',
    });
    serviceSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(80), 'HTTP from the demo ALB');
    albSecurityGroup.addEgressRule(serviceSecurityGroup, ec2.Port.tcp(80), 'HTTP to the demo tasks');
    return new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      desiredCount: props.desiredCount ?? 2,
      // Keep full capacity during deployments: the demo is what Shadowscale measures.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [serviceSecurityGroup],
      circuitBreaker: { rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
  }

  /** An IP target group tagged with its pool role (primary or shadow). */
  private targetGroup(vpc: ec2.Vpc, tgId: string, role: string): elbv2.ApplicationTargetGroup {
    const tg = new elbv2.ApplicationTargetGroup(this, tgId, {
      vpc,
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      healthCheck: {
        path: '/',
        healthyThresholdCount: 2,
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
      },
      deregistrationDelay: Duration.seconds(30),
    });
    Tags.of(tg).add('shadowscale:pool', role);
    return tg;
  }
}
