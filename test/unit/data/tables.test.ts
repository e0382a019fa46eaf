import type { TableName as ManifestTableName } from '../../../functions/manifest';
import {
  createTableInput,
  DEFAULT_TABLE_PREFIX,
  INDEX,
  TABLE_ENV_VARS,
  TABLE_NAMES,
  TABLE_PREFIX_ENV,
  TABLES,
  type TableName,
  tableNamesFromEnv,
  tableNamesFromPrefix,
} from '../../../shared/data/tables';
import { ConfigError } from '../../../shared/errors';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('table descriptions', () => {
  it('names the same tables as functions/manifest.ts, each described once', () => {
    const agree: Same<TableName, ManifestTableName> = true;
    expect(agree).toBe(true);
    expect(Object.keys(TABLES).sort()).toEqual([...TABLE_NAMES].sort());
    for (const name of TABLE_NAMES) expect(TABLES[name].name).toBe(name);
  });

  it.each(TABLE_NAMES.map((name) => [name]))(
    '%s: every key and index attribute is defined exactly once',
    (name) => {
      const input = createTableInput(TABLES[name], `x-${name}`);
      const defined = (input.AttributeDefinitions ?? []).map((a) => a.AttributeName);
      expect(new Set(defined).size).toBe(defined.length);
      const used = [
        ...(input.KeySchema ?? []).map((k) => k.AttributeName),
        ...(input.GlobalSecondaryIndexes ?? []).flatMap((i) =>
          (i.KeySchema ?? []).map((k) => k.AttributeName),
        ),
      ];
      expect([...new Set(used)].sort()).toEqual([...defined].sort());
      expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    },
  );

  it('keeps the index names the repositories query', () => {
    const indexNames = (name: TableName) => TABLES[name].globalSecondaryIndexes.map((i) => i.indexName);
    expect(indexNames('workloads')).toEqual([INDEX.workloadsList]);
    expect(indexNames('signals').sort()).toEqual([INDEX.signalsByTag, INDEX.signalsByWorkload].sort());
    expect(indexNames('operations').sort()).toEqual(
      [INDEX.operationsByWorkload, INDEX.operationsRecent].sort(),
    );
  });

  it('uses the Powertools idempotency defaults', () => {
    expect(TABLES.idempotency.partitionKey).toEqual({ name: 'id', type: 'S' });
    expect(TABLES.idempotency.ttlAttribute).toBe('expiration');
  });
});

describe('table names', () => {
  it('defaults to shadowscale-<name>', () => {
    expect(tableNamesFromEnv({})).toEqual({
      workloads: 'shadowscale-workloads',
      predictions: 'shadowscale-predictions',
      signals: 'shadowscale-signals',
      operations: 'shadowscale-operations',
      idempotency: 'shadowscale-idempotency',
    });
    expect(tableNamesFromPrefix()).toEqual(tableNamesFromEnv({}));
    expect(DEFAULT_TABLE_PREFIX).toBe('shadowscale');
  });

  it('takes the prefix from the environment, the flag over it, and per-table variables over both', () => {
    const env = {
      [TABLE_PREFIX_ENV]: 'stage',
      [TABLE_ENV_VARS.operations]: 'ops-table',
      [TABLE_ENV_VARS.signals]: ' ',
    };
    expect(tableNamesFromEnv(env)).toMatchObject({
      workloads: 'stage-workloads',
      operations: 'ops-table',
      signals: 'stage-signals',
    });
    expect(tableNamesFromEnv(env, 'flag')).toMatchObject({
      workloads: 'flag-workloads',
      operations: 'ops-table',
    });
    expect(TABLE_ENV_VARS.workloads).toBe('SHADOWSCALE_WORKLOADS_TABLE');
  });

  it.each([['has space'], ['a/b']])('refuses an invalid prefix %p with ConfigError naming it', (prefix) => {
    expect(() => tableNamesFromPrefix(prefix)).toThrow(ConfigError);
    expect(() => tableNamesFromPrefix(prefix)).toThrow(JSON.stringify(prefix));
  });
});
