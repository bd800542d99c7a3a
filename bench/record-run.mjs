#!/usr/bin/env node
// One recording, alone in a process, for bench/uploads.bench.ts to read its peak RSS:
// what dbt-run does after dbt exits (read run_results.json and manifest.json, build the
// audit batch, write it through the sink), on the compiled kit (dist/, `npm run build`).
// Argument: a JSON job { targetDir, project, sink: 'postgres' | 'redshift-data', tables,
// connection (postgres) | endpoint + target (redshift-data) }. Prints one JSON line.
import { existsSync, readFileSync } from 'node:fs';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { PostgresAuditSink } from '../dist/audit/sinks/postgres.js';
import { RedshiftAuditSink } from '../dist/audit/sinks/redshift.js';
import { collectResults } from '../dist/run/collect.js';
import { emptyProgress } from '../dist/run/progress.js';

/**
 * This process's own peak RSS. getrusage's ru_maxrss is kept across exec on Linux: a child
 * forked from a large parent (the benchmark's vitest worker) starts at the parent's size, so
 * Linux's VmHWM (this address space's high-water mark) is read instead; maxRSS elsewhere.
 */
function peakRssBytes() {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return Number(kib ?? process.resourceUsage().maxRSS) * 1024;
}

const job = JSON.parse(process.argv[2] ?? '{}');
const started = process.hrtime.bigint();
const progress = emptyProgress();
// Epoch: the synthetic run_results.json carries no invocation id dbt-run saw, so "written after the
// run started" is what makes it this run's (collect.ts).
const now = new Date(0);
const execution = {
  progress,
  startedAt: now,
  completedAt: now,
  dbtVersion: '1.11.16',
  status: 'success',
  exitCode: 0,
  errorMessage: null,
  interrupted: false,
  killed: false,
  manifestRead: undefined,
};
const origin = {
  run_source: 'local',
  run_id: null,
  run_url: null,
  repository: null,
  git_sha: null,
  git_ref: null,
  actor: null,
};
// The runner's own step: what it keeps for the upload is the batch (dbt's artifacts are let go).
const { batch } = await collectResults(
  job.targetDir,
  execution,
  { productName: job.project, targetName: 'prod', command: 'build', selection: '', origin },
  () => new Date(),
);
const collected = process.hrtime.bigint();
// The peak so far: what reading the artifacts and building the batch took, before the sink.
const collectPeak = peakRssBytes();
const sink =
  job.sink === 'postgres'
    ? new PostgresAuditSink(job.connection, job.tables)
    : new RedshiftAuditSink(
        new RedshiftDataClient({
          region: job.target.region,
          endpoint: job.endpoint,
          credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
        }),
        job.target,
        job.tables,
        { pollStartMs: 50, pollMaxMs: 1000 },
      );
await sink.write(batch);
const done = process.hrtime.bigint();
console.log(
  JSON.stringify({
    invocation_id: batch.invocationId,
    rows: batch.nodes.length,
    collect_s: Number(collected - started) / 1e9,
    write_s: Number(done - collected) / 1e9,
    collect_peak_rss_bytes: collectPeak,
    peak_rss_bytes: peakRssBytes(),
  }),
);
