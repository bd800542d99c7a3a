import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { normaliseOptions, productNameProblem, suggestName } from '../../src/scaffold/options.js';
import { RESERVED_NAMES } from '../../src/scaffold/reserved-names.js';

describe('product names', () => {
  it.each(['orders', 'orders_mart', 'a1', 'x'])('accepts %s', (name) => {
    expect(productNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['Orders', 'lowercase letter first'],
    ['1orders', 'lowercase letter first'],
    ['_orders', 'lowercase letter first'],
    ['orders-mart', 'lowercase letter first'],
    ['orders mart', 'lowercase letter first'],
    ['ordérs', 'lowercase letter first'],
    ['select', 'reserved word'],
    ['ref', 'reserved word'],
    ['class', 'reserved word'],
    ['a'.repeat(41), 'at most 40'],
    ['', 'empty'],
  ])('rejects %j (%s)', (name, reason) => {
    expect(productNameProblem(name)).toContain(reason);
  });

  it('reserves Python, dbt/Jinja and SQL words', () => {
    for (const word of ['import', 'dbt', 'target', 'this', 'source', 'table', 'user', 'order']) {
      expect(RESERVED_NAMES.has(word)).toBe(true);
    }
  });

  it('suggests a valid name from a directory', () => {
    expect(suggestName('/tmp/My-Orders Mart')).toBe('my_orders_mart');
    expect(suggestName('/tmp/2024-sales')).toBe('product_2024_sales');
  });
});

describe('normaliseOptions', () => {
  it('fills in defaults', () => {
    expect(normaliseOptions({ dir: 'orders' }, '/work')).toEqual({
      dir: path.resolve('/work/orders'),
      name: 'orders',
      owner: 'data-team',
      description: 'The orders data product.',
      warehouse: 'redshift',
      auth: 'password',
      orchestrator: 'mwaa',
      execution: 'watcher',
      retries: { count: 2, delay_seconds: 300 },
      parents: [],
      git: true,
      force: false,
    });
  });

  it.each([
    [{ dir: 'x', warehouse: 'snowflake' }, 'invalid --warehouse "snowflake": use one of redshift, redshift-serverless'],
    [{ dir: 'x', auth: 'kerberos' }, 'invalid --auth "kerberos": use one of password, iam'],
    [{ dir: 'x', orchestrator: 'dagster' }, 'invalid --orchestrator "dagster": use one of mwaa, mwaa-serverless, none'],
    [{ dir: 'x', execution: 'local' }, 'invalid --execution "local": use one of watcher, per-node'],
    [
      { dir: 'x', orchestrator: 'none', execution: 'per-node' },
      '--execution is for the MWAA DAG: drop it, or use --orchestrator mwaa (not none)',
    ],
    [
      { dir: 'x', parents: ['file:///a#v1', 'file:///a#v2'] },
      '--parent file:///a is given twice: import each parent once',
    ],
    [{ dir: 'x', name: 'Bad' }, 'invalid product name "Bad"'],
    [{ dir: 'select' }, 'taken from the directory name; pass --name'],
    [{ dir: 'x', owner: 'a\nb' }, 'invalid --owner: the owner contains a control character'],
    [{ dir: 'x', owner: ' ' }, 'invalid --owner: the owner is empty'],
    [{}, 'missing directory'],
  ])('rejects %j with a one-line UsageError', (input, message) => {
    let error: unknown;
    try {
      normaliseOptions(input, '/work');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toContain(message);
    expect((error as UsageError).message).not.toContain('\n');
  });
});
