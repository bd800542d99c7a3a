/**
 * Memory of a large run. V8 lets its heap grow to about four times what
 * survived the last full collection before collecting again (its growing
 * factor on a machine with memory to spare). Recording a 50,000-node run
 * keeps ~80 MB live (the rows) and throws away hundreds of MB (the parsed
 * entries of 140 MB of artifacts, then the upload's SQL text), so the
 * process peaked at 250 MB with Postgres and 390 MB with the Data API,
 * whose 4 MB request bodies are large objects that only a full collection
 * frees. With a growing factor of 1.2 (V8's --heap-growing-percent=20) full
 * collections come sooner: the same run peaks near 240 MB with either
 * (bench/uploads.bench.ts). --optimize-for-size went lower (220 MB) but also
 * changes how V8 compiles; this flag changes only when it collects.
 *
 * It is set when the kit reads a large artifact and stays for the rest of
 * the process (the recording that follows); runs of ordinary size never see
 * it. Node asks for care with v8.setFlagsFromString after start-up: this flag
 * is read by the heap each time it sizes itself after a collection.
 */
import { stat } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';

/** An artifact this size or larger (about 25,000 nodes' run_results.json) makes the process favour memory. */
export const LARGE_ARTIFACT_BYTES = 16 * 1024 * 1024;

/** The heap grows by 20% of what survived a full collection before the next (V8's default: up to 300%). */
export const HEAP_GROWING_PERCENT = 20;

/** Favours memory over speed from now on when `file` is a large artifact; says whether it is. */
export async function favourMemoryFor(file: string): Promise<boolean> {
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  if (size < LARGE_ARTIFACT_BYTES) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
