import { meterDelete, meterWrite } from '../../../shared/cost/dynamodb';
import { MemoryMeter } from '../../../shared/cost/meter';
import { TABLES } from '../../../shared/data/tables';
import { ALL_INDEXED, INDEX_WRITE_CASES, KEYS_INDEXED } from '../../helpers/index-writes';

describe('DynamoDB write units with global secondary indexes', () => {
  it.each(INDEX_WRITE_CASES)('$name: $units units', ({ table, before, request, units }) => {
    const spec = table === 'all' ? ALL_INDEXED : KEYS_INDEXED;
    const meter = new MemoryMeter();
    if ('put' in request) meterWrite(meter, spec, { item: request.put, old: before });
    else meterDelete(meter, spec, before);
    expect(meter.take()['dynamodb.write-units']).toBe(units);
  });

  it('bills no index change when the condition failed', () => {
    const meter = new MemoryMeter();
    const item = { pk: 'a', listKey: 'w', body: 'x'.repeat(1500) };
    meterWrite(meter, ALL_INDEXED, { item, written: false });
    expect(meter.take()['dynamodb.write-units']).toBe(2);
  });

  it('bills the sparse operations indexes only for items that carry their keys', () => {
    const meter = new MemoryMeter();
    // A lease item carries neither workloadKey nor listKey: the table only.
    meterWrite(meter, TABLES.operations, { item: { pk: 'lease#w', holder: 'h', expiresAt: 1 } });
    expect(meter.take()['dynamodb.write-units']).toBe(1);
    // An operation item is in both indexes.
    meterWrite(meter, TABLES.operations, {
      item: { pk: 'op#1', workloadKey: 'w', listKey: 'operation', startedAt: 1 },
    });
    expect(meter.take()['dynamodb.write-units']).toBe(3);
  });

  it('compares stored values deeply: a map with the same content in another order is unchanged', () => {
    const meter = new MemoryMeter();
    const old = { pk: 'a', listKey: 'w', m: { x: 1, y: [1, { z: 'q' }] } };
    meterWrite(meter, ALL_INDEXED, { item: { listKey: 'w', pk: 'a', m: { y: [1, { z: 'q' }], x: 1 } }, old });
    expect(meter.take()['dynamodb.write-units']).toBe(1);
    meterWrite(meter, ALL_INDEXED, { item: { pk: 'a', listKey: 'w', m: { x: 1, y: [1, { z: 'r' }] } }, old });
    expect(meter.take()['dynamodb.write-units']).toBe(2);
  });
});
