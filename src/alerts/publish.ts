/**
 * Publishing planned messages to SNS, and which topics to use. The SDK
 * retries what it can (standard mode, 3 attempts); what still fails becomes
 * one line naming what to fix, for the runner to report loudly, and says
 * whether sending it again later could work (the outbox keeps those).
 * Publishing never changes dbt-run's exit code.
 */
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { boundCalls } from '../aws/deadline.js';
import { awsTimeouts, requestHandlerOptions } from '../aws/timeouts.js';
import { KitError } from '../errors.js';
import type { PlannedMessage } from './message.js';

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;

/** What a publish needs of a planned message (the outbox keeps exactly this). */
export type SnsMessage = Pick<PlannedMessage, 'subject' | 'message' | 'attributes' | 'groupId' | 'deduplicationId'>;

export class PublishError extends KitError {
  /** Sending the same message again later could work (endpoint down, timeout, throttled, credentials, permissions). */
  readonly resendable: boolean;

  constructor(message: string, options: { cause?: unknown; resendable?: boolean } = {}) {
    super(message, { cause: options.cause, exitCode: 2 });
    this.resendable = options.resendable ?? false;
  }
}

/** The region of a topic ARN; throws one line when the ARN is malformed (pure). */
export function topicRegion(arn: string, what: string): string {
  const match = SNS_TOPIC_ARN.exec(arn);
  if (!match?.[1]) {
    throw new PublishError(`${what} "${arn}" is not an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<name>)`);
  }
  return match[1];
}

/** The Publish request for a planned message (pure). */
export function publishInput(topicArn: string, planned: SnsMessage): PublishCommandInput {
  const fifo = topicArn.endsWith('.fifo');
  return {
    TopicArn: topicArn,
    Subject: planned.subject,
    Message: planned.message,
    MessageStructure: 'json',
    MessageAttributes: Object.fromEntries(
      Object.entries(planned.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
    ),
    ...(fifo ? { MessageGroupId: planned.groupId, MessageDeduplicationId: planned.deduplicationId } : {}),
  };
}

/** The one line for an SNS or credentials error (pure). */
export function publishErrorLine(error: unknown, topicArn: string, what: string): string {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  const late = `SNS did not answer publishing to ${what} ${topicArn} in time (${message}): check the endpoint and network (and STS's, when the credentials come from a role), or raise DBT_PRODUCT_AWS_*_TIMEOUT`;
  if (name === 'NotFoundException' || name === 'NotFound')
    return `${what} ${topicArn} does not exist: check the ARN (account and region) or create the topic`;
  if (name === 'AuthorizationErrorException' || name === 'AuthorizationError' || name === 'AccessDeniedException')
    return `not allowed to publish to ${what} ${topicArn}: grant sns:Publish on it to the role dbt-run uses`;
  // Before the credentials' test: a call that ran out of time may have been waiting for them (STS).
  if (name === 'TimeoutError' || name === 'AbortError') return late;
  if (name === 'CredentialsProviderError' || /credential/i.test(message))
    return `no AWS credentials to publish to ${what} ${topicArn}: use a role (OIDC in CI) or an AWS profile locally`;
  if (name === 'KMSAccessDeniedException')
    return `${what} ${topicArn} is encrypted with a KMS key dbt-run may not use: grant kms:GenerateDataKey and kms:Decrypt`;
  if (name.startsWith('KMS')) return `the KMS key of ${what} ${topicArn} refused the message (${name}): ${message}`;
  if (name === 'InvalidParameterException' || name === 'InvalidParameterValueException')
    return `SNS refused the message to ${what} ${topicArn}: ${message}`;
  if (/timed? ?out/i.test(message)) return late;
  if (name === 'ThrottledException' || name === 'Throttling')
    return `SNS throttled publishing to ${what} ${topicArn} after retries: ${message}`;
  return `publishing to ${what} ${topicArn} failed: ${message}`;
}

/**
 * Whether the same message could go through later (pure): not when SNS
 * refused it or the topic does not exist (the fix is in the configuration,
 * and the next run sends to the corrected topic).
 */
export function isResendable(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return !['NotFoundException', 'NotFound', 'InvalidParameterException', 'InvalidParameterValueException'].includes(
    name,
  );
}

export interface Publisher {
  /** Publishes; returns the message id or throws a PublishError. */
  publish(topicArn: string, planned: SnsMessage, what: string): Promise<string>;
}

/** A publisher over SNS clients made per region (or the one injected). */
export function snsPublisher(env: NodeJS.ProcessEnv, client?: SNSClient): Publisher {
  const clients = new Map<string, SNSClient>();
  const limits = awsTimeouts(env);
  const clientFor = async (region: string): Promise<SNSClient> => {
    if (client) return client;
    const { SNSClient } = await import('@aws-sdk/client-sns');
    const endpoint = env.AWS_ENDPOINT_URL_SNS ?? env.AWS_ENDPOINT_URL;
    // The whole call, retries and credentials included, within its limit: a hang is a failure to report, not a stuck run.
    const made =
      clients.get(region) ??
      boundCalls(
        new SNSClient({ region, requestHandler: requestHandlerOptions(limits), ...(endpoint ? { endpoint } : {}) }),
        limits,
      );
    clients.set(region, made);
    return made;
  };
  return {
    async publish(topicArn, planned, what) {
      const region = topicRegion(topicArn, what);
      const { PublishCommand } = await import('@aws-sdk/client-sns');
      try {
        const sns = await clientFor(region);
        const output = await sns.send(new PublishCommand(publishInput(topicArn, planned)));
        return output.MessageId ?? '';
      } catch (error) {
        throw new PublishError(publishErrorLine(error, topicArn, what), {
          cause: error,
          resendable: isResendable(error),
        });
      }
    },
  };
}
