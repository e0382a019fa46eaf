import {
  ConflictError,
  describeError,
  GateFailedError,
  isShadowscaleError,
  LeaseHeldError,
  NoDataError,
  RETRYABLE_ERROR_NAMES,
  ShadowscaleError,
  TransientError,
  ValidationError,
  WeightMismatchError,
} from '../../shared/errors';

describe('errors', () => {
  it.each([
    [new ValidationError('bad'), 'ValidationError'],
    [new ConflictError('stale'), 'ConflictError'],
    [new NoDataError('none'), 'NoDataError'],
    [new GateFailedError('5xx'), 'GateFailedError'],
    [new WeightMismatchError('read back 90/10'), 'WeightMismatchError'],
    [new TransientError('throttled'), 'TransientError'],
  ])('%p has the stable name %s that Step Functions matches on', (error, name) => {
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(ShadowscaleError);
    expect(error).toBeInstanceOf(Error);
    expect(isShadowscaleError(error)).toBe(true);
    expect(describeError(error)).toBe(`${name}: ${error.message}`);
  });

  it('keeps the cause', () => {
    const cause = new Error('ThrottlingException');
    const error = new TransientError('cloudwatch throttled', { cause });
    expect(error.cause).toBe(cause);
    expect(new ConflictError('x').cause).toBeUndefined();
  });

  it('names the lease holder and expiry', () => {
    const error = new LeaseHeldError('checkout-api', 'op-7', Date.UTC(2026, 0, 1, 12));
    expect(error.message).toBe(
      'workload checkout-api is leased by operation op-7 until 2026-01-01T12:00:00.000Z',
    );
    expect(error.holder).toBe('op-7');
  });

  it('keeps validation issues', () => {
    const error = new ValidationError('bad', [{ path: 'a.b', message: 'wrong', received: 3 }]);
    expect(error.issues).toEqual([{ path: 'a.b', message: 'wrong', received: 3 }]);
  });

  it('lists only names that exist as retryable', () => {
    expect(RETRYABLE_ERROR_NAMES).toEqual(['TransientError', 'ConflictError']);
    expect(describeError('plain')).toBe('plain');
  });
});
