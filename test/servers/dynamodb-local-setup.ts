import { startDynamoDbLocal } from './dynamodb-local';
import type { ServerProcess } from './process';

/**
 * jest globalSetup of the `dynamodb-local` project: one DynamoDB Local for the run. Its endpoint
 * goes to the workers in SHADOWSCALE_TEST_DYNAMODB_LOCAL, which only this project's setup file
 * reads, so the other projects keep their in-process dynalite.
 */
export default async function setup(): Promise<void> {
  const server = await startDynamoDbLocal();
  (globalThis as { dynamoDbLocal?: ServerProcess }).dynamoDbLocal = server;
  process.env.SHADOWSCALE_TEST_DYNAMODB_LOCAL = server.endpoint;
}
