import { type ServerProcess, startServerProcess } from './process';

/**
 * A moto server (`python3 -m moto.server`, moto 5): the AWS APIs our adapters call (CloudWatch,
 * DynamoDB, EventBridge, SQS, ECS, EKS, ELBv2, EC2), answering over HTTP on a free loopback port.
 * `.ci/run` checks that moto is installed before the tests start.
 */
export function startMoto(): Promise<ServerProcess> {
  return startServerProcess({
    name: 'moto server (python3 -m moto.server)',
    command: process.env.SHADOWSCALE_TEST_PYTHON ?? 'python3',
    args: (port) => ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    probe: async (endpoint) =>
      (await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'HEAD' })).status > 0,
    startTimeoutMs: 60_000,
  });
}

/** Forget every resource: each test starts from an empty account. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
}
