/**
 * After a run: the failure alert and the completion event, to the topics the
 * flags, the environment or dbt-product.yml name for the run's environment
 * (the dbt-product.yml environment whose target the run used). Nothing here
 * throws: every problem comes back as a line for the runner to report. A
 * publish that could work later is kept in the outbox (see outbox.ts) for
 * `dbt-run audit flush`, and its line says so.
 */

import path from 'node:path';
import type { AuditBatch } from '../audit/sinks/types.js';
import type { TableRef } from '../audit/sql.js';
import { environmentForTarget, isPlaceholderArn, type ProductManifest } from '../product/manifest.js';
import { type FailureFacts, type PlannedMessage, planCompletionEvent, planFailureAlert } from './message.js';
import { keepInOutbox, outboxEntry } from './outbox.js';
import { PublishError, type Publisher } from './publish.js';

export interface TopicFlags {
  /** --alert-topic-arn */
  alertTopicArn?: string | undefined;
  /** --event-topic-arn */
  eventTopicArn?: string | undefined;
}

export interface Topics {
  environment: string;
  alerts?: { arn: string; includeWarnings: boolean } | undefined;
  events?: { arn: string } | undefined;
  /** Why a topic is not used (a placeholder left in dbt-product.yml). */
  skipped: string[];
}

/** Which topics a run publishes to (pure): flag, then environment variable, then dbt-product.yml. */
export function topicsFor(
  product: ProductManifest | undefined,
  targetName: string,
  flags: TopicFlags,
  env: NodeJS.ProcessEnv,
): Topics {
  const found = product ? environmentForTarget(product, targetName) : undefined;
  const skipped: string[] = [];
  const pick = (
    flag: string | undefined,
    variable: string | undefined,
    configured: string | undefined,
    what: string,
  ) => {
    const arn = flag ?? (variable || undefined) ?? configured;
    if (arn && flag === undefined && !variable && isPlaceholderArn(arn)) {
      skipped.push(`${what} for ${found?.name} not sent: replace REGION and ACCOUNT_ID in dbt-product.yml's topic ARN`);
      return undefined;
    }
    return arn;
  };
  const alerts = pick(
    flags.alertTopicArn,
    env.DBT_PRODUCT_ALERT_TOPIC_ARN,
    found?.environment.alerts?.topic_arn,
    'failure alerts',
  );
  const events = pick(
    flags.eventTopicArn,
    env.DBT_PRODUCT_EVENT_TOPIC_ARN,
    found?.environment.events?.topic_arn,
    'completion events',
  );
  return {
    environment: found?.name ?? targetName,
    alerts: alerts ? { arn: alerts, includeWarnings: found?.environment.alerts?.include_warnings ?? false } : undefined,
    events: events ? { arn: events } : undefined,
    skipped,
  };
}

/** What became of a run's failure alert: none planned (no failure, no topic), published, or not published. */
export type AlertDelivery = 'none' | 'sent' | 'failed';

export interface Notified {
  /** What was published: "run.failed sent to arn:... (message id)". */
  sent: string[];
  /** One line per publish that failed. */
  failed: string[];
  /** The failure alert's fate, for --alerted-exit-code (the lines above are for people). */
  alert: AlertDelivery;
}

/** A planned message that is the run's failure alert (the other is the completion event). */
const isAlert = (plan: PlannedNotification) => plan.planned.eventType === 'run.failed';

/** Where failed publishes are kept: the run's target dir; lines name files relative to the project. */
export interface OutboxPlace {
  targetDir: string;
  projectDir: string;
  now?: () => Date;
}

/** Keeps a failed publish for resending when that could work; returns the line to report. */
async function keepFailed(
  error: unknown,
  planned: PlannedMessage,
  where: { invocationId: string; topicArn: string; what: string },
  outbox: OutboxPlace | undefined,
): Promise<string> {
  const line = (error as Error).message;
  if (!outbox || !(error instanceof PublishError) || !error.resendable) return line;
  const entry = outboxEntry(planned, where, { at: (outbox.now ?? (() => new Date()))(), error: line });
  try {
    const file = await keepInOutbox(outbox.targetDir, entry);
    return `${line}; kept for resending in ${path.relative(outbox.projectDir, file)}: dbt-run audit flush sends it`;
  } catch (keepError) {
    return `${line}; and it could not be kept for resending (${(keepError as Error).message})`;
  }
}

/** A message a run publishes: which topic, what for, and the message (pure). */
export interface PlannedNotification {
  what: string;
  arn: string;
  planned: PlannedMessage;
}

/** What a run's batch publishes to its topics (pure): the failure alert when it failed, the completion event. */
export function plannedNotifications(
  batch: AuditBatch,
  context: {
    product: string;
    topics: Pick<Topics, 'environment' | 'alerts' | 'events'>;
    auditTable: TableRef;
    failureFacts?: readonly FailureFacts[] | undefined;
  },
): PlannedNotification[] {
  const { topics } = context;
  const plans: PlannedNotification[] = [];
  const alert =
    topics.alerts &&
    planFailureAlert(batch, {
      product: context.product,
      environment: topics.environment,
      auditTable: context.auditTable,
      includeWarnings: topics.alerts.includeWarnings,
      failureFacts: context.failureFacts,
    });
  if (topics.alerts && alert) plans.push({ what: 'failure alert topic', arn: topics.alerts.arn, planned: alert });
  const event =
    topics.events && planCompletionEvent(batch, { product: context.product, environment: topics.environment });
  if (topics.events && event) plans.push({ what: 'completion event topic', arn: topics.events.arn, planned: event });
  return plans;
}

/**
 * Keeps the messages of a run nobody published for (its dbt-run was
 * killed, recover.ts) in the outbox: the next flush sends them, once.
 */
export async function keepUnpublished(
  batch: AuditBatch,
  plans: readonly PlannedNotification[],
  outbox: OutboxPlace,
  why: string,
): Promise<string[]> {
  const at = (outbox.now ?? (() => new Date()))();
  const kept: string[] = [];
  for (const plan of plans) {
    const where = { invocationId: batch.invocationId, topicArn: plan.arn, what: plan.what };
    kept.push(await keepInOutbox(outbox.targetDir, outboxEntry(plan.planned, where, { at, error: why })));
  }
  return kept;
}

export async function notifyRun(
  batch: AuditBatch,
  context: {
    product: string;
    topics: Topics;
    auditTable: TableRef;
    outbox?: OutboxPlace | undefined;
    failureFacts?: readonly FailureFacts[] | undefined;
  },
  publisher: Publisher,
): Promise<Notified> {
  const notified: Notified = { sent: [], failed: [], alert: 'none' };
  for (const plan of plannedNotifications(batch, context)) {
    try {
      const id = await publisher.publish(plan.arn, plan.planned, plan.what);
      notified.sent.push(`${plan.planned.eventType} sent to ${plan.arn} (message ${id})`);
      // Every alert topic must take it: one that failed keeps the run "not alerted".
      if (isAlert(plan) && notified.alert === 'none') notified.alert = 'sent';
    } catch (error) {
      const where = { invocationId: batch.invocationId, topicArn: plan.arn, what: plan.what };
      notified.failed.push(await keepFailed(error, plan.planned, where, context.outbox));
      if (isAlert(plan)) notified.alert = 'failed';
    }
  }
  return notified;
}
