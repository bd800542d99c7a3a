/** GitHub Actions output: pure builders, then a real failing run with GITHUB_ACTIONS=true. */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { annotations, escapeData, escapeProperty, outputLines, type RunSummary } from '../../src/github/actions.js';
import { readRunResults, runDbtRun, scaffoldTestProduct } from '../harness/product.js';

const FAILURES = fileURLToPath(new URL('../fixtures/runner-failures', import.meta.url));
/** A failing generic test with store_failures, in a YAML file, whose model's child is skipped because of it. */
const STORED_FAILURES = fileURLToPath(new URL('../fixtures/runner-store-failures', import.meta.url));

/** Reads GITHUB_OUTPUT's `name<<DELIMITER` blocks back into values. */
function parseOutputs(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = /^([a-z_]+)<<(.+)$/.exec(lines[index] ?? '');
    if (!match) continue;
    const end = lines.indexOf(match[2] as string, index + 1);
    values[match[1] as string] = lines.slice(index + 1, end).join('\n');
    index = end;
  }
  return values;
}

describe('workflow command builders', () => {
  it('escape data and properties as GitHub reads them', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('models/a,b:c.sql')).toBe('models/a%2Cb%3Ac.sql');
  });

  it('annotate each failed node at its file, with a multi-line message kept on one command line', () => {
    const summary = {
      nodes: [
        {
          uniqueId: 'model.p.a',
          name: 'a',
          resourceType: 'model',
          status: 'error',
          seconds: 1,
          message: 'bad\nthing',
          file: 'p/models/a.sql',
        },
        {
          uniqueId: 'model.p.b',
          name: 'b',
          resourceType: 'model',
          status: 'success',
          seconds: 1,
          message: 'OK',
          file: 'p/models/b.sql',
        },
      ],
    } as RunSummary;
    expect(annotations(summary)).toEqual(['::error file=p/models/a.sql,title=dbt model a error::bad%0Athing']);
  });

  it('write outputs in the delimiter form', () => {
    expect(outputLines({ status: 'failed', failed: 'a,b' }, 'EOF1')).toBe(
      'status<<EOF1\nfailed\nEOF1\nfailed<<EOF1\na,b\nEOF1\n',
    );
  });
});

describe('dbt-run under GitHub Actions (real dbt on DuckDB)', () => {
  it('writes the step summary, outputs, annotations and log groups', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(FAILURES, product.dir, { recursive: true });
      await cp(STORED_FAILURES, product.dir, { recursive: true });
      const workspace = path.dirname(product.dir);
      const outputFile = path.join(workspace, 'github-output');
      const summaryFile = path.join(workspace, 'github-summary.md');
      await writeFile(outputFile, '');
      await writeFile(summaryFile, '');
      const run = await runDbtRun(product, ['build'], {
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_WORKSPACE: workspace,
        GITHUB_REPOSITORY: 'acme/shop',
        GITHUB_RUN_ID: '4242',
        GITHUB_SHA: 'abc123',
        GITHUB_REF_NAME: 'main',
        GITHUB_ACTOR: 'ana',
      });
      expect(run.exitCode, run.output).toBe(1);
      const { metadata, results } = await readRunResults(product);

      const outputs = parseOutputs(await readFile(outputFile, 'utf8'));
      expect(outputs).toEqual({
        status: 'failed',
        invocation_id: metadata.invocation_id,
        failed: results
          .filter((result) => ['error', 'fail'].includes(result.status))
          .map((result) => result.unique_id)
          .join(','),
        audit_rows: String(results.length),
      });
      expect(outputs.failed).toContain('model.shop.broken');

      const summary = await readFile(summaryFile, 'utf8');
      expect(summary).toContain('## ❌ dbt build: shop on local (failed)');
      expect(summary).toContain(`Invocation \`${metadata.invocation_id}\`, exit code 1`);
      expect(summary).toMatch(/\| error \| 1 \|/);
      expect(summary).toMatch(/\| fail \| 2 \|/);
      expect(summary).toContain('- **model broken** (error) in `shop/models/failing/broken.sql`');
      expect(summary).toContain('no_such_column');
      expect(summary).toContain('  Compiled SQL: `target/compiled/shop/models/failing/broken.sql`');
      expect(summary).toContain(
        '- **test accepted_values_checked_id__1** (fail) in `shop/models/stored/_stored.yml:11`',
      );
      // The on-run-end hook is not a node; each skipped node is named with the failure that skipped it.
      expect(summary).toContain('On-run-start/end hooks (not counted as nodes): 1 success.');
      expect(summary).toContain('### Skipped nodes\n\n| node | skipped because of |\n|---|---|\n');
      expect(summary).toContain('| model after_checked | test accepted_values_checked_id__1 (fail) |\n');
      expect(summary).toContain('| model after_broken | model broken (error) |\n');
      expect(summary).toContain('### Slowest nodes');
      expect(summary).toContain(`Audit: ${results.length} rows written to duckdb`);

      // At the file's first line (a SQL file's errors are numbered in the compiled SQL), with what to act on.
      expect(run.stdout).toMatch(
        /^::error file=shop\/models\/failing\/broken\.sql,line=1,title=dbt model broken error::.*no_such_column.*%0Acompiled SQL: target\/compiled\/shop\/models\/failing\/broken\.sql%0Askipped because of it \(1\): model after_broken$/m,
      );
      expect(run.stdout).toMatch(
        /^::error file=shop\/tests\/no_big_spenders\.sql,line=1,title=dbt test no_big_spenders fail::Got \d+ results?, configured to fail if != 0%0Acompiled SQL: target\/compiled\/shop\/tests\/no_big_spenders\.sql$/m,
      );
      // A YAML test is annotated at the line that declares it.
      expect(run.stdout).toMatch(
        /^::error file=shop\/models\/stored\/_stored\.yml,line=11,title=dbt test accepted_values_checked_id__1 fail::.*%0Afailing rows: select \* from "[^"]+"\."[^"]+_dbt_test__audit"\."accepted_values_checked_id__1"%0Askipped because of it \(1\): model after_checked$/m,
      );
      expect(run.stdout).toMatch(/^::group::dbt build on local/m);
      expect(run.stdout).toMatch(/^::endgroup::$/m);

      // The run's origin went into the audit rows.
      const jsonl = await readFile(
        path.join(product.dir, 'target/dbt-product-kit/audit', `${metadata.invocation_id}.jsonl`),
        'utf8',
      );
      const invocation = JSON.parse(jsonl.split('\n')[0] as string).row;
      expect(invocation).toMatchObject({
        run_source: 'github',
        run_id: '4242',
        run_url: 'https://github.com/acme/shop/actions/runs/4242',
        repository: 'acme/shop',
        git_sha: 'abc123',
        // Not a git checkout here: whether it differed from abc123 is unknown.
        git_dirty: null,
        git_ref: 'main',
        actor: 'ana',
      });
    } finally {
      await product.cleanup();
    }
  });
});
