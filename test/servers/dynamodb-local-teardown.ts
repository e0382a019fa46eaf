import type { ServerProcess } from './process';

export default async function teardown(): Promise<void> {
  const holder = globalThis as { dynamoDbLocal?: ServerProcess };
  await holder.dynamoDbLocal?.stop();
  holder.dynamoDbLocal = undefined;
}
