/**
 * The one error class of hostpid. `usage` marks mistakes the user can fix on
 * the command line or in a rule file (exit 2); everything else is a runtime
 * failure (exit 1). The original error, if any, stays reachable as `cause`.
 */
export class HostpidError extends Error {
  readonly usage: boolean;

  constructor(message: string, options: { usage?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HostpidError';
    this.usage = options.usage ?? false;
  }
}

export function usageError(message: string, cause?: unknown): HostpidError {
  return new HostpidError(message, cause === undefined ? { usage: true } : { usage: true, cause });
}

/** The errno code of a Node system error, or undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;

  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
