/**
 * What `create-dbt-product upgrade` merges against: every file the kit
 * generated, kept as it was generated under `.dbt-product-kit/base/` (the
 * merge base), and its hash and the kit version in dbt-product.yml's `kit`
 * section. Files the product owns from the start (dbt-product.yml itself,
 * packages.yml, the models reading parents) are not managed (pure).
 */
import { createHash } from 'node:crypto';

export const BASE_DIR = '.dbt-product-kit/base';

const OWNED_BY_THE_PRODUCT = [/^dbt-product\.yml$/, /^packages\.yml$/, /^models\/upstream\//, /^\.dbt-product-kit\//];

export function isManaged(file: string): boolean {
  return !OWNED_BY_THE_PRODUCT.some((pattern) => pattern.test(file));
}

/** A short content hash: enough to tell whether a file still is what the kit wrote. */
export function fileHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

export function basePath(file: string): string {
  return `${BASE_DIR}/${file}`;
}
