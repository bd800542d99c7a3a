/** dbt-product.yml's one schema: the orchestrators' retries, their defaults and their bounds. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_RETRIES, productManifestSchema, retriesOf } from '../../src/product/manifest.js';
import { ProductManifestError, parseProductManifest } from '../../src/product/read.js';
import { productManifestFixture } from '../harness/product-manifest.js';

const document = (extra: Record<string, unknown> = {}) => stringify(productManifestFixture(extra));

describe('retries in dbt-product.yml', () => {
  it('default to twice, five minutes apart, when absent; a key left out takes its default', () => {
    expect(DEFAULT_RETRIES).toEqual({ count: 2, delay_seconds: 300 });
    const absent = parseProductManifest(document(), 'dbt-product.yml');
    expect(absent.retries).toBeUndefined();
    expect(retriesOf(absent)).toEqual({ count: 2, delay_seconds: 300 });
    const countOnly = parseProductManifest(document({ retries: { count: 0 } }), 'dbt-product.yml');
    expect(retriesOf(countOnly)).toEqual({ count: 0, delay_seconds: 300 });
    const both = parseProductManifest(document({ retries: { count: 5, delay_seconds: 30 } }), 'dbt-product.yml');
    expect(retriesOf(both)).toEqual({ count: 5, delay_seconds: 30 });
  });

  it.each([
    [{ count: -1 }, 'retries.count: Too small: expected number to be >=0'],
    [{ count: 11 }, 'retries.count: Too big: expected number to be <=10'],
    [{ count: 1.5 }, 'retries.count: Invalid input: expected int, received number'],
    [{ count: 'two' }, 'retries.count: Invalid input: expected number, received string'],
    [{ delay_seconds: 86_401 }, 'retries.delay_seconds: Too big: expected number to be <=86400'],
    [{ delay: 300 }, 'retries: Unrecognized key: "delay"'],
    [3, 'retries: Invalid input: expected object, received number'],
  ])('refuses retries %j in one line naming the field', (retries, message) => {
    let error: unknown;
    try {
      parseProductManifest(document({ retries }), '/p/dbt-product.yml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProductManifestError);
    expect((error as Error).message).toBe(`/p/dbt-product.yml: ${message}`);
    expect(productManifestSchema.safeParse({ retries }).success).toBe(false);
  });
});
