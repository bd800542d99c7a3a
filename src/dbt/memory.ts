/**
 * Memory of a large run. V8 lets its heap grow to about four times what
 * survived the last full collection before collecting again (its growing
 * factor on a machine with memory to spare). Recording a 50,000-node run
 * keeps ~80 MB live (the rows) and throws away hundreds of MB (the parsed
 * entries of 140 MB of artifacts, then the upload's SQL text), so the
 * process peaked at 250 MB with Postgres and 360 MB with the Data API,
 * whose request bodies are large objects that only a full collection frees.
 * V8's --optimize-for-size grows the heap by a smaller factor and collects
 * sooner: the same run peaks near 215 MB with either (bench/uploads.bench.ts).
 *
 * It is switched on when the kit reads a large artifact and stays on for
 * the rest of the process (the recording that follows); runs of ordinary
 * size never see it. Node asks for care with v8.setFlagsFromString after
 * start-up: this flag is read by the heap at each collection, not at start.
 */
import { stat } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';

/** An artifact this size or larger (about 25,000 nodes' run_results.json) makes the process favour memory. */
export const LARGE_ARTIFACT_BYTES = 16 * 1024 * 1024;

/** Favours memory over speed from now on when `file` is a large artifact; says whether it is. */
export async function favourMemoryFor(file: string): Promise<boolean> {
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  if (size < LARGE_ARTIFACT_BYTES) return false;
  setFlagsFromString('--optimize-for-size');
  return true;
}
