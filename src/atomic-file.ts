/** Writing a file so that no reader ever sees half of it: a temporary file beside it, then a rename. */
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes `text` to `file` atomically; a file that exists keeps its mode (an executable script stays one). */
export async function writeFileAtomically(
  file: string,
  text: string,
  options: { mode?: number } = {},
): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const existingMode = await stat(file).then(
    (info) => info.mode & 0o777,
    () => undefined,
  );
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: existingMode ?? options.mode ?? 0o644 });
  await rename(temporary, file);
  return file;
}

/**
 * Writes `lines` (each ending in a newline) to `file` atomically, a few
 * hundred KB at a time: a 50,000-node audit upload is 45 MB of JSONL, which
 * as one string would double what the run holds.
 */
export async function writeLinesAtomically(file: string, lines: Iterable<string>): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    let pending: string[] = [];
    let size = 0;
    for (const line of lines) {
      pending.push(line);
      size += line.length;
      if (size >= 256 * 1024) {
        await handle.write(pending.join(''));
        pending = [];
        size = 0;
      }
    }
    if (pending.length) await handle.write(pending.join(''));
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
  await rename(temporary, file);
  return file;
}
