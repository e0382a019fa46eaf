import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli';

/** Bad input, wherever it comes from (a flag, a file, a port), exits 2 with one line on stderr. */
describe('bad input exits 2 with one line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-bad-input-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const oneLine = (err: string): string[] => err.trim().split('\n');

  const semicolons = () =>
    file('semicolon.csv', 'timestamp;value\n2024-01-01T00:00:00Z;5\n2024-01-01T00:05:00Z;6\n');
  const usDates = () => file('us-dates.csv', 'timestamp,value\n01/02/2024 10:00,5\n01/02/2024 10:05,6\n');

  it.each([
    ['local --trace <semicolon csv>', () => ['local', '--trace', semicolons(), '--quiet']],
    ['local --trace <non-ISO timestamps>', () => ['local', '--trace', usDates(), '--quiet']],
    ['forecast --input <non-ISO timestamps>', () => ['forecast', '--input', usDates(), '--horizon', '1h']],
    ['backtest --trace <semicolon csv>', () => ['backtest', '--trace', semicolons()]],
    ['an unknown flag', () => ['validate', '--frobnicate']],
    ['bench cost --workloads 0', () => ['bench', 'cost', '--workloads', '0']],
    ['bench cost --region <unpriced>', () => ['bench', 'cost', '--workloads', '10', '--region', 'mars-1']],
    [
      'bench cost --traces <missing dir>',
      () => ['bench', 'cost', '--workloads', '10', '--traces', join(dir, 'none')],
    ],
  ])('%s', async (_name, args) => {
    const { code, err } = await runCli(...args());
    expect(code).toBe(2);
    expect(oneLine(err)).toHaveLength(1);
    expect(err).not.toContain('--debug');
  });

  describe('an occupied --port', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('local --port <in use>', async () => {
      const { code, err } = await runCli('local', '--port', String(port), '--quiet', '--days', '1');
      expect(code).toBe(2);
      expect(oneLine(err)).toHaveLength(1);
      expect(err).toContain(`--port ${port}`);
      expect(err).toContain('in use');
    });
  });
});
