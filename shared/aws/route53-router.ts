import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { ConfigError, NotFoundError, TransientError } from '../errors';
import type { RegionRouter, RegionWeights } from '../ports/traffic';
import type { RegionDns, Workload } from '../schemas/workload';
import { Backoff, type BackoffOptions } from './backoff';
import { awsFailure } from './common';

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw awsFailure(error, what);
  }
}

/** Route 53 returns names fully qualified, lower-case, with `*` escaped as `\052`. */
export function normaliseName(name: string): string {
  const lower = name.toLowerCase().replace(/\\052/g, '*');
  return lower.endsWith('.') ? lower : `${lower}.`;
}

export function dnsOf(workload: Workload): RegionDns {
  const dns = workload.failover?.dns;
  if (!dns) throw new ConfigError(`workload ${workload.workloadId} has no failover.dns record set`);
  return dns;
}

/** The SetIdentifier of each region's record (default: the region code). */
export function setIdentifiers(dns: RegionDns): Map<string, string> {
  const out = new Map<string, string>();
  for (const [region, endpoint] of Object.entries(dns.endpoints))
    out.set(endpoint.setIdentifier ?? region, region);
  return out;
}

/** The full weighted record Route 53 expects in an UPSERT (a change replaces the whole record). */
export function weightedRecord(
  dns: RegionDns,
  region: string,
  weight: number,
  ttlSeconds: number = dns.ttlSeconds,
): ResourceRecordSet {
  const endpoint = dns.endpoints[region];
  if (!endpoint) throw new ConfigError(`failover.dns.endpoints has no entry for region ${region}`);
  if (!Number.isInteger(weight) || weight < 0 || weight > 255) {
    throw new ConfigError(`weight ${weight} for region ${region}: Route 53 weights are integers 0-255`);
  }
  return {
    Name: normaliseName(dns.recordName),
    Type: dns.recordType,
    SetIdentifier: endpoint.setIdentifier ?? region,
    Weight: weight,
    ...(endpoint.alias
      ? {
          AliasTarget: {
            HostedZoneId: endpoint.alias.hostedZoneId,
            DNSName: endpoint.alias.dnsName,
            EvaluateTargetHealth: endpoint.alias.evaluateTargetHealth,
          },
        }
      : { TTL: ttlSeconds, ResourceRecords: [{ Value: endpoint.value ?? '' }] }),
    ...(endpoint.healthCheckId ? { HealthCheckId: endpoint.healthCheckId } : {}),
  };
}

/**
 * Percent weights from the weighted records of the set. A region whose record is absent gets no
 * traffic (0). Route 53 answers with equal probability when every weight is 0; that is reported
 * as an equal split, since that is what resolvers get.
 */
export function weightsFromRecords(records: readonly ResourceRecordSet[], dns: RegionDns): RegionWeights {
  const ids = setIdentifiers(dns);
  const name = normaliseName(dns.recordName);
  const raw: Record<string, number> = {};
  for (const region of Object.keys(dns.endpoints)) raw[region] = 0;
  let found = 0;
  for (const record of records) {
    if (!record.Name || normaliseName(record.Name) !== name || record.Type !== dns.recordType) continue;
    const region = record.SetIdentifier ? ids.get(record.SetIdentifier) : undefined;
    if (!region) continue;
    if (record.Weight === undefined) {
      throw new ConfigError(
        `record ${name} ${dns.recordType} ${record.SetIdentifier} is not a weighted record`,
      );
    }
    raw[region] = record.Weight;
    found++;
  }
  if (found === 0) {
    throw new NotFoundError(
      `no weighted ${dns.recordType} records for ${name} in hosted zone ${dns.hostedZoneId}`,
    );
  }
  const regions = Object.keys(raw);
  const total = regions.reduce((sum, r) => sum + (raw[r] ?? 0), 0);
  const out: RegionWeights = {};
  if (total === 0) {
    regions.forEach((r, i) => {
      out[r] = Math.floor(100 / regions.length) + (i < 100 % regions.length ? 1 : 0);
    });
    return out;
  }
  // Largest remainder, so the percents sum to exactly 100.
  const exact = regions.map((r) => ({ r, v: (100 * (raw[r] ?? 0)) / total }));
  let left = 100;
  for (const e of exact) {
    out[e.r] = Math.floor(e.v);
    left -= Math.floor(e.v);
  }
  exact.sort((a, b) => (b.v % 1) - (a.v % 1));
  for (let i = 0; i < left; i++) {
    const e = exact[i % exact.length] as { r: string };
    out[e.r] = (out[e.r] ?? 0) + 1;
  }
  return out;
}

export interface Route53RouterOptions {
  /** GetChange polling until INSYNC: bounded, exponential backoff with jitter. */
  insync?: BackoffOptions;
}

/**
 * `RegionRouter` on Route 53 weighted records (same name and type, one SetIdentifier per region,
 * weight 0-255; we write percents). `setWeights` sends every region's record in one
 * ChangeResourceRecordSets batch (applied atomically) and waits with GetChange until the change
 * is INSYNC on all authoritative servers; past the bound it throws TransientError so the state
 * machine retries the (idempotent) UPSERT. `getWeights` reads the records back with
 * ListResourceRecordSets, which `setAndVerifyRegions` compares before anything else moves.
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-weighted.html
 */
export class Route53RegionRouter implements RegionRouter {
  private readonly insync: Backoff;

  constructor(
    private readonly client: Route53Client,
    options: Route53RouterOptions = {},
  ) {
    // Changes usually propagate within 60 s: about 2 minutes of polling before giving up.
    this.insync = new Backoff(options.insync ?? {}, {
      maxAttempts: 12,
      baseDelayMs: 2_000,
      maxDelayMs: 15_000,
    });
  }

  async getWeights(workload: Workload): Promise<RegionWeights> {
    const dns = dnsOf(workload);
    return weightsFromRecords(await this.records(dns), dns);
  }

  /**
   * The TTL of the set's records as ListResourceRecordSets reads them back: the largest over the
   * regions' records (what a resolver may hold); undefined when every record is an alias.
   */
  async getTtl(workload: Workload): Promise<number | undefined> {
    const dns = dnsOf(workload);
    const ids = setIdentifiers(dns);
    const name = normaliseName(dns.recordName);
    const ttls = (await this.records(dns))
      .filter(
        (r) =>
          r.Name !== undefined &&
          normaliseName(r.Name) === name &&
          r.Type === dns.recordType &&
          r.SetIdentifier !== undefined &&
          ids.has(r.SetIdentifier) &&
          r.TTL !== undefined,
      )
      .map((r) => r.TTL as number);
    return ttls.length > 0 ? Math.max(...ttls) : undefined;
  }

  /** The record set's records, paging ListResourceRecordSets from its name and type. */
  private async records(dns: RegionDns): Promise<ResourceRecordSet[]> {
    const name = normaliseName(dns.recordName);
    const records: ResourceRecordSet[] = [];
    let start: { name?: string; type?: string; id?: string } = { name, type: dns.recordType };
    // Records are sorted by name then type: page until past ours.
    for (let page = 0; page < 20; page++) {
      const out = await call('ListResourceRecordSets', () =>
        this.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: dns.hostedZoneId,
            StartRecordName: start.name,
            StartRecordType: start.type as never,
            ...(start.id ? { StartRecordIdentifier: start.id } : {}),
          }),
        ),
      );
      const batch = out.ResourceRecordSets ?? [];
      records.push(...batch);
      const past = batch.some(
        (r) => r.Name !== undefined && (normaliseName(r.Name) !== name || r.Type !== dns.recordType),
      );
      if (!out.IsTruncated || past) break;
      start = { name: out.NextRecordName, type: out.NextRecordType, id: out.NextRecordIdentifier };
    }
    return records;
  }

  async setWeights(
    workload: Workload,
    weights: RegionWeights,
    options: { ttlSeconds?: number } = {},
  ): Promise<void> {
    const dns = dnsOf(workload);
    const changes = Object.keys(dns.endpoints).map((region) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: weightedRecord(
        dns,
        region,
        weights[region] ?? 0,
        options.ttlSeconds ?? dns.ttlSeconds,
      ),
    }));
    const out = await call('ChangeResourceRecordSets', () =>
      this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: dns.hostedZoneId,
          ChangeBatch: { Comment: `shadowscale ${workload.workloadId}`, Changes: changes },
        }),
      ),
    );
    const changeId = out.ChangeInfo?.Id;
    if (!changeId) throw new TransientError('ChangeResourceRecordSets returned no change id');
    if (out.ChangeInfo?.Status === 'INSYNC') return;
    await this.waitInsync(changeId);
  }

  /** Polls GetChange until INSYNC; TransientError past the bound (the UPSERT is safe to repeat). */
  async waitInsync(changeId: string): Promise<void> {
    for (let attempt = 1; attempt <= this.insync.maxAttempts; attempt++) {
      await this.insync.wait(attempt);
      const out = await call('GetChange', () => this.client.send(new GetChangeCommand({ Id: changeId })));
      if (out.ChangeInfo?.Status === 'INSYNC') return;
    }
    throw new TransientError(`Route 53 change ${changeId} not INSYNC after ${this.insync.maxAttempts} polls`);
  }
}
