/**
 * What `create-dbt-product upgrade` merges against: every file the kit
 * generated, as it generated it, in one file (`.dbt-product-kit/base.json`,
 * the merge base), and its hash and the kit version in dbt-product.yml's
 * `kit` section. Files the product owns from the start (dbt-product.yml
 * itself, packages.yml, the models reading parents) are not managed (pure).
 */
import { createHash } from 'node:crypto';

export const BASE_FILE = '.dbt-product-kit/base.json';

const OWNED_BY_THE_PRODUCT = [/^dbt-product\.yml$/, /^packages\.yml$/, /^models\/upstream\//, /^\.dbt-product-kit\//];

export function isManaged(file: string): boolean {
  return !OWNED_BY_THE_PRODUCT.some((pattern) => pattern.test(file));
}

/** A short content hash: enough to tell whether a file still is what the kit wrote. */
export function fileHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

type Generated = { path: string; content: string };

/** Path order (paths are ASCII: a plain comparison, no locale). */
export const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** dbt-product.yml's `kit` section for these generated files. */
export function kitRecord(
  version: string,
  files: readonly Generated[],
): { version: string; files: Record<string, string> } {
  return {
    version,
    files: Object.fromEntries([...files].sort(byPath).map((file) => [file.path, fileHash(file.content)])),
  };
}

/** The base file's text for these generated files, in path order. */
export function baseDocument(files: readonly Generated[]): string {
  const sorted = [...files].sort(byPath);
  return `${JSON.stringify({ files: Object.fromEntries(sorted.map((file) => [file.path, file.content])) }, null, 2)}\n`;
}

/** The generated files a base file holds (empty when there is none, or it is unreadable). */
export function parseBaseDocument(text: string | undefined): Map<string, string> {
  if (text === undefined) return new Map();
  try {
    const files = (JSON.parse(text) as { files?: Record<string, unknown> }).files ?? {};
    return new Map(Object.entries(files).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return new Map();
  }
}
