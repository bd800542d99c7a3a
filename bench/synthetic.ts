/** The benchmarks' synthetic products: the demo product plus N view models. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scaffoldTestProduct, type TestProduct } from '../test/harness/product.js';

/** A product plus N view models in a tree (each reads its parent), built from the demo seeds. */
export async function syntheticProduct(models: number): Promise<TestProduct> {
  const product = await scaffoldTestProduct({ name: 'bench' });
  const dir = path.join(product.dir, 'models', 'synthetic');
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < models; index++) {
    const body =
      index === 0
        ? "select 1 as id, 'root' as label"
        : `select id + 1 as id, label from {{ ref('m_${Math.floor((index - 1) / 10)}') }}`;
    await writeFile(path.join(dir, `m_${index}.sql`), `{{ config(materialized='view') }}\n${body}\n`);
  }
  return product;
}
