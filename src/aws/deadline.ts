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
 * the connect and request limits), so each STS request is bounded too, and
 * boundCalls ends the one a call was waiting for with that call.
 */
import { KitError } from '../errors.js';
import { AWS_TIMEOUT_ENV, type AwsTimeouts } from './timeouts.js';

/** A call that did not end in time; named TimeoutError like the SDK's own, which callers already word. */
export class AwsCallTimeoutError extends KitError {
  readonly operation: string;

  constructor(operation: string, callMs: number) {
    super(
      `no answer to ${operation} within ${callMs / 1000} s, fetching credentials included (${AWS_TIMEOUT_ENV.callMs})`,
      {
        exitCode: 2,
      },
    );
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
type Handling = { handle: (request: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown> };

/**
 * Gives every call of `client` the overall deadline (returns the same client).
 * A caller's own abortSignal is kept: its call then ends at the earlier of the two.
 *
 * The credential provider's STS client shares this client's request handler
 * (the SDK hands it the caller's), and sends its requests without a signal:
 * those get the signals of the calls in flight, so an STS request a call was
 * waiting for ends with that call instead of running on to its own request
 * timeout (and its retries) and keeping the process alive.
 */
export function boundCalls<Client extends Sending>(client: Client, limits: Pick<AwsTimeouts, 'callMs'>): Client {
  const inFlight = new Set<AbortSignal>();
  const handler = (client as { config?: { requestHandler?: Partial<Handling> } }).config?.requestHandler;
  if (typeof handler?.handle === 'function') {
    const handle = handler.handle.bind(handler);
    handler.handle = (request, options) =>
      options?.abortSignal || inFlight.size === 0
        ? handle(request, options)
        : handle(request, { ...options, abortSignal: AbortSignal.any([...inFlight]) });
  }
  const send = client.send.bind(client);
  client.send = ((command: unknown, options?: { abortSignal?: AbortSignal }) =>
    withinDeadline(limits.callMs, operationOf(command), (deadline) => {
      const signal = options?.abortSignal ? AbortSignal.any([options.abortSignal, deadline]) : deadline;
      inFlight.add(signal);
      return send(command, { ...options, abortSignal: signal }).finally(() => inFlight.delete(signal));
    })) as Client['send'];
  return client;
}
