import { readConfig } from '../../infra/config';
import { ValidationError } from '../../shared/errors';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

describe('readConfig', () => {
  it('fills defaults from a primary region alone', () => {
    const config = readConfig(context({ 'shadowscale:primaryRegion': 'eu-west-1' }));
    expect(config).toMatchObject({
      primaryRegion: 'eu-west-1',
      forecastSchedule: 'rate(5 minutes)',
      tablePrefix: 'shadowscale',
      tableRemovalPolicy: 'retain',
      demo: false,
      logRetentionDays: 30,
      managed: { listenerArns: [], ecsClusters: [] },
    });
    expect(config.standbyRegion).toBeUndefined();
  });

  it('parses command-line strings (-c key=value)', () => {
    const config = readConfig(
      context({
        'shadowscale:primaryRegion': 'us-east-1',
        'shadowscale:standbyRegion': 'us-west-2',
        'shadowscale:demo': 'true',
        'shadowscale:logRetentionDays': '90',
        'shadowscale:managed': '{"ecsClusters":["prod"]}',
        'shadowscale:account': '012345678901',
      }),
    );
    expect(config.account).toBe('012345678901');
    expect(config).toMatchObject({ standbyRegion: 'us-west-2', demo: true, logRetentionDays: 90 });
    expect(config.managed.ecsClusters).toEqual(['prod']);
  });

  it.each([
    [{ 'shadowscale:primaryRegion': 'mars-1' }, 'primaryRegion'],
    [{ 'shadowscale:primaryRegion': 'us-east-1', 'shadowscale:standbyRegion': 'us-east-1' }, 'standbyRegion'],
    [
      { 'shadowscale:primaryRegion': 'us-east-1', 'shadowscale:forecastSchedule': 'every 5 minutes' },
      'forecastSchedule',
    ],
    [{ 'shadowscale:primaryRegion': 'us-east-1', 'shadowscale:logRetentionDays': 8 }, 'logRetentionDays'],
    [{ 'shadowscale:primaryRegion': 'us-east-1', 'shadowscale:alarmEmail': 'nobody' }, 'alarmEmail'],
    [
      { 'shadowscale:primaryRegion': 'us-east-1', 'shadowscale:managed': { listenerArns: ['listener'] } },
      'managed.listenerArns[0]',
    ],
  ])('refuses %j naming %s', (values, field) => {
    expect(() => readConfig(context(values))).toThrow(ValidationError);
    expect(() => readConfig(context(values))).toThrow(field);
  });

  it('refuses an unknown shadowscale:* key (a typo) instead of ignoring it', () => {
    const values = { 'shadowscale:primaryRegion': 'us-east-1', 'shadowscale:primaryRegon': 'eu-west-1' };
    expect(() => readConfig(context(values), Object.keys(values))).toThrow('primaryRegon');
  });
});
