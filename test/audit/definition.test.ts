/**
 * The audit definition is the one source: the DDL, the product's macros and
 * README, and the kit README's tables all follow a change to it, and no
 * macro or model keeps a hand-written copy of its facts.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditTemplateFacts, columnsMarkdown } from '../../src/audit/product-facts.js';
import { createTableSql } from '../../src/audit/sql.js';
import { AUDIT_TABLES, FAILED_STATUSES, redshiftTableOptions } from '../../src/audit/tables.js';
import { README_BLOCKS, renderBlocks } from '../../src/docs/readme-blocks.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { renderTemplate, templateContext } from '../../src/scaffold/plan.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRODUCT = path.join(ROOT, 'templates', 'product');

async function render(template: string, audit = auditTemplateFacts()): Promise<string> {
  const options = normaliseOptions({ dir: '/tmp/shop', name: 'shop' });
  const context = { ...templateContext(options, { version: '0.0.0', dbtRequirements: '' }), audit };
  const content = await readFile(path.join(PRODUCT, template), 'utf8');
  return renderTemplate({ path: template, content }, context).content;
}

describe('the audit definition', () => {
  it("changing one column's byte limit changes the DDL, the macros and the README tables together", async () => {
    const withLimit = (bytes: number) => ({
      ...AUDIT_TABLES,
      log: {
        ...AUDIT_TABLES.log,
        columns: AUDIT_TABLES.log.columns.map((column) =>
          column.name === 'relation_name' ? { ...column, maxBytes: bytes } : column,
        ),
      },
    });
    const changed = withLimit(4096);
    const ref = { schema: 'shop_audit', table: 'dbt_audit_log' };

    const ddl = createTableSql(ref, changed.log.columns, 'redshift', redshiftTableOptions(changed.log));
    expect(ddl).toContain('relation_name varchar(4096)');
    expect(ddl).toContain('name varchar(1024)'); // the others keep theirs

    const macro = await render('macros/audit/audit_columns.sql.hbs', auditTemplateFacts(changed));
    expect(macro).toContain(
      '{"name": "relation_name", "type": "short_text", "max_bytes": 4096, "sql_types": {"default": "varchar(4096)", "redshift": "varchar(4096)"}}',
    );
    expect(await render('macros/audit/audit_columns.sql.hbs')).toContain(
      '"name": "relation_name", "type": "short_text", "max_bytes": 1024',
    );

    const productReadme = await render('README.md.hbs', auditTemplateFacts(changed));
    expect(productReadme).toMatch(/\| `relation_name` +\| short_text +\| `varchar\(4096\)` +\|/);

    const kitReadme = renderBlocks('<!-- generated:audit-columns -->\n<!-- /generated:audit-columns -->', {
      'audit-columns': () => columnsMarkdown(changed.log.columns),
    });
    expect(kitReadme).toMatch(/\| `relation_name` +\| short_text +\| `varchar\(4096\)` +\|/);
  });

  it('renders every fact into the macros and models: statuses, hook switch, marker, table design', async () => {
    const macro = await render('macros/audit/audit_columns.sql.hbs');
    expect(macro).toContain(`return(${JSON.stringify([...FAILED_STATUSES]).replaceAll(',', ', ')})`);
    expect(macro).toContain('"env": "DBT_PRODUCT_KIT_AUDIT_HOOK", "var": "audit_hook_enabled"');
    expect(macro).toContain('" [truncated by dbt-product-kit: " ~ original_bytes ~ " bytes]"');
    expect(macro).toContain('"redshift_options": "diststyle auto compound sortkey (invocation_started_at, unique_id)"');
    const model = await render('models/audit/dbt_audit_log.sql.hbs');
    expect(model).toContain(`sort=["invocation_started_at", "unique_id"],`);
    expect(model).toContain(`dist='auto',`);
  });

  it('leaves no hand-written copy of a fact in the macros and models', async () => {
    const folders = ['macros/audit', 'models/audit'];
    for (const folder of folders) {
      for (const file of await readdir(path.join(PRODUCT, folder))) {
        if (file === 'audit_columns.sql.hbs') continue; // the generated definition itself
        const code = (await readFile(path.join(PRODUCT, folder, file), 'utf8')).replace(/\{#[\s\S]*?#\}/g, '');
        for (const copy of [
          '1024',
          '65535',
          "'runtime error'",
          "'DBT_PRODUCT_KIT_AUDIT_HOOK'",
          'sortkey',
          'truncated by',
        ]) {
          expect(code, `${folder}/${file} repeats ${copy}`).not.toContain(copy);
        }
      }
    }
  });

  it("keeps the kit README's generated tables up to date (npm run generate rewrites them)", async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    expect(renderBlocks(readme), 'README.md is stale: run npm run generate').toBe(readme);
    for (const name of Object.keys(README_BLOCKS)) expect(readme).toContain(`<!-- generated:${name} -->`);
  });
});
