/** The pending record's schema (pending.ts), apart: only a reader of other runs' records loads zod. */
import { z } from 'zod';

export const PendingRunSchema = z.object({
  version: z.literal(1),
  runId: z.string().min(1),
  runner: z.object({ pid: z.number().int(), host: z.string() }),
  startedAt: z.string(),
  productName: z.string(),
  targetName: z.string(),
  command: z.string(),
  selection: z.string(),
  /** Where the run's upload was going: recovery spools it there (null: the in-dbt hook records). */
  destination: z.object({ sink: z.string(), database: z.string() }).nullable(),
  /** The target's schema, where the audit tables go unless the product says otherwise. */
  targetSchema: z.string().optional(),
  /** Known once dbt started, reported its invocation, and git answered. */
  dbtPid: z.number().int().optional(),
  /** The topics the run would publish to (recovery keeps its alert in the outbox for flush). */
  topics: z
    .object({
      environment: z.string(),
      alerts: z.object({ arn: z.string(), includeWarnings: z.boolean() }).optional(),
      events: z.object({ arn: z.string() }).optional(),
    })
    .optional(),
  invocationId: z.string().optional(),
  origin: z
    .object({
      run_source: z.string(),
      run_id: z.string().nullable(),
      run_url: z.string().nullable(),
      repository: z.string().nullable(),
      git_sha: z.string().nullable(),
      // Absent from the records of runs an older dbt-run left.
      git_dirty: z.boolean().nullable().default(null),
      git_ref: z.string().nullable(),
      actor: z.string().nullable(),
    })
    .optional(),
});
export type PendingRun = z.infer<typeof PendingRunSchema>;
