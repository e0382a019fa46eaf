import type { WorkloadInput } from '../../shared/schemas/workload';
import { workloadInput } from './fixtures';

export const HOME = 'us-east-1';
export const STANDBY = 'us-west-2';
export const ZONE = 'Z0123456789ABCDEFGHIJ';

/** The checkout-api fixture with a weighted record set across us-east-1 (home) and us-west-2. */
export function failoverWorkloadInput(): WorkloadInput {
  const input = workloadInput();
  input.failover = {
    dns: {
      hostedZoneId: ZONE,
      recordName: 'api.example.com',
      recordType: 'CNAME',
      ttlSeconds: 60,
      endpoints: {
        [HOME]: {
          value: 'prod-alb-1.us-east-1.elb.amazonaws.com',
          healthCheckId: '11111111-2222-3333-4444-555555555555',
          targetGroupArn: input.traffic.primaryTargetGroupArn,
          loadBalancerDimension: 'app/prod-alb/50dc6c495c0c9188',
        },
        [STANDBY]: {
          value: 'prod-alb-2.us-west-2.elb.amazonaws.com',
          targetGroupArn:
            'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/checkout-primary/0a1b2c3d4e5f6071',
          loadBalancerDimension: 'app/prod-alb/0a1b2c3d4e5f6071',
        },
      },
    },
    standby: { calmUnits: 1, riskShare: 1 },
    steps: [25, 50, 100],
    bakeSeconds: 30,
  };
  return input;
}
