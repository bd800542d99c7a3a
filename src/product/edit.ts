/**
 * Changing a product's dbt-product.yml in place: the edit goes through the
 * YAML document (so comments and formatting stay as the user left them), and
 * the result must pass the one schema before anything is written.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Document, parseDocument } from 'yaml';
import { writeFileAtomically } from '../atomic-file.js';
import { PRODUCT_MANIFEST_FILE, productManifestSchema } from './manifest.js';
import { firstIssue, ProductManifestError } from './read.js';

/**
 * `text` with `edit` applied to its YAML document, validated against the
 * schema (pure). `where` names the file in the one-line error; an edit that
 * would leave an invalid manifest throws, so callers write nothing.
 */
export function editProductManifest(text: string, where: string, edit: (document: Document) => void): string {
  const document = parseDocument(text);
  const [syntax] = document.errors;
  if (syntax) {
    throw new ProductManifestError(`${where} is not valid YAML: ${syntax.message.split('\n')[0]}`, { cause: syntax });
  }
  edit(document);
  const parsed = productManifestSchema.safeParse(document.toJS());
  if (!parsed.success) {
    throw new ProductManifestError(
      `${where} left as it was: the change would make it invalid (${firstIssue(parsed.error)})`,
      { cause: parsed.error },
    );
  }
  return document.toString({ lineWidth: 0 });
}

/** Reads, edits, validates and atomically rewrites the product's dbt-product.yml; an invalid result writes nothing. */
export async function rewriteProductManifest(projectDir: string, edit: (document: Document) => void): Promise<void> {
  const file = path.join(projectDir, PRODUCT_MANIFEST_FILE);
  const text = await readFile(file, 'utf8').catch((cause: unknown) => {
    throw new ProductManifestError(`cannot read ${file}: ${(cause as Error).message}`, { cause });
  });
  const next = editProductManifest(text, file, edit);
  if (next !== text) await writeFileAtomically(file, next);
}
