/** SNS topics with SQS queues subscribed to them, on the suite's moto_server, and reading what arrived. */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';

export const MOTO_REGION = 'eu-west-1';

/** moto takes any credentials; these are the suite's (never a real key). */
export const MOTO_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** The environment under which a dbt-run child publishes to the suite's moto_server (SNS only). */
export function snsEnv(): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_REGION: MOTO_REGION,
    AWS_ENDPOINT_URL_SNS: inject('motoEndpoint'),
  };
}

export function clients() {
  const aws = {
    region: MOTO_REGION,
    endpoint: inject('motoEndpoint'),
    credentials: MOTO_CREDENTIALS,
  };
  return { sns: new SNSClient(aws), sqs: new SQSClient(aws) };
}

/** A new topic with a new queue subscribed to it (SNS envelopes, not raw delivery). */
export async function topicWithQueue(fifo = false): Promise<{ topicArn: string; queueUrl: string }> {
  const { sns } = clients();
  const name = `t${randomBytes(4).toString('hex')}${fifo ? '.fifo' : ''}`;
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({ Name: name, Attributes: fifo ? { FifoTopic: 'true' } : {} }),
  );
  return { topicArn: TopicArn as string, queueUrl: await subscribedQueue(TopicArn as string) };
}

/**
 * A new queue subscribed to a topic: it gets only what is published from now on (a test reading
 * a topic more than once, since `receive` leaves messages that come back after their timeout).
 */
export async function subscribedQueue(topicArn: string): Promise<string> {
  const { sns, sqs } = clients();
  const fifo = topicArn.endsWith('.fifo');
  const name = `q${randomBytes(4).toString('hex')}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: 'true' } : {} }),
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  return QueueUrl as string;
}

/** The messages waiting in a queue: each SNS envelope's subject, JSON document (as parsed) and attributes. */
export async function receive(queueUrl: string) {
  const { sqs } = clients();
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
  );
  return (Messages ?? []).map((message) => {
    const envelope = JSON.parse(message.Body ?? '{}');
    const attributes = Object.fromEntries(
      Object.entries(envelope.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        (value as { Value: string }).Value,
      ]),
    );
    return { subject: envelope.Subject as string, document: JSON.parse(envelope.Message), attributes };
  });
}

/**
 * Gives a scaffolded product a `ci` environment on its postgres target whose
 * alerts and events go to these topics (in its dbt-product.yml).
 */
export async function sendPostgresTopics(productDir: string, topics: { alerts?: string; events?: string }) {
  const file = path.join(productDir, 'dbt-product.yml');
  const yaml = await readFile(file, 'utf8');
  const topic = (kind: 'alerts' | 'events') => (topics[kind] ? `    ${kind}:\n      topic_arn: ${topics[kind]}\n` : '');
  await writeFile(
    file,
    yaml.replace(
      '  local:\n    target: local\n',
      `  local:\n    target: local\n  ci:\n    target: postgres\n${topic('alerts')}${topic('events')}`,
    ),
  );
}
