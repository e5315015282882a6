/**
 * Why the local run could not start, in words a new user can act on: which service, and which
 * option moves it elsewhere. `startPart` registers each part as soon as it is up, so a failure
 * of one part (even while others are still starting beside it) stops everything that did start:
 * a busy port must never leave the S3, DynamoDB, SQS and Secrets stand-ins listening.
 */

/** A service of the local run that listens on a port the user chooses, and the option that chooses it. */
export interface PortedService {
  readonly service: string;
  /** The command-line option, e.g. `--dms-port`; null for engines on a random free port. */
  readonly option: string | null;
}

/** The local run did not start: `message` says what to change. */
export class DevStartError extends Error {
  constructor(
    message: string,
    readonly service: string,
    readonly option: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The port a service should listen on is taken. */
export class PortInUseError extends DevStartError {
  constructor(
    readonly port: number,
    part: PortedService,
    options?: { cause?: unknown },
  ) {
    super(
      `could not start ${part.service}: port ${port} on 127.0.0.1 is already in use — is another \`npm start\` running? ` +
        (part.option ? `Choose another port with ${part.option} <n> (0 = any free port).` : 'Try again.'),
      part.service,
      part.option,
      options,
    );
  }
}

/** The error a failed start of `part` is reported as. */
export function startFailureOf(part: PortedService, error: unknown): DevStartError {
  if (error instanceof DevStartError) return error;
  const errno = error as NodeJS.ErrnoException & { port?: number };
  if (errno?.code === 'EADDRINUSE') return new PortInUseError(errno.port ?? 0, part, { cause: error });
  if (errno?.code === 'EACCES' && errno.port !== undefined) {
    return new DevStartError(
      `could not start ${part.service}: not allowed to listen on port ${errno.port}${part.option ? `; choose a port above 1023 with ${part.option} <n>` : ''}.`,
      part.service,
      part.option,
      { cause: error },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new DevStartError(`could not start ${part.service}: ${reason}`, part.service, part.option, { cause: error });
}

/** Something that has started and can be stopped. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts one part; once up it is pushed onto `started` (stopped in reverse by the caller on any
 * failure), and a failure is rethrown as a {@link DevStartError} naming the part.
 */
export async function startPart<T extends Stoppable>(
  started: Stoppable[],
  part: PortedService,
  start: () => Promise<T>,
): Promise<T> {
  let value: T;
  try {
    value = await start();
  } catch (error) {
    throw startFailureOf(part, error);
  }
  started.push(value);
  return value;
}

/**
 * Like `Promise.all` over {@link startPart}s, but waits for every part to settle before it
 * throws the first failure, so that a part still starting when another failed is registered
 * (and then stopped) instead of being left listening.
 */
export async function startAll<T extends readonly unknown[]>(starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starts as readonly Promise<unknown>[]);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
