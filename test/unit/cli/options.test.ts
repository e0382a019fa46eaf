import { InvalidArgumentError } from 'commander';
import { parseDuration, parseHeadrooms, parseQuantiles, parseSteps } from '../../../bin/cli/options';

describe('CLI option parsers', () => {
  it.each([
    ['90s', 90_000],
    ['3m', 180_000],
    ['24h', 86_400_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
  ])('parses duration %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '3', 'h', '-3m', '0s', '3 minutes'])('rejects duration %p', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
  });

  it('parses, sorts and de-duplicates quantiles', () => {
    expect(parseQuantiles('0.95,0.5,0.8,0.5')).toEqual([0.5, 0.8, 0.95]);
  });

  it.each(['0', '1', '0.5,', 'abc', '0.5,1.2'])('rejects quantiles %p', (text) => {
    expect(() => parseQuantiles(text)).toThrow(InvalidArgumentError);
  });

  it('parses headroom caps ("none" = no cap), sorted and de-duplicated', () => {
    expect(parseHeadrooms('0.2,none,0.05,0.2')).toEqual([0.05, 0.2, Number.POSITIVE_INFINITY]);
  });

  it.each(['0', '-0.1', '0.1,', 'abc', 'Infinity,0.1x'])('rejects headrooms %p', (text) => {
    expect(() => parseHeadrooms(text)).toThrow(/headroom .* must be a number > 0 or "none"/);
  });

  it('parses steps and rejects bad ones', () => {
    expect(parseSteps('10,25,50,100')).toEqual([10, 25, 50, 100]);
    for (const bad of ['10,5,100', '10,50', '0,100', '10,abc,100', '10,25.5,100']) {
      expect(() => parseSteps(bad)).toThrow(InvalidArgumentError);
    }
  });
});
