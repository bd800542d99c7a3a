/** Reading a product's dbt-product.yml (validated by its one schema); absent is fine, invalid is not. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { KitError } from '../errors.js';
import { PRODUCT_MANIFEST_FILE, type ProductManifest, productManifestSchema } from './manifest.js';

export class ProductManifestError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
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
  let value: unknown;
  try {
    value = parse(text);
  } catch (cause) {
    throw new ProductManifestError(`${file} is not valid YAML: ${(cause as Error).message.split('\n')[0]}`, { cause });
  }
  const parsed = productManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProductManifestError(`${file}: ${issue?.path.join('.') || 'document'}: ${issue?.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
