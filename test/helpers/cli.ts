import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/hostpid', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a user would: `node bin/hostpid ARGS`, stdin fed
 * from `input` (closed at once when there is none).
 */
export function runCli(args: string[], input?: string | Buffer, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(cwd === undefined ? {} : { cwd }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({
      code,
      stdout: Buffer.concat(out).toString('latin1'),
      stderr: Buffer.concat(err).toString('utf8'),
    }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The pino JSON lines a run wrote to stderr. */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
