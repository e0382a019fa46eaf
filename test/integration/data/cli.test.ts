import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import { runCli } from '../../helpers/cli';
import { useDynamo } from '../../helpers/dynamo';
import { fixturePath, workloadInput } from '../../helpers/fixtures';
import { operationFixture, T0, uid } from '../../unit/data/repository-contract';

jest.setTimeout(60_000);

const run = runCli;

describe('shadowscale workloads / signals / ops against a local DynamoDB', () => {
  const dynamo = useDynamo('cli');
  const saved = { ...process.env };
  let dir: string;
  let prefix: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    const { endpoint, names } = dynamo();
    // The CLI takes its endpoint from the SDK's configuration, as a user would set it.
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    prefix = names.workloads.replace(/-workloads$/, '');
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  const writeJson = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('registers, lists and shows a workload; refuses a duplicate unless --replace', async () => {
    const id = uid('cli');
    const file = writeJson(`${id}.json`, { ...workloadInput(), workloadId: id });
    const registered = await run('workloads', 'register', '--file', file, '--table-prefix', prefix);
    expect(registered).toMatchObject({ code: 0, err: '' });
    expect(registered.out).toContain(`registered workload "${id}" (version 1)`);

    const again = await run('workloads', 'register', '--file', file, '--table-prefix', prefix);
    expect(again.code).toBe(1);
    expect(again.err).toContain('--replace');
    const replaced = await run(
      'workloads',
      'register',
      '--file',
      file,
      '--replace',
      '--table-prefix',
      prefix,
    );
    expect(replaced.out).toContain('(version 2)');

    const list = await run('workloads', 'list', '--table-prefix', prefix);
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[0]).toMatch(/^WORKLOAD\s+COMPUTE\s+REGIONS/);
    expect(list.out).toMatch(new RegExp(`${id}\\s+ecs prod/checkout-api\\s+us-east-1 > us-west-2\\s+2-20`));

    const show = await run('workloads', 'show', id, '--table-prefix', prefix);
    expect(show.code).toBe(0);
    const record = JSON.parse(show.out) as { version: number; workload: { workloadId: string } };
    expect(record).toMatchObject({ version: 2, workload: { workloadId: id } });
    // Never forecast yet: nothing to say about anomalies.
    expect(record).toMatchObject({ anomaly: null });

    const missing = await run('workloads', 'show', uid('nope'), '--table-prefix', prefix);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('NotFoundError');
  });

  it('exits 2 naming the field of an invalid workload file, before touching DynamoDB', async () => {
    const bad = await run(
      'workloads',
      'register',
      '--file',
      fixturePath('workloads', 'bad-max-units.json'),
      '--table-prefix',
      prefix,
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('`capacity.maxUnits` = "ten"');
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 naming a bad flag value', async () => {
    const badPrefix = await run('workloads', 'list', '--table-prefix', 'no spaces');
    expect(badPrefix.code).toBe(2);
    expect(badPrefix.err).toContain('--table-prefix');
    expect(badPrefix.err).toContain('no spaces');
    const badLimit = await run('ops', 'list', '--limit', 'ten', '--table-prefix', prefix);
    expect(badLimit.code).toBe(2);
    expect(badLimit.err).toContain('--limit');
  });

  it('adds signals from a file (one or many) and lists them by window', async () => {
    const tag = `cli${uid('t').replace(/-/g, '')}`;
    const one = { signalId: uid('sig'), tag, startsAt: T0, endsAt: T0 + 3_600_000, expectedUplift: 0.3 };
    const many = [
      { signalId: uid('sig'), tag, startsAt: T0 + 7_200_000, endsAt: T0 + 10_800_000 },
      { signalId: uid('sig'), tag, startsAt: T0 + 30 * 86_400_000, endsAt: T0 + 31 * 86_400_000 },
    ];
    expect(
      (await run('signals', 'add', '--file', writeJson('one.json', one), '--table-prefix', prefix)).code,
    ).toBe(0);
    const added = await run(
      'signals',
      'add',
      '--file',
      writeJson('many.json', many),
      '--table-prefix',
      prefix,
    );
    expect(added.code).toBe(0);
    expect(added.out.trim().split('\n')).toHaveLength(2);

    const listed = await run(
      'signals',
      'list',
      '--tag',
      tag,
      '--from',
      new Date(T0).toISOString(),
      '--to',
      String(T0 + 86_400_000),
      '--table-prefix',
      prefix,
    );
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(one.signalId);
    expect(listed.out).toContain(many[0]?.signalId);
    expect(listed.out).not.toContain(many[1]?.signalId);
    expect(listed.out).toContain('30%');

    const bad = await run(
      'signals',
      'add',
      '--file',
      writeJson('bad.json', [one, { ...one, endsAt: T0 - 1 }]),
      '--table-prefix',
      prefix,
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('[1].endsAt');
  });

  it('lists operations and shows one with its steps timeline', async () => {
    const { client, names } = dynamo();
    const repos = makeDynamoRepositories({ client, names });
    const workloadId = uid('w');
    const opId = uid('op');
    await repos.operations.createOrGet(operationFixture(uid('op'), workloadId, T0 - 60_000));
    await repos.operations.createOrGet(operationFixture(opId, workloadId, T0));
    await repos.operations.appendStep(opId, { at: T0 + 5_000, name: 'create-shadow', detail: { units: 4 } });
    await repos.operations.appendStep(
      opId,
      { at: T0 + 95_000, name: 'shift', detail: { to: 10 }, weights: { primary: 90, shadow: 10 } },
      { primary: 90, shadow: 10 },
    );

    const list = await run('ops', 'list', '--workload', workloadId, '--table-prefix', prefix);
    expect(list.code).toBe(0);
    const rows = list.out.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(new RegExp(`^${opId}\\s+${workloadId}\\s+migration\\s+running`));
    expect(rows[1]).toContain('90/10');

    const show = await run('ops', 'show', opId, '--table-prefix', prefix);
    expect(show.code).toBe(0);
    expect(show.out).toContain(`operation  ${opId}`);
    expect(show.out).toContain('last verified 90/10');
    expect(show.out).toMatch(/\+5s\s+create-shadow\s+-\s+\{"units":4\}/);
    expect(show.out).toMatch(/\+1m35s\s+shift\s+90\/10/);

    const recent = await run('ops', 'list', '--limit', '1', '--json', '--table-prefix', prefix);
    expect(recent.out.trim().split('\n')).toHaveLength(1);
  });

  it('prints --help for every data command', async () => {
    for (const args of [
      ['workloads', 'register'],
      ['workloads', 'list'],
      ['workloads', 'show'],
      ['signals', 'add'],
      ['signals', 'list'],
      ['ops', 'list'],
      ['ops', 'show'],
    ]) {
      const help = await run(...args, '--help');
      expect(help.code).toBe(0);
      expect(help.out).toContain('--table-prefix');
    }
  });
});
