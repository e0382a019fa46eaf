import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  type EcsWorld,
  ecsWorld,
  type Moto,
  readWeights,
  registerEcsWorkload,
  runMachine,
  seedGateMetrics,
  settleService,
  useMoto,
} from './harness';

jest.setTimeout(120_000);
const SHADOW = 'checkout-api-shadow';

describe('shadow-pool migration of an ECS service, on moto', () => {
  const moto = useMoto();

  /** Seeds the destination's ALB metrics, plays ECS after Provision, reads weights after each Shift. */
  function harnessHooks(
    m: Moto,
    world: EcsWorld,
    options: { healthy?: boolean; p99Seconds?: number; seed?: boolean } = {},
  ) {
    const weights: { primary: number; shadow: number; stickiness: boolean }[] = [];
    const afterTask = async (state: string) => {
      if (state === 'Provision' && options.healthy !== false) {
        await settleService(m, world.cluster, SHADOW, world.shadowTargetGroupArn);
      }
      if (state === 'Shift') {
        weights.push(await readWeights(m, world));
        if (options.seed !== false)
          await seedGateMetrics(m, world, world.shadowTargetGroupArn, {
            p99Seconds: options.p99Seconds ?? 0.12,
          });
      }
    };
    return { weights, afterTask };
  }

  const shadowService = async (m: Moto, world: EcsWorld) =>
    (
      await m.ecs.send(
        new DescribeServicesCommand({ cluster: world.cluster, services: [SHADOW], include: ['TAGS'] }),
      )
    ).services?.[0];

  it('stands up the shadow service, moves 10/25/50/100 with every weight read back from the listener', async () => {
    const m = moto();
    const world = await ecsWorld(m);
    await registerEcsWorkload(m, world);
    const hooks = harnessHooks(m, world);

    const run = await runMachine(
      'migration',
      { workloadId: 'checkout-api', shadowUnits: 3 },
      { name: 'mig-1', ...hooks },
    );

    expect([run.status, run.cause]).toEqual(['succeeded', undefined]);
    expect(hooks.weights.map(({ primary, shadow }) => ({ primary, shadow }))).toEqual([
      { primary: 90, shadow: 10 },
      { primary: 75, shadow: 25 },
      { primary: 50, shadow: 50 },
      { primary: 0, shadow: 100 },
    ]);
    const shadow = await shadowService(m, world);
    expect(shadow).toMatchObject({ status: 'ACTIVE', desiredCount: 3 });
    expect(shadow?.loadBalancers?.[0]?.targetGroupArn).toBe(world.shadowTargetGroupArn);
    expect(shadow?.tags).toEqual(
      expect.arrayContaining([
        { key: 'shadowscale:managed', value: 'true' },
        { key: 'shadowscale:workload', value: 'checkout-api' },
      ]),
    );
    // The smaller task definition, without the aws: tag of the primary's (ECS would refuse it).
    const td = await m.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: shadow?.taskDefinition, include: ['TAGS'] }),
    );
    expect(td.taskDefinition).toMatchObject({ cpu: '512', memory: '1024' });
    expect(td.tags?.map((t) => t.key)).toEqual(expect.arrayContaining(['team', 'shadowscale:managed']));
    expect(td.tags?.some((t) => t.key?.startsWith('aws:'))).toBe(false);
    const op = await m.repos.operations.get('mig-1');
    expect(op?.status).toBe('succeeded');
    expect(await m.repos.operations.getLease('checkout-api')).toBeUndefined();

    // Return: traffic home in gated steps, then the shadow service is deleted.
    const returned = await runMachine(
      'return',
      { workloadId: 'checkout-api', force: true },
      {
        name: 'ret-1',
        afterTask: async (state) => {
          if (state === 'Shift') {
            hooks.weights.push(await readWeights(m, world));
            await seedGateMetrics(m, world, world.primaryTargetGroupArn, { p99Seconds: 0.1 });
          }
        },
      },
    );
    expect(returned).toMatchObject({ status: 'succeeded' });
    expect(hooks.weights.slice(4).at(-1)).toMatchObject({ primary: 100, shadow: 0 });
    for (const w of hooks.weights.slice(4)) expect(w.primary + w.shadow).toBe(100);
    const gone = await shadowService(m, world);
    expect(gone === undefined || gone.status !== 'ACTIVE').toBe(true);
  });

  it.each([
    [
      'a slow gate (p99 above the threshold)',
      { p99Seconds: 5 },
      /GateFailedError: gate failed with 10% of traffic on the shadow pool.*p99/,
    ],
    [
      'a gate with no data',
      { seed: false },
      /GateNoDataError: gate failed with 10% of traffic on the shadow pool/,
    ],
    [
      'a shadow pool that never becomes healthy',
      { healthy: false },
      /ProvisioningTimeoutError: .* 0\/2 units ready/,
    ],
  ])(
    'rolls back on %s: the listener is back at 100/0 and the shadow service at 0',
    async (_what, options, cause) => {
      const m = moto();
      const world = await ecsWorld(m);
      await registerEcsWorkload(m, world);
      const hooks = harnessHooks(m, world, options);

      const run = await runMachine(
        'migration',
        { workloadId: 'checkout-api', shadowUnits: 2 },
        { name: 'mig-rb', ...hooks },
      );

      expect(run).toMatchObject({ status: 'failed', error: 'MigrationRolledBack' });
      expect(run.cause).toMatch(cause);
      expect(await readWeights(m, world)).toMatchObject({ primary: 100, shadow: 0 });
      expect((await shadowService(m, world))?.desiredCount).toBe(0);
      expect((await m.repos.operations.get('mig-rb'))?.status).toBe('rolled-back');
      expect(await m.repos.operations.getLease('checkout-api')).toBeUndefined();
    },
  );

  it('a crash mid-bake, then a rerun resumes from the weights on the listener and finishes', async () => {
    const m = moto();
    const world = await ecsWorld(m);
    await registerEcsWorkload(m, world);
    const hooks = harnessHooks(m, world);
    let shifts = 0;

    const crashed = await runMachine(
      'migration',
      { workloadId: 'checkout-api', shadowUnits: 2 },
      { name: 'mig-crash', ...hooks, crashAfter: (state) => state === 'Shift' && ++shifts === 2 },
    );

    expect(crashed.status).toBe('failed');
    expect(await readWeights(m, world)).toMatchObject({ primary: 75, shadow: 25 });
    const rerun = await runMachine(
      'migration',
      { workloadId: 'checkout-api', shadowUnits: 2 },
      { name: 'mig-crash', ...hooks },
    );
    expect(rerun).toMatchObject({ status: 'succeeded' });
    expect(await readWeights(m, world)).toMatchObject({ primary: 0, shadow: 100 });
    const op = await m.repos.operations.get('mig-crash');
    expect(op?.steps.filter((s) => s.name === 'provisioned')).toHaveLength(1);
    expect(op?.steps.filter((s) => s.name === 'shifted').map((s) => s.weights?.shadow)).toEqual([
      10, 25, 50, 100,
    ]);
    const tags = await m.ecs.send(
      new ListTagsForResourceCommand({ resourceArn: (await shadowService(m, world))?.serviceArn }),
    );
    expect(tags.tags).toEqual(expect.arrayContaining([{ key: 'shadowscale:managed', value: 'true' }]));
  });

  it('the listener-rule variant moves the rule and keeps its stickiness', async () => {
    const m = moto();
    const world = await ecsWorld(m, { rule: true, stickiness: true });
    await registerEcsWorkload(m, world);
    const hooks = harnessHooks(m, world);

    const run = await runMachine(
      'migration',
      { workloadId: 'checkout-api', shadowUnits: 2 },
      { name: 'mig-rule', ...hooks },
    );

    expect([run.status, run.cause]).toEqual(['succeeded', undefined]);
    expect(hooks.weights.map((w) => w.shadow)).toEqual([10, 25, 50, 100]);
    expect(hooks.weights.every((w) => w.stickiness)).toBe(true);
    const targets = await m.elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: world.shadowTargetGroupArn }),
    );
    expect(targets.TargetHealthDescriptions?.length).toBe(2);
  });
});
