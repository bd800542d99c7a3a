/**
 * Step 4 of a run: the audit batch to the target's sink, spooled first so
 * that nothing is lost when the sink fails (the copy moves to the audit
 * folder once the sink has it, or back to the spool for `dbt-run audit flush`). A sink failure is reported, never thrown:
 * it must not change dbt's result. Adapters without a runner sink keep the
 * in-dbt hook; the runner then writes only the JSONL copy.
 */
import path from 'node:path';
import {
  destinationOf,
  releaseClaimed,
  type SinkContext,
  settleClaimed,
  sinkForTarget,
  spoolClaimed,
  writeAuditJsonl,
} from '../audit/sinks/index.js';
import type { AuditBatch, AuditTables } from '../audit/sinks/types.js';
import { AuditWriteError } from '../audit/sinks/types.js';
import type { RunPlan } from './plan.js';

export interface Recorded {
  rows: number;
  /** "<sink> <where>", or null when nothing reached a sink. */
  location: string | null;
  error: string | null;
  jsonlPath: string;
}

export const NOT_RECORDED = { rows: 0, location: null, error: null } as const;

export type RecordPlan = Pick<RunPlan, 'runnerAudit' | 'targetDir' | 'projectDir' | 'target' | 'dbtEnv'>;

export async function recordAudit(
  plan: RecordPlan,
  batch: AuditBatch,
  tables: AuditTables,
  sinkOptions: Pick<SinkContext, 'redshift' | 'redshiftClient' | 'dataApiOptions'> = {},
): Promise<Recorded> {
  if (!plan.runnerAudit) {
    return { ...NOT_RECORDED, jsonlPath: await writeAuditJsonl(plan.targetDir, batch) };
  }
  // The upload remembers where it was going: a later flush writes there, whatever the environment then.
  // It is spooled claimed by this process: a flush running meanwhile leaves it alone.
  const destination = destinationOf(plan.target, tables, plan.projectDir);
  const claim = await spoolClaimed(plan.targetDir, { ...batch, destination });
  try {
    const sink = await sinkForTarget({
      target: plan.target,
      tables,
      projectDir: plan.projectDir,
      env: plan.dbtEnv,
      ...sinkOptions,
    });
    if (!sink) throw new AuditWriteError(`no audit sink for ${plan.target.type}`, { sink: plan.target.type });
    await sink.write(batch);
    const jsonlPath = await settleClaimed(plan.targetDir, claim);
    return { rows: batch.nodes.length, location: `${sink.kind} ${sink.location}`, error: null, jsonlPath };
  } catch (error) {
    const spooled = await releaseClaimed(plan.targetDir, claim);
    return {
      ...NOT_RECORDED,
      error: `${(error as Error).message} (rows kept in ${path.relative(plan.projectDir, spooled)}: dbt-run audit flush sends them)`,
      jsonlPath: spooled,
    };
  }
}
