import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '../../shared/errors';

/** Read and JSON-parse a file named on the command line, with errors that name the flag and file. */
export function readJsonFile(path: string, flag: string): unknown {
  const text = readTextFile(path, flag);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${flag} ${path}: not valid JSON (${(error as Error).message})`, [], {
      cause: error,
    });
  }
}

export function readTextFile(path: string, flag: string): string {
  try {
    return readFileSync(resolve(path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new ValidationError(
      `${flag} ${JSON.stringify(path)}: ${why}`,
      [{ path: flag, message: why, received: path }],
      {
        cause: error,
      },
    );
  }
}
