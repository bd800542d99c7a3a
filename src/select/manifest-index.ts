/**
 * The manifest as --changed-since reads it, kept next to it as a small index
 * (`target/dbt-product-kit/selection-index.json`, the selection fields only)
 * for as long as manifest.json is unchanged (same size and modification
 * time). Reading and checking a 5,000-model manifest (10 MB) takes ~100 ms;
 * the index ~15 ms. Every dbt-run invocation leaves an index for the manifest
 * its dbt wrote (refreshSelectionIndex, while the audit is written), so only
 * a manifest written by something else (a bare `dbt parse`) costs the next
 * selection the full read, which then writes the index for the ones after it.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import { readSelectionManifest, type SelectionManifest } from '../dbt/artifacts.js';

const INDEX_VERSION = 1;

export function selectionIndexPath(targetDir: string): string {
  return path.join(targetDir, 'dbt-product-kit', 'selection-index.json');
}

interface SelectionIndex {
  version: number;
  /** manifest.json's size and modification time when the index was made. */
  key: string;
  manifest: SelectionManifest;
}

/** The selection view of target/manifest.json; throws as readSelectionManifest does when it is missing or bad. */
export async function readSelectionManifestIndexed(
  targetDir: string,
  options: { waitForIndex?: boolean } = {},
): Promise<SelectionManifest> {
  const manifestFile = path.join(targetDir, 'manifest.json');
  const indexFile = selectionIndexPath(targetDir);
  const stats = await stat(manifestFile).catch(() => undefined);
  if (!stats) return readSelectionManifest(manifestFile);
  const key = `${stats.size}:${stats.mtimeMs}`;
  try {
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as Partial<SelectionIndex>;
    if (index.version === INDEX_VERSION && index.key === key && typeof index.manifest?.nodes === 'object') {
      return index.manifest;
    }
  } catch {
    // No index yet, or one that cannot be read: the manifest itself is the truth.
  }
  const manifest = await readSelectionManifest(manifestFile);
  // Serialised and written after the caller went on (dbt-run then starts dbt, which runs for
  // seconds); a failed write (read-only target/) only costs the next selection the full read.
  const index: SelectionIndex = { version: INDEX_VERSION, key, manifest };
  const written = new Promise<void>((resolve) =>
    setImmediate(() => {
      writeFileAtomically(indexFile, JSON.stringify(index))
        .catch(() => {})
        .then(() => resolve());
    }),
  );
  if (options.waitForIndex) await written;
  return manifest;
}

/**
 * After a dbt invocation: make sure the index matches the manifest.json its
 * dbt wrote last. Not the manifest the runner read mid-run: dbt adds macros
 * to tests' depends_on as it compiles them, and a project can override those
 * macros. Resolves false when there is no usable manifest or index.
 */
export async function refreshSelectionIndex(targetDir: string): Promise<boolean> {
  try {
    await readSelectionManifestIndexed(targetDir, { waitForIndex: true });
    return true;
  } catch {
    return false;
  }
}
