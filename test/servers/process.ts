import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A server of another runtime (DynamoDB Local's Java, moto's Python) started for one jest run:
 * on a free loopback port, ready when `probe` answers, stopped by its own pid.
 */
export interface ServerProcess {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface ServerSpec {
  /** Shown in errors: what failed to start. */
  name: string;
  command: string;
  args: (port: number) => string[];
  cwd?: string;
  /** Resolves true once the server answers on `endpoint`. */
  probe: (endpoint: string) => Promise<boolean>;
  /** How long to wait for the first answer. */
  startTimeoutMs?: number;
}

/** A port nobody listens on right now (the OS's pick), for a server that cannot bind port 0. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  // Another process may take the port between our probe and the server's bind: try a few.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await startOnce(spec, port);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(spec: ServerSpec, port: number): Promise<ServerProcess> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(spec.command, spec.args(port), {
    cwd: spec.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.once('error', (error) => {
    exited = error.message;
  });
  const stop = async () => {
    if (exited === undefined && child.exitCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const deadline = Date.now() + (spec.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (await spec.probe(endpoint).catch(() => false)) {
      return { endpoint, port, pid: child.pid ?? -1, stop };
    }
    await sleep(150);
  }
  await stop();
  throw new Error(
    `${spec.name} did not start on ${endpoint} (${exited ?? 'no answer in time'}): ${output.trim().slice(-1_000)}`,
  );
}
