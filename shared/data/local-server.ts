import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * dynalite in process on 127.0.0.1, for the local run (`npm start`) and the integration tests.
 * dynalite speaks the DynamoDB wire protocol (LevelDB underneath) but has no transactions and no
 * TTL: the repositories use single-item conditional writes only and filter expired items on read,
 * so they behave the same here and on DynamoDB.
 */
export interface LocalDynamoOptions {
  /** Port to listen on; a random free port when absent or 0. */
  port?: number;
  /** Directory for a persistent LevelDB store (`--keep-db`); in memory when absent. */
  dir?: string;
}

export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`, for the SDK client's `endpoint`. */
  endpoint: string;
  port: number;
  /** Close every connection and the store; resolves when nothing is left open. */
  stop(): Promise<void>;
}

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}
type Dynalite = (options: DynaliteOptions) => Server;

export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  // dynalite ships no types; this is the one function we call.
  const dynalite = require('dynalite') as Dynalite;
  // Tables become ACTIVE at once: the 500 ms default only slows tests down.
  const server = dynalite({
    ...(options.dir ? { path: options.dir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        // SDK clients keep sockets alive; without this, close() waits for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      return stopped;
    },
  };
}
