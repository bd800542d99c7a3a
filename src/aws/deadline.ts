/**
 * The overall deadline of one AWS call. The request handler's limits (see
 * timeouts.ts) bound each HTTP request, but a call is more than one: the SDK
 * retries, and before signing it may fetch credentials (a web identity or an
 * assumed role asks STS, with its own retries). The client's every send gets
 * an abort signal (which stops the HTTP request in flight) and is raced
 * against it (which also ends a wait for credentials), so a call ends within
 * DBT_PRODUCT_AWS_CALL_TIMEOUT whatever it was waiting for.
 *
 * STS itself: the credential providers of the default chain make their STS
 * client from the calling client's configuration (its requestHandler, with
 * the connect and request limits), so each STS request is bounded too.
 */
import { KitError } from '../errors.js';
import { AWS_TIMEOUT_ENV, type AwsTimeouts } from './timeouts.js';

/** A call that did not end in time; named TimeoutError like the SDK's own, which callers already word. */
export class AwsCallTimeoutError extends KitError {
  readonly operation: string;

  constructor(operation: string, callMs: number) {
    super(`no answer to ${operation} within ${callMs / 1000} s (${AWS_TIMEOUT_ENV.callMs}), credentials included`, {
      exitCode: 2,
    });
    this.name = 'TimeoutError';
    this.operation = operation;
  }
}

/** "DescribeStatement" for a DescribeStatementCommand (pure). */
export function operationOf(command: unknown): string {
  const name = (command as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  return name.replace(/Command$/, '') || 'the call';
}

/** Runs `call` with an abort signal, and rejects when the signal fires even if `call` is not listening. */
export async function withinDeadline<T>(
  callMs: number,
  operation: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new AwsCallTimeoutError(operation, callMs);
      controller.abort(error);
      reject(error);
    }, callMs);
  });
  const running = call(controller.signal);
  // What the call does after the deadline is nobody's business: its late rejection is not unhandled.
  running.catch(() => {});
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the SDK clients' send is overloaded; only the promise form is used.
type Sending = { send: (command: any, options?: any) => Promise<any> };

/**
 * Gives every call of `client` the overall deadline (returns the same client).
 * A caller's own abortSignal is kept: its call then ends at the earlier of the two.
 */
export function boundCalls<Client extends Sending>(client: Client, limits: Pick<AwsTimeouts, 'callMs'>): Client {
  const send = client.send.bind(client);
  client.send = ((command: unknown, options?: { abortSignal?: AbortSignal }) =>
    withinDeadline(limits.callMs, operationOf(command), (signal) =>
      send(command, {
        ...options,
        abortSignal: options?.abortSignal ? AbortSignal.any([options.abortSignal, signal]) : signal,
      }),
    )) as Client['send'];
  return client;
}
