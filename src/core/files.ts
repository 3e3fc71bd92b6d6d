import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { OrchestratorError } from './errors.js';

/**
 * Reads a text file a person named (a plan, a phase file, a context file) — a regular file of at
 * most `maxBytes`, never a folder, a device that never ends (/dev/zero) or a file too large to
 * hold — or says which it is. Null when it does not exist.
 */
export function readRegularFile(path: string, maxBytes: number, what: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'EISDIR') throw new OrchestratorError('invalid_input', `${what} ${path} is a folder; name a file`);
    throw new OrchestratorError('invalid_input', `${what} ${path} cannot be read (${code ?? (error as Error).message}); pass a readable file`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new OrchestratorError('invalid_input', `${what} ${path} is a folder; name a file`);
    if (!stat.isFile()) throw new OrchestratorError('invalid_input', `${what} ${path} is not a regular file (a device or a pipe); name a file`);
    if (stat.size > maxBytes) throw new OrchestratorError('invalid_input', `${what} ${path} is ${stat.size} bytes, over the ${maxBytes} it may have`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
