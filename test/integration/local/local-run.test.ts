import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countColor, describeRender, screenshot } from '../../helpers/chromium';

/**
 * `shadowscale local` end to end, as a newcomer runs it: the real CLI in a child process (Node 24,
 * tsx), a local DynamoDB, the real forecaster, pre-warm and shadow-pool state machines over the
 * simulated fleet. Asserts on what it printed and on the report it wrote.
 */
// Each run replays 15 simulated days (14 of warm-up) with a local DynamoDB: tens of seconds.
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'bin', 'shadowscale.cjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function shadowscale(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: process.env.CI ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (run: Run, tag: string): string[] =>
  run.stdout.split('\n').filter((l) => l.slice(18, 28).trim() === tag);

let dir: string;
let plain: Promise<Run>;
let gate: Promise<Run>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shadowscale-local-'));
  // Both runs at once: each is mostly I/O on its own local DynamoDB.
  plain = shadowscale(['local', '--days', '1', '--report', join(dir, 'plain.html')]);
  gate = shadowscale([
    'local',
    '--days',
    '1',
    '--inject-failure',
    'gate',
    '--report',
    join(dir, 'gate.html'),
  ]);
});

afterAll(async () => {
  await Promise.allSettled([plain, gate]);
  rmSync(dir, { recursive: true, force: true });
});

describe('shadowscale local --days 1', () => {
  it('predicts contention, migrates with verified weight steps, and returns home', async () => {
    const run = await plain;
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(run, 'forecast').length).toBeGreaterThan(10);
    expect(lines(run, 'contention').some((l) => l.includes('PREDICTED'))).toBe(true);
    expect(lines(run, 'contention').some((l) => l.includes('cleared'))).toBe(true);
    const migration = lines(run, 'migration');
    for (const state of [
      'Validate',
      'AcquireLease',
      'Plan',
      'Provision',
      'CheckHealthy',
      'Shift',
      'Gate',
      'RecordSuccess',
    ]) {
      expect({ state, seen: migration.some((l) => l.includes(`▸ ${state}`)) }).toEqual({ state, seen: true });
    }
    expect(migration.some((l) => /migration-demo-api-[0-9a-z]+-\d+ succeeded/.test(l))).toBe(true);
    expect(lines(run, 'weights').length).toBeGreaterThan(2);
    expect(lines(run, 'return').some((l) => /return-demo-api-[0-9a-z]+-\d+ succeeded/.test(l))).toBe(true);
    expect(lines(run, 'return').some((l) => l.includes('▸ Decommission'))).toBe(true);
    // The demo workload's lifecycle rule fires on the prediction through the lifecycle state machine.
    expect(lines(run, 'lifecycle')).toContainEqual(
      expect.stringContaining(
        'rule contention-oncall (on Contention Predicted) done: SNS demo-api-oncall: "Shadowscale: demo-api: Contention Predicted (rule contention-oncall)"',
      ),
    );
    expect(readFileSync(join(dir, 'plain.html'), 'utf8')).toContain(
      'rule contention-oncall (on Contention Predicted) done',
    );
    // The labelled incident injected 13 h into the day: announced, detected, answered by its rule.
    expect(run.stdout).toMatch(
      /injected incident: demand at 30 % of the trace from 2014-07-15 13:00 for 45 min/,
    );
    expect(
      lines(run, 'ANOMALY').some((l) => /2014-07-15 13:\d\d +ANOMALY +requests: \d+ outside/.test(l)),
    ).toBe(true);
    expect(lines(run, 'lifecycle')).toContainEqual(
      expect.stringContaining('rule anomaly-diagnostics (on Anomaly Detected) done'),
    );
    expect(readFileSync(join(dir, 'plain.html'), 'utf8')).toContain('injected incident');
    expect(run.stdout).toMatch(
      /same trace, same physics\s+shadowscale\s+reactive\s+ratio\s+oracle\s+oracle ratio/,
    );
    // Every row carries the hindsight oracle's value and its ratio to reactive's.
    expect(run.stdout).toMatch(/unit-hours(\s+[\d.]+){1}\s+[\d.]+\s+[\d.]+×\s+[\d.]+\s+[\d.]+×/);
    expect(run.stdout).toMatch(/minutes overloaded/);
    expect(run.stdout).toMatch(/final weights primary 100% \/ shadow 0%/);
    expect(run.stdout).toContain(`report: ${join(dir, 'plain.html')}`);
    // Only the run's own lines: no handler JSON logs or EMF metric documents.
    expect(run.stdout.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  });
});

describe('shadowscale local --inject-failure gate', () => {
  it('rolls back: the failed gate is compensated and all traffic ends on the primary', async () => {
    const run = await gate;
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain('injected failure: gate');
    expect(lines(run, 'ROLLBACK').length).toBeGreaterThan(0);
    // Forensics of the rolled-back migration: the shadow pool's volumes snapshotted, on-call told.
    expect(lines(run, 'lifecycle')).toContainEqual(
      expect.stringMatching(
        /rule rollback-forensics \(on Migration Rolled Back\) done: EBS snapshots of the shadow pool: \d+ volume\(s\); SNS demo-api-oncall/,
      ),
    );
    expect(run.stdout).toMatch(/\d+ rolled back/);
    expect(run.stdout).toMatch(/final weights primary 100% \/ shadow 0%/);
  });
});

describe('shadowscale local, bad input', () => {
  it.each([
    [['local', '--trace', 'no/such/file.csv'], 2, /--trace no\/such\/file.csv: no such file/],
    [['local', '--days', 'soon'], 2, /--days/],
    [['local', '--days', '400'], 2, /--days/],
    [['local', '--speed', 'fast'], 2, /--speed fast/],
  ])('%j exits %i with a one-line message', async (args, code, message) => {
    const run = await shadowscale(args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the port when the local DynamoDB cannot listen', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const run = await shadowscale(['local', '--port', String(port)]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--port ${port}: cannot listen on 127.0.0.1`);
    } finally {
      server.close();
    }
  });
});

describe('shadowscale local, Ctrl-C', () => {
  it('stops cleanly: exit 130, a one-line message, the local DynamoDB shut down', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'local', '--days', '1', '--report', join(dir, 'interrupted.html')],
      {
        cwd: ROOT,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let interrupted = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // One Ctrl-C (a second one kills the process outright, as a user would expect).
        if (!interrupted && stdout.includes('warm-up done')) {
          interrupted = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted: local run stopped, local DynamoDB shut down');
    expect(stdout).not.toContain('report:');
  });
});

describeRender('local run report in headless Chromium', () => {
  it('draws the timeline: demand, capacity, the shadow pool and its traffic', async () => {
    const run = await plain;
    expect(run.code).toBe(0);
    const file = join(dir, 'plain.html');
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('id="timeline"');
    const png = screenshot(file, dir);
    const chart = { x0: 0, y0: 80, x1: 1400, y1: 500 };
    for (const color of ['#212529', '#1c7ed6', '#7048e8', '#2f9e44']) {
      expect({ color, drawn: countColor(png, color, chart) > 30 }).toEqual({ color, drawn: true });
    }
    const weights = { x0: 0, y0: 420, x1: 1400, y1: 800 };
    expect(countColor(png, '#7048e8', weights)).toBeGreaterThan(30);
  });
});
