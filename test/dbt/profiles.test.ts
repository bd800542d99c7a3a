/**
 * The generated profiles and selectors, checked by the real dbt: each Redshift
 * variant renders into credentials dbt-redshift accepts (dbt parse builds
 * them without connecting), and the selectors pick the intended nodes.
 */
import { describe, expect, it } from 'vitest';
import { runDbt, scaffoldTestProduct } from '../harness/product.js';

const REDSHIFT_ENV = {
  DBT_REDSHIFT_HOST: 'shop.abc123xyz789.eu-west-1.redshift.amazonaws.com',
  DBT_REDSHIFT_CLUSTER_ID: 'shop',
  DBT_ENV_SECRET_REDSHIFT_PASSWORD: 'not-a-real-password',
  AWS_REGION: 'eu-west-1',
};

describe('generated Redshift profiles (real dbt-redshift)', () => {
  it.each([
    ['redshift', 'password'],
    ['redshift', 'iam'],
    ['redshift-serverless', 'password'],
    ['redshift-serverless', 'iam'],
  ])('%s with %s auth renders valid dev and prod targets', async (warehouse, auth) => {
    const product = await scaffoldTestProduct({ name: 'shop', warehouse, auth });
    try {
      for (const target of ['dev', 'prod']) {
        const parse = await runDbt(product, ['parse', '--target', target], REDSHIFT_ENV);
        expect(parse.exitCode, parse.output).toBe(0);
        expect(parse.output).toContain('Registered adapter: redshift');
        expect(parse.output).not.toContain(REDSHIFT_ENV.DBT_ENV_SECRET_REDSHIFT_PASSWORD);
      }
    } finally {
      await product.cleanup();
    }
  });

  it('names the missing environment variable when the host is not set', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const parse = await runDbt(product, ['parse', '--target', 'prod']);
      expect(parse.exitCode).not.toBe(0);
      expect(parse.output).toContain('DBT_REDSHIFT_HOST');
    } finally {
      await product.cleanup();
    }
  });
});

describe('generated selectors', () => {
  it('split the product into audit and transform nodes, and select only its own package by default', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const ls = async (...args: string[]) => {
        const run = await runDbt(product, ['ls', '--resource-type', 'model', '--output', 'name', '--quiet', ...args]);
        expect(run.exitCode, run.output).toBe(0);
        return run.output.trim().split('\n').sort();
      };
      const audit = [
        'audit_latest_status',
        'audit_model_duration_trend',
        'audit_recent_failures',
        'dbt_audit_invocations',
        'dbt_audit_log',
      ];
      const transform = ['dim_customers', 'fct_orders', 'stg_customers', 'stg_orders'];
      expect(await ls('--selector', 'audit')).toEqual(audit);
      expect(await ls('--selector', 'transform')).toEqual(transform);
      expect(await ls()).toEqual([...audit, ...transform].sort());
    } finally {
      await product.cleanup();
    }
  });
});
