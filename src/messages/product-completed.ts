/**
 * `product.completed` version 2: a product finished building, for the
 * products downstream (an SQS queue subscribed to the events topic, an
 * Airflow SqsSensor filtering on the `product` attribute). Version 2 names
 * its producer and lets the counts only dbt-run knows be null (the MWAA
 * Serverless workflow sent null under version 1 already).
 */
import { z } from 'zod';
import { defineMessage, header, sender, timestamp } from './definition.js';

export const productCompletedSchema = z
  .object({
    ...header('product.completed', 2),
    ...sender,
    target: z.string().nullable().describe('The dbt target.'),
    command: z
      .string()
      .nullable()
      .describe('The dbt command dbt-run ran (build, run...); null when dbt ran node by node.'),
    invocation_id: z
      .string()
      .describe(
        "dbt's invocation id (the audit log's key), or the orchestrator's run id; consumers deduplicate on it.",
      ),
    finished_at: timestamp
      .nullable()
      .describe('When the run ended (UTC, YYYY-MM-DD HH:MM:SS.ffffff); null only when the run did not record it.'),
    nodes_built: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe(
        'Models, seeds and snapshots built (succeeded dbt tasks on Airflow); null when the producer cannot count.',
      ),
    tests_passed: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe('Tests that passed (succeeded test tasks on Airflow); null when the producer cannot count.'),
    git_sha: z.string().nullable().describe('The commit that ran, when known.'),
    run_url: z.string().nullable().describe('The CI run or the Airflow task log, when known.'),
  })
  .describe('A product built successfully: what downstream products wait for.');

export type ProductCompleted = z.infer<typeof productCompletedSchema>;

export const PRODUCT_COMPLETED = defineMessage(productCompletedSchema);
