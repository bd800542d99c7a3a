/** The two local warehouses the dbt tests run on, behind one small interface. */
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import { queryPostgres, type TestProduct } from './product.js';

export interface TestWarehouse {
  /** dbt target of the generated profiles.yml. */
  target: 'local' | 'postgres';
  label: string;
  query(product: TestProduct, sql: string): Promise<Record<string, unknown>[]>;
  /** Runs a statement that writes (outside dbt, between dbt runs). */
  execute(product: TestProduct, sql: string): Promise<void>;
}

export const WAREHOUSES: TestWarehouse[] = [
  {
    target: 'local',
    label: 'DuckDB',
    query: (product, sql) => queryDuckDb(product.duckdbPath, sql),
    execute: async (product, sql) => {
      await queryDuckDb(product.duckdbPath, sql, { readOnly: false });
    },
  },
  {
    target: 'postgres',
    label: 'Postgres',
    query: (_product, sql) => queryPostgres(sql),
    execute: async (_product, sql) => {
      await queryPostgres(sql);
    },
  },
];
