/** Writing a file so that no reader ever sees half of it: a temporary file beside it, then a rename. */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
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
