/**
 * How long the kit waits for AWS: the limits and their variables, and an SNS
 * endpoint that accepts connections and never answers: publishing fails in
 * bounded time with one line, instead of hanging dbt-run after dbt finished.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlannedMessage } from '../../src/alerts/message.js';
import { snsPublisher } from '../../src/alerts/publish.js';
import { boundCalls, operationOf, withinDeadline } from '../../src/aws/deadline.js';
import { awsTimeouts, DEFAULT_AWS_TIMEOUTS } from '../../src/aws/timeouts.js';

describe('awsTimeouts', () => {
  it('has defaults and takes seconds from the environment', () => {
    expect(awsTimeouts({})).toEqual(DEFAULT_AWS_TIMEOUTS);
    expect(awsTimeouts({ DBT_PRODUCT_AWS_REQUEST_TIMEOUT: '2.5', DBT_PRODUCT_AWS_CALL_TIMEOUT: '9' })).toEqual({
      ...DEFAULT_AWS_TIMEOUTS,
      requestMs: 2500,
      callMs: 9000,
    });
  });

  it('refuses a value that is not seconds, in one line naming the variable', () => {
    expect(() => awsTimeouts({ DBT_PRODUCT_AWS_CONNECT_TIMEOUT: 'soon' })).toThrow(
      'DBT_PRODUCT_AWS_CONNECT_TIMEOUT="soon" is not a number of seconds above 0',
    );
    expect(() => awsTimeouts({ DBT_PRODUCT_AWS_CALL_TIMEOUT: '0' })).toThrow(/above 0/);
  });
});

describe('the overall deadline of a call', () => {
  class DescribeStatementCommand {}

  it('names the operation, and ends a call that ignores its abort signal', async () => {
    expect(operationOf(new DescribeStatementCommand())).toBe('DescribeStatement');
    const seen: AbortSignal[] = [];
    const started = Date.now();
    await expect(
      withinDeadline(200, 'Publish', (signal) => {
        seen.push(signal);
        return new Promise(() => {}); // waits for credentials that never come
      }),
    ).rejects.toMatchObject({
      name: 'TimeoutError',
      message: 'no answer to Publish within 0.2 s, fetching credentials included (DBT_PRODUCT_AWS_CALL_TIMEOUT)',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(seen[0]?.aborted).toBe(true);
    await expect(withinDeadline(1_000, 'Publish', async () => 'sent')).resolves.toBe('sent');
  });

  it("boundCalls gives each send a signal, keeping the caller's, and the handler's unsigned requests the calls'", async () => {
    const handled: (AbortSignal | undefined)[] = [];
    const client = {
      config: {
        requestHandler: {
          handle: async (_request: unknown, options?: { abortSignal?: AbortSignal }) => {
            handled.push(options?.abortSignal);
          },
        },
      },
      // As the SDK does: credentials first (STS through the same handler, no signal of its own), then the request.
      send: async (_command: unknown, options?: { abortSignal?: AbortSignal }) => {
        await client.config.requestHandler.handle({});
        await client.config.requestHandler.handle({}, { abortSignal: options?.abortSignal });
        return options?.abortSignal;
      },
    };
    boundCalls(client, { callMs: 60_000 });
    const own = new AbortController();
    const signal = await client.send(new DescribeStatementCommand(), { abortSignal: own.signal });
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(handled).toHaveLength(2);
    expect(handled[0]).toBeInstanceOf(AbortSignal); // the STS request got the call's signal
    own.abort();
    expect(signal?.aborted).toBe(true);
    expect(handled[0]?.aborted).toBe(true);
    await client.config.requestHandler.handle({}); // outside any call: left alone
    expect(handled[2]).toBeUndefined();
  });
});

describe('an SNS endpoint that never answers', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    // The SDK reads credentials from the process's environment.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    // Accepts every connection, reads the request, never answers.
    server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const planned: PlannedMessage = {
    eventType: 'product.completed',
    subject: 'shop completed',
    message: JSON.stringify({ default: 'done' }),
    attributes: { product: 'shop' },
    document: {} as PlannedMessage['document'], // not read by publishing
    groupId: 'shop',
    deduplicationId: 'x:product.completed',
  };
  const env = {
    AWS_ENDPOINT_URL_SNS: '',
    DBT_PRODUCT_AWS_CONNECT_TIMEOUT: '1',
  };
  const topic = 'arn:aws:sns:eu-west-1:123456789012:shop-events';

  it('fails a publish within the request limit (retries included), in one line', async () => {
    const publisher = snsPublisher({
      ...env,
      AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${port}`,
      DBT_PRODUCT_AWS_REQUEST_TIMEOUT: '0.5',
    });
    const started = Date.now();
    await expect(publisher.publish(topic, planned, 'completion event topic')).rejects.toThrow(
      /^SNS did not answer publishing to completion event topic arn:aws:sns:eu-west-1:123456789012:shop-events in time/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sockets.length).toBeGreaterThan(0); // it really reached the silent endpoint
  });

  it('fails a publish within the call limit, whatever the request limit', async () => {
    const publisher = snsPublisher({
      ...env,
      AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${port}`,
      DBT_PRODUCT_AWS_CALL_TIMEOUT: '1',
    });
    const started = Date.now();
    await expect(publisher.publish(topic, planned, 'completion event topic')).rejects.toThrow(/did not answer/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
