/**
 * Step 5 of a run: the failure alert and the completion event, to the topics
 * the flags, the environment or dbt-product.yml name for the run's
 * environment. Nothing here throws: each problem is a line to report. A
 * publish that failed but could work later is kept in the run's outbox
 * (target/dbt-product-kit/outbox) for `dbt-run audit flush`.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { FailureFacts } from '../alerts/message.js';
import { type AlertDelivery, notifyRun, type TopicFlags, topicsFor } from '../alerts/notify.js';
import type { AuditBatch } from '../audit/sinks/types.js';
import type { TableRef } from '../audit/sql.js';
import type { ProductManifest } from '../product/manifest.js';

export interface Notifications {
  sent: string[];
  skipped: string[];
  failed: string[];
  /** Whether the run's failure alert was published (report.ts's exit code reads it). */
  alert: AlertDelivery;
}

export async function sendNotifications(
  batch: AuditBatch,
  where: {
    product: string;
    targetName: string;
    auditTable: TableRef;
    targetDir: string;
    projectDir: string;
    /** Each failure's compiled SQL, failing rows and skipped nodes (failures.ts). */
    failureFacts?: readonly FailureFacts[] | undefined;
  },
  config: {
    manifest: ProductManifest | undefined;
    flags: TopicFlags;
    env: NodeJS.ProcessEnv;
    sns?: SNSClient | undefined;
  },
): Promise<Notifications> {
  const topics = topicsFor(config.manifest, where.targetName, config.flags, config.env);
  if (!topics.alerts && !topics.events) return { sent: [], skipped: topics.skipped, failed: [], alert: 'none' };
  // The SDK is loaded only when a topic is configured: it would otherwise add to every run's start-up.
  const { snsPublisher } = await import('../alerts/publish.js');
  const notified = await notifyRun(
    batch,
    {
      product: where.product,
      topics,
      auditTable: where.auditTable,
      outbox: { targetDir: where.targetDir, projectDir: where.projectDir },
      failureFacts: where.failureFacts,
    },
    snsPublisher(config.env, config.sns),
  );
  return { sent: notified.sent, skipped: topics.skipped, failed: notified.failed, alert: notified.alert };
}
