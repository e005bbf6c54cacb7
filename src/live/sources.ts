import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';


/**
 * One input of a run. `stream` ends when the input ends or when stop() is
 * called (SIGTERM, SIGINT): everything read before that still goes through
 * the pipeline, so a stop loses nothing that was read.
 */
export interface Source {
  name: string;
  stream: Readable;
  stop(): void;
}

export interface SourceOptions {
  stdin: Readable;
  /** Follow files as they grow, across rotation by rename and truncation. */
  follow: boolean;
  pollMs: number;
}

export async function openSource(file: string, options: SourceOptions): Promise<Source> {
  if (file === '-') return gated('stdin', options.stdin);
  if (!options.follow) return gated(file, createReadStream(file));

  // Polls forever, like tail -F: a rotated file that takes a while to be
  // created again is waited for, not an error. Loaded on first use only.
  const { default: TailFile } = await import('@logdna/tail-file');
  const tail = new TailFile(file, {
    startPos: 0,
    pollFileIntervalMs: options.pollMs,
    pollFailureRetryMs: options.pollMs,
    maxPollFailures: Number.MAX_SAFE_INTEGER,
  });
  await tail.start();
  return { name: file, stream: tail, stop: () => void tail.quit() };
}

/** The input behind a gate that can be closed without destroying data in flight. */
function gated(name: string, input: Readable): Source {
  const gate = new PassThrough();
  input.on('error', (err) => gate.destroy(err));
  input.pipe(gate);

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    input.unpipe(gate);
    // Bytes the input already read but had not passed on yet still count.
    for (let chunk = input.read() as Buffer | null; chunk !== null; chunk = input.read()) {
      gate.write(chunk);
    }
    gate.end();
    input.destroy();
  };
  return { name, stream: gate, stop };
}
