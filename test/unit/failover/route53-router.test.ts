import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import {
  normaliseName,
  Route53RegionRouter,
  weightedRecord,
  weightsFromRecords,
} from '../../../shared/aws/route53-router';
import { ConfigError, NotFoundError, TransientError, WeightMismatchError } from '../../../shared/errors';
import { setAndVerifyRegions } from '../../../shared/failover/dns';
import { Workload } from '../../../shared/schemas/workload';
import { failoverWorkloadInput, HOME, STANDBY, ZONE } from '../../helpers/failover';

const r53 = mockClient(Route53Client);
const workload = Workload.parse(failoverWorkloadInput());
const dns = workload.failover?.dns as NonNullable<Workload['failover']>['dns'];
const noWait = { insync: { sleep: async () => {}, maxAttempts: 4 } };

/** A hosted zone whose records change on ChangeResourceRecordSets once the change is INSYNC. */
function statefulZone(options: { pendingPolls?: number; lose?: boolean } = {}) {
  let records: ResourceRecordSet[] = [
    weightedRecord(dns, HOME, 100),
    weightedRecord(dns, STANDBY, 0),
    { Name: 'zz.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] },
  ];
  let polls = 0;
  r53.on(ListResourceRecordSetsCommand).callsFake(async () => ({
    ResourceRecordSets: records,
    IsTruncated: false,
    MaxItems: 100,
  }));
  r53
    .on(ChangeResourceRecordSetsCommand)
    .callsFake(async (input: { ChangeBatch: { Changes: { ResourceRecordSet: ResourceRecordSet }[] } }) => {
      if (!options.lose) {
        for (const change of input.ChangeBatch.Changes) {
          const set = change.ResourceRecordSet;
          records = records.filter((r) => !(r.Name === set.Name && r.SetIdentifier === set.SetIdentifier));
          records.unshift(set);
        }
      }
      return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } };
    });
  r53.on(GetChangeCommand).callsFake(async () => {
    polls++;
    const status = polls > (options.pendingPolls ?? 1) ? 'INSYNC' : 'PENDING';
    return { ChangeInfo: { Id: '/change/C1', Status: status, SubmittedAt: new Date() } };
  });
  return { polls: () => polls };
}

beforeEach(() => r53.reset());

describe('weighted records', () => {
  it('builds the full record: name, type, SetIdentifier, weight, TTL, value, health check', () => {
    expect(weightedRecord(dns, HOME, 75)).toEqual({
      Name: 'api.example.com.',
      Type: 'CNAME',
      SetIdentifier: HOME,
      Weight: 75,
      TTL: 60,
      ResourceRecords: [{ Value: 'prod-alb-1.us-east-1.elb.amazonaws.com' }],
      HealthCheckId: '11111111-2222-3333-4444-555555555555',
    });
    expect(weightedRecord(dns, STANDBY, 25)).not.toHaveProperty('HealthCheckId');
  });

  it('alias endpoints carry no TTL', () => {
    const input = failoverWorkloadInput();
    const endpoints = input.failover?.dns.endpoints ?? {};
    endpoints[STANDBY] = {
      alias: { hostedZoneId: 'Z1H1FL5HABSF5', dnsName: 'prod-alb-2.elb.amazonaws.com' },
    };
    const w = Workload.parse(input);
    const record = weightedRecord(w.failover?.dns as typeof dns, STANDBY, 10);
    expect(record).toMatchObject({
      AliasTarget: {
        HostedZoneId: 'Z1H1FL5HABSF5',
        DNSName: 'prod-alb-2.elb.amazonaws.com',
        EvaluateTargetHealth: true,
      },
    });
    expect(record).not.toHaveProperty('TTL');
  });

  it.each([-1, 256, 1.5])('refuses weight %p (Route 53 takes 0-255)', (weight) => {
    expect(() => weightedRecord(dns, HOME, weight)).toThrow(ConfigError);
  });

  it.each([
    ['100/0', 100, 0, { [HOME]: 100, [STANDBY]: 0 }],
    ['raw 3/1 -> percents', 3, 1, { [HOME]: 75, [STANDBY]: 25 }],
    ['all zero answers evenly', 0, 0, { [HOME]: 50, [STANDBY]: 50 }],
    ['1/2 rounds to 100 exactly', 1, 2, { [HOME]: 33, [STANDBY]: 67 }],
  ])('reads %s', (_name, home, standby, expected) => {
    const records = [weightedRecord(dns, HOME, home), weightedRecord(dns, STANDBY, standby)];
    expect(weightsFromRecords(records, dns)).toEqual(expected);
  });

  it('matches names case-insensitively and with the escaped wildcard', () => {
    expect(normaliseName('\\052.Example.COM')).toBe('*.example.com.');
  });

  it('a region without a record gets 0; no record at all is NotFoundError', () => {
    expect(weightsFromRecords([weightedRecord(dns, HOME, 10)], dns)).toEqual({ [HOME]: 100, [STANDBY]: 0 });
    expect(() => weightsFromRecords([], dns)).toThrow(NotFoundError);
  });
});

describe('Route53RegionRouter', () => {
  it('one UPSERT batch per step, waits until INSYNC, reads the weights back', async () => {
    const zone = statefulZone({ pendingPolls: 2 });
    const router = new Route53RegionRouter(new Route53Client({}), noWait);
    const verified = await setAndVerifyRegions(router, workload, { primary: 75, shadow: 25 });
    expect(verified).toEqual({ primary: 75, shadow: 25 });
    const change = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input;
    expect(change?.HostedZoneId).toBe(ZONE);
    expect(
      change?.ChangeBatch?.Changes?.map((c) => [
        c.Action,
        c.ResourceRecordSet?.SetIdentifier,
        c.ResourceRecordSet?.Weight,
      ]),
    ).toEqual([
      ['UPSERT', HOME, 75],
      ['UPSERT', STANDBY, 25],
    ]);
    expect(zone.polls()).toBe(3);
    expect(r53.commandCalls(GetChangeCommand)[0]?.args[0].input).toEqual({ Id: '/change/C1' });
    expect(r53.commandCalls(ListResourceRecordSetsCommand)[0]?.args[0].input).toMatchObject({
      HostedZoneId: ZONE,
      StartRecordName: 'api.example.com.',
      StartRecordType: 'CNAME',
    });
  });

  it('a change never INSYNC within the bound is a TransientError (the state machine retries)', async () => {
    statefulZone({ pendingPolls: 99 });
    const router = new Route53RegionRouter(new Route53Client({}), noWait);
    await expect(router.setWeights(workload, { [HOME]: 50, [STANDBY]: 50 })).rejects.toThrow(TransientError);
    expect(r53.commandCalls(GetChangeCommand)).toHaveLength(4);
  });

  it('a weight that does not read back is WeightMismatchError', async () => {
    statefulZone({ lose: true });
    const router = new Route53RegionRouter(new Route53Client({}), noWait);
    await expect(setAndVerifyRegions(router, workload, { primary: 50, shadow: 50 })).rejects.toThrow(
      WeightMismatchError,
    );
  });

  it('a TTL change goes in the same UPSERT batch and is read back with the weights', async () => {
    // Prepare
    statefulZone();
    const router = new Route53RegionRouter(new Route53Client({}), noWait);

    // Act
    const verified = await setAndVerifyRegions(
      router,
      workload,
      { primary: 100, shadow: 0 },
      { ttlSeconds: 10 },
    );

    // Assess: both records carry the lowered TTL, and it reads back
    expect(verified).toEqual({ primary: 100, shadow: 0 });
    const change = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input;
    expect(change?.ChangeBatch?.Changes?.map((c) => c.ResourceRecordSet?.TTL)).toEqual([10, 10]);
    await expect(router.getTtl(workload)).resolves.toBe(10);

    // Act: a write without a TTL puts the configured one back
    await setAndVerifyRegions(router, workload, { primary: 100, shadow: 0 });
    await expect(router.getTtl(workload)).resolves.toBe(dns.ttlSeconds);
  });

  it('a TTL that does not read back is WeightMismatchError', async () => {
    // Prepare: the zone keeps the weights but answers the old TTL
    statefulZone();
    const router = new Route53RegionRouter(new Route53Client({}), noWait);
    const real = router.getTtl.bind(router);
    jest.spyOn(router, 'getTtl').mockImplementation(async (w) => (await real(w)) && 60);

    // Act / Assess
    await expect(
      setAndVerifyRegions(router, workload, { primary: 100, shadow: 0 }, { ttlSeconds: 10 }),
    ).rejects.toThrow(/wrote TTL 10 s but read back 60 s/);
  });

  it("getTtl reads the set's own records only; an all-alias set has no TTL of ours", async () => {
    statefulZone();
    const router = new Route53RegionRouter(new Route53Client({}), noWait);
    await expect(router.getTtl(workload)).resolves.toBe(60);
    const input = failoverWorkloadInput();
    const endpoints = input.failover?.dns.endpoints ?? {};
    for (const region of [HOME, STANDBY]) {
      endpoints[region] = {
        alias: { hostedZoneId: 'Z1H1FL5HABSF5', dnsName: `${region}.elb.amazonaws.com` },
      };
    }
    const aliases = Workload.parse(input);
    const aliasDns = aliases.failover?.dns as NonNullable<Workload['failover']>['dns'];
    r53.reset();
    r53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [weightedRecord(aliasDns, HOME, 100), weightedRecord(aliasDns, STANDBY, 0)],
      IsTruncated: false,
      MaxItems: 100,
    });
    await expect(router.getTtl(aliases)).resolves.toBeUndefined();
  });

  it('throttling maps to TransientError', async () => {
    r53
      .on(ListResourceRecordSetsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const router = new Route53RegionRouter(new Route53Client({}), noWait);
    await expect(router.getWeights(workload)).rejects.toThrow(TransientError);
  });

  it('pages through ListResourceRecordSets until past the record set', async () => {
    r53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({
        ResourceRecordSets: [weightedRecord(dns, HOME, 40)],
        IsTruncated: true,
        NextRecordName: 'api.example.com.',
        NextRecordType: 'CNAME',
        NextRecordIdentifier: STANDBY,
        MaxItems: 1,
      })
      .resolvesOnce({
        ResourceRecordSets: [weightedRecord(dns, STANDBY, 60), { Name: 'b.example.com.', Type: 'A' }],
        IsTruncated: true,
        NextRecordName: 'c.example.com.',
        NextRecordType: 'A',
        MaxItems: 2,
      });
    const router = new Route53RegionRouter(new Route53Client({}), noWait);
    expect(await router.getWeights(workload)).toEqual({ [HOME]: 40, [STANDBY]: 60 });
    expect(r53.commandCalls(ListResourceRecordSetsCommand)[1]?.args[0].input).toMatchObject({
      StartRecordIdentifier: STANDBY,
    });
  });
});

describe('workload failover schema', () => {
  it('needs a standby region and an endpoint per region, named by field', () => {
    const noStandby = failoverWorkloadInput();
    noStandby.regions = { primary: HOME };
    expect(Workload.safeParse(noStandby).error?.issues[0]?.path).toEqual(['regions', 'standby']);
    const missing = failoverWorkloadInput();
    delete missing.failover?.dns.endpoints[STANDBY];
    expect(Workload.safeParse(missing).error?.issues[0]?.path).toEqual([
      'failover',
      'dns',
      'endpoints',
      STANDBY,
    ]);
    const both = failoverWorkloadInput();
    const home = both.failover?.dns.endpoints[HOME];
    if (home) home.alias = { hostedZoneId: 'Z1H1FL5HABSF5', dnsName: 'x.elb.amazonaws.com' };
    expect(Workload.safeParse(both).error?.issues[0]?.path).toEqual([
      'failover',
      'dns',
      'endpoints',
      HOME,
      'value',
    ]);
  });
});
