/** Reading a product's dbt-product.yml (validated by its one schema); absent is fine, invalid is not. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { KitError } from '../errors.js';
import { PRODUCT_MANIFEST_FILE, type ProductManifest, productManifestSchema } from './manifest.js';

export class ProductManifestError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

/** The first problem zod found, as `path: message` on one line. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || 'document'}: ${(issue?.message ?? 'invalid').split('\n')[0]}`;
}

/**
 * A dbt-product.yml's text, parsed and validated; `where` names the document
 * in the one-line error (a path, or a parent's file at its revision).
 */
export function parseProductManifest(text: string, where: string): ProductManifest {
  let value: unknown;
  try {
    value = parse(text);
  } catch (cause) {
    throw new ProductManifestError(`${where} is not valid YAML: ${(cause as Error).message.split('\n')[0]}`, { cause });
  }
  const parsed = productManifestSchema.safeParse(value);
  if (!parsed.success) throw new ProductManifestError(`${where}: ${firstIssue(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

export async function readProductManifest(projectDir: string): Promise<ProductManifest | undefined> {
  const file = path.join(projectDir, PRODUCT_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ProductManifestError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseProductManifest(text, file);
}
