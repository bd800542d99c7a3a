/** Which results an invocation records: its own run_results.json, else its events; never an earlier run's file. */
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEventLine } from '../../src/dbt/events.js';
import { FROM_EVENTS_MESSAGE, readRunArtifacts } from '../../src/run/collect.js';
import { applyEvent, emptyProgress, type Progress } from '../../src/run/progress.js';
import { tempDir } from '../harness/product.js';

let targetDir: string;
beforeEach(async () => {
  targetDir = path.join(await tempDir(), 'target');
  await mkdir(targetDir);
});
afterEach(() => rm(path.dirname(targetDir), { recursive: true, force: true }));

async function writeRunResults(invocationId: string, writtenAt: Date) {
  const file = path.join(targetDir, 'run_results.json');
  const results = [{ unique_id: 'model.p.old', status: 'success', execution_time: 1.5, timing: [] }];
  await writeFile(
    file,
    JSON.stringify({
      metadata: {
        dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json',
        invocation_id: invocationId,
      },
      results,
    }),
  );
  await utimes(file, writtenAt, writtenAt);
}

/** A progress fed with one finished model event of invocation `id` (or no event at all). */
function progressOf(id: string | null): Progress {
  const progress = emptyProgress();
  if (id) {
    const line = JSON.stringify({
      info: { name: 'LogModelResult', code: 'Q012', level: 'info', msg: 'OK', ts: '', invocation_id: id },
      data: {
        execution_time: 0.25,
        node_info: {
          unique_id: 'model.p.new',
          node_name: 'new',
          resource_type: 'model',
          node_status: 'success',
          node_started_at: '2026-11-21T10:00:00',
          node_finished_at: '2026-11-21T10:00:01',
        },
      },
    });
    applyEvent(progress, parseEventLine(line) as NonNullable<ReturnType<typeof parseEventLine>>);
  }
  return progress;
}

describe('readRunArtifacts', () => {
  const startedAt = new Date('2026-11-21T10:00:00Z');

  it('takes run_results.json of this invocation', async () => {
    await writeRunResults('this-run', new Date('2026-11-21T10:00:05Z'));
    const { runResults } = await readRunArtifacts(targetDir, progressOf('this-run'), startedAt);
    expect(runResults?.results.map((result) => result.unique_id)).toEqual(['model.p.old']);
  });

  it("rebuilds the results from the events when run_results.json is an earlier run's", async () => {
    await writeRunResults('earlier-run', new Date('2026-11-21T10:00:05Z'));
    const { runResults } = await readRunArtifacts(targetDir, progressOf('this-run'), startedAt);
    expect(runResults?.metadata.invocation_id).toBe('this-run');
    expect(runResults?.results).toMatchObject([{ unique_id: 'model.p.new', status: 'success', execution_time: 0.25 }]);
    // The row says where it came from (the events carry no message of dbt's).
    expect(runResults?.results[0]?.message).toBe(FROM_EVENTS_MESSAGE);
  });

  it('without an invocation id from dbt, takes only a file written after the run started', async () => {
    await writeRunResults('earlier-run', new Date('2026-11-21T09:59:00Z'));
    expect((await readRunArtifacts(targetDir, progressOf(null), startedAt)).runResults).toBeUndefined();
    await writeRunResults('this-run', new Date('2026-11-21T10:00:05Z'));
    expect((await readRunArtifacts(targetDir, progressOf(null), startedAt)).runResults?.metadata.invocation_id).toBe(
      'this-run',
    );
  });

  it('has no results when dbt left neither a file nor events', async () => {
    expect(await readRunArtifacts(targetDir, progressOf(null), startedAt)).toEqual({
      runResults: undefined,
      manifest: undefined,
    });
  });

  it('a file cut short loses nothing: the events, with a note (none when dbt was interrupted writing it)', async () => {
    await writeFile(path.join(targetDir, 'run_results.json'), '{"metadata": {"dbt_schema_version": "https://sche');
    const cut = await readRunArtifacts(targetDir, progressOf('this-run'), startedAt);
    expect(cut.runResults?.results).toMatchObject([{ unique_id: 'model.p.new', status: 'success' }]);
    expect(cut.notes).toEqual([
      expect.stringMatching(
        /^run_results\.json at .* is not valid JSON \(corrupt or cut short\).*: 1 result recorded from dbt's events instead$/,
      ),
    ]);
    const interrupted = await readRunArtifacts(targetDir, progressOf('this-run'), startedAt, undefined, {
      interrupted: true,
    });
    expect(interrupted.runResults?.results).toMatchObject([{ unique_id: 'model.p.new', status: 'success' }]);
    expect(interrupted.notes).toBeUndefined();
  });
});
