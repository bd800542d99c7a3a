/** A small valid dbt-product.yml document (as data), for the tests of what reads it. */
export function productManifestFixture(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    name: 'orders',
    owner: 'ana@example.com',
    description: 'Orders.',
    warehouse: { type: 'redshift', auth: 'password' },
    environments: { local: { target: 'local' } },
    audit: { schema: 'audit', table: 'dbt_audit_log' },
    upstream: [],
    ...overrides,
  };
}
