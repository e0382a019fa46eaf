import type { BilledTable } from '../../shared/cost/dynamodb';

/**
 * Writes to tables with global secondary indexes, each with the request units DynamoDB bills for
 * it (table item plus index entries). The same cases run against the meter (a unit test) and
 * against AWS's DynamoDB Local (an e2e test), so the expected units are the emulator's, not ours.
 */

type Item = Record<string, unknown>;

export const ALL_INDEXED: BilledTable = {
  partitionKey: { name: 'pk', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byList',
      partitionKey: { name: 'listKey', type: 'S' },
      sortKey: { name: 'pk', type: 'S' },
      projection: 'ALL',
    },
  ],
};

export const KEYS_INDEXED: BilledTable = {
  partitionKey: { name: 'pk', type: 'S' },
  globalSecondaryIndexes: [
    { indexName: 'byList', partitionKey: { name: 'listKey', type: 'S' }, projection: 'KEYS_ONLY' },
  ],
};

const body = (bytes: number): Item => ({ body: 'x'.repeat(bytes) });

export interface IndexWriteCase {
  readonly name: string;
  readonly table: 'all' | 'keys';
  /** The stored item before the request (none: absent). */
  readonly before?: Item;
  /** The request: put this item, or delete the key. */
  readonly request: { readonly put: Item } | { readonly delete: Item };
  readonly units: number;
}

export const INDEX_WRITE_CASES: readonly IndexWriteCase[] = [
  {
    name: 'a new item in the index: table and entry',
    table: 'all',
    request: { put: { pk: 'a', listKey: 'w', ...body(1500) } },
    units: 4,
  },
  {
    name: 'a bigger replacement, same index key: the larger item twice',
    table: 'all',
    before: { pk: 'a', listKey: 'w', ...body(1500) },
    request: { put: { pk: 'a', listKey: 'w', ...body(2500) } },
    units: 6,
  },
  {
    name: 'a smaller replacement: still the larger item twice',
    table: 'all',
    before: { pk: 'a', listKey: 'w', ...body(2500) },
    request: { put: { pk: 'a', listKey: 'w', ...body(500) } },
    units: 6,
  },
  {
    name: 'the index key changes: remove the old entry, add the new',
    table: 'all',
    before: { pk: 'a', listKey: 'w', ...body(500) },
    request: { put: { pk: 'a', listKey: 'v', ...body(1500) } },
    units: 5,
  },
  {
    name: 'the index key goes away (sparse): remove the entry',
    table: 'all',
    before: { pk: 'a', listKey: 'w', ...body(1500) },
    request: { put: { pk: 'a', ...body(100) } },
    units: 4,
  },
  {
    name: 'an item without the index key: the table only',
    table: 'all',
    request: { put: { pk: 'a', ...body(1500) } },
    units: 2,
  },
  {
    name: 'an unchanged item: the table only',
    table: 'all',
    before: { pk: 'a', listKey: 'w', ...body(2500) },
    request: { put: { pk: 'a', listKey: 'w', ...body(2500) } },
    units: 3,
  },
  {
    name: 'a delete of an indexed item: table and entry',
    table: 'all',
    before: { pk: 'a', listKey: 'w', ...body(2500) },
    request: { delete: { pk: 'a' } },
    units: 6,
  },
  {
    name: 'a delete of nothing: the minimum',
    table: 'all',
    request: { delete: { pk: 'a' } },
    units: 1,
  },
  {
    name: 'keys only, a new item: the entry is only keys',
    table: 'keys',
    request: { put: { pk: 'a', listKey: 'w', ...body(2500) } },
    units: 4,
  },
  {
    name: 'keys only, a replacement with the same key: the table only',
    table: 'keys',
    before: { pk: 'a', listKey: 'w', ...body(2500) },
    request: { put: { pk: 'a', listKey: 'w', ...body(2400) } },
    units: 3,
  },
  {
    name: 'keys only, the index key changes: two small entries',
    table: 'keys',
    before: { pk: 'a', listKey: 'w', ...body(2500) },
    request: { put: { pk: 'a', listKey: 'v', ...body(2400) } },
    units: 5,
  },
];
