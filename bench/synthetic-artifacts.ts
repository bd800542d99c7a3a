/**
 * What dbt leaves after a build of N view models (target/run_results.json and
 * target/manifest.json), written without running dbt: a 50,000-model build
 * takes hours here, and the upload benchmark measures what the kit does with
 * the artifacts, not dbt. Nodes carry the keys dbt 1.11 writes (config, columns,
 * code, checksums), so the files are as large as real ones (about 3 KB of
 * manifest per view model).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const DBT_VERSION = '1.11.16';

function manifestNode(project: string, index: number) {
  const name = `m_${index}`;
  const parent = index === 0 ? [] : [`model.${project}.m_${Math.floor((index - 1) / 10)}`];
  const rawCode =
    index === 0
      ? "{{ config(materialized='view') }}\nselect 1 as id, 'root' as label\n"
      : `{{ config(materialized='view') }}\nselect id + 1 as id, label from {{ ref('m_${Math.floor((index - 1) / 10)}') }}\n`;
  return {
    database: 'dev',
    schema: project,
    name,
    resource_type: 'model',
    package_name: project,
    path: `synthetic/${name}.sql`,
    original_file_path: `models/synthetic/${name}.sql`,
    unique_id: `model.${project}.${name}`,
    fqn: [project, 'synthetic', name],
    alias: name,
    checksum: { name: 'sha256', checksum: index.toString(16).padStart(64, '0') },
    config: {
      enabled: true,
      alias: null,
      schema: null,
      database: null,
      tags: ['nightly'],
      meta: { owner: 'orders-team@example.com' },
      group: null,
      materialized: 'view',
      incremental_strategy: null,
      batch_size: null,
      lookback: 1,
      begin: null,
      persist_docs: {},
      'post-hook': [],
      'pre-hook': [],
      quoting: {},
      column_types: {},
      full_refresh: null,
      unique_key: null,
      on_schema_change: 'ignore',
      on_configuration_change: 'apply',
      grants: {},
      packages: [],
      docs: { show: true, node_color: null },
      contract: { enforced: false, alias_types: true },
      event_time: null,
      concurrent_batches: null,
      access: 'protected',
      freshness: null,
    },
    tags: ['nightly'],
    description: `Synthetic view ${index} of the benchmark product.`,
    columns: {
      id: {
        name: 'id',
        description: 'Row id.',
        meta: {},
        data_type: null,
        constraints: [],
        quote: null,
        config: { meta: {}, tags: [] },
        tags: [],
        granularity: null,
        doc_blocks: [],
      },
    },
    meta: { owner: 'orders-team@example.com' },
    group: null,
    docs: { show: true, node_color: null },
    patch_path: null,
    build_path: null,
    unrendered_config: { materialized: 'view' },
    created_at: 1_764_651_600.123 + index / 1000,
    relation_name: `"dev"."${project}"."${name}"`,
    raw_code: rawCode,
    doc_blocks: [],
    language: 'sql',
    refs: parent.length ? [{ name: `m_${Math.floor((index - 1) / 10)}`, package: null, version: null }] : [],
    sources: [],
    metrics: [],
    functions: [],
    depends_on: { macros: [], nodes: parent },
    compiled_path: `target/compiled/${project}/models/synthetic/${name}.sql`,
    compiled: true,
    compiled_code: rawCode.replace(/\{\{.*?\}\}\n?/g, '').replace(/ref\('([^']+)'\)/, `"dev"."${project}"."$1"`),
    extra_ctes_injected: true,
    extra_ctes: [],
    contract: { enforced: false, alias_types: true, checksum: null },
    access: 'protected',
    constraints: [],
    version: null,
    latest_version: null,
    deprecation_date: null,
    primary_key: ['id'],
    time_spine: null,
  };
}

/** About as many macros as dbt-core and an adapter bring. */
const MACROS = 600;

function macro(index: number) {
  const name = `synthetic_${index}`;
  return {
    name,
    resource_type: 'macro',
    package_name: 'dbt',
    path: `macros/${name}.sql`,
    original_file_path: `macros/${name}.sql`,
    unique_id: `macro.dbt.${name}`,
    macro_sql: `{% macro ${name}(relation) %}\n${'  {{ return(adapter.dispatch("x", "dbt")(relation)) }}\n'.repeat(12)}{% endmacro %}`,
    depends_on: { macros: index ? [`macro.dbt.synthetic_${index - 1}`] : [] },
    description: '',
    meta: {},
    docs: { show: true, node_color: null },
    patch_path: null,
    arguments: [],
    created_at: 1_764_651_600.123,
    supported_languages: null,
  };
}

function runResult(project: string, index: number) {
  const started = new Date(Date.UTC(2026, 10, 21, 5, 0, 0) + index * 10).toISOString();
  const completed = new Date(Date.UTC(2026, 10, 21, 5, 0, 0) + index * 10 + 250).toISOString();
  return {
    status: 'success',
    timing: [
      { name: 'compile', started_at: started, completed_at: started },
      { name: 'execute', started_at: started, completed_at: completed },
    ],
    thread_id: `Thread-${(index % 8) + 1} (worker)`,
    execution_time: 0.25,
    adapter_response: { _message: 'CREATE VIEW', code: 'CREATE VIEW', rows_affected: -1 },
    message: 'CREATE VIEW',
    failures: null,
    unique_id: `model.${project}.m_${index}`,
    compiled: true,
    compiled_code: `select id + 1 as id, label from "dev"."${project}"."m_${Math.floor(Math.max(index - 1, 0) / 10)}"`,
    relation_name: `"dev"."${project}"."m_${index}"`,
    batch_results: null,
  };
}

/**
 * Writes run_results.json and manifest.json of a successful build of `models`
 * view models of `project` into `targetDir`; returns the invocation id and the files' bytes.
 */
export async function writeSyntheticArtifacts(
  targetDir: string,
  project: string,
  models: number,
  invocationId: string,
): Promise<{ runResultsBytes: number; manifestBytes: number }> {
  await mkdir(targetDir, { recursive: true });
  const metadata = (kind: string, version: number) => ({
    dbt_schema_version: `https://schemas.getdbt.com/dbt/${kind}/v${version}.json`,
    dbt_version: DBT_VERSION,
    generated_at: '2026-11-21T05:10:00.000000Z',
    invocation_id: invocationId,
    invocation_started_at: '2026-11-21T05:00:00.000000Z',
    env: {},
  });
  const nodes: Record<string, unknown> = {};
  // The maps dbt writes beside the nodes (as large as them on a big project), and its macros: the
  // kit leaves them unread, and the benchmark should make it skip them.
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (let index = 0; index < models; index++) {
    const id = `model.${project}.m_${index}`;
    const node = manifestNode(project, index);
    nodes[id] = node;
    parentMap[id] = node.depends_on.nodes;
    childMap[id] ??= [];
    for (const parent of node.depends_on.nodes) {
      childMap[parent] ??= [];
      childMap[parent].push(id);
    }
  }
  const macros: Record<string, unknown> = {};
  for (let index = 0; index < MACROS; index++) macros[`macro.dbt.synthetic_${index}`] = macro(index);
  const manifest = JSON.stringify({
    metadata: { ...metadata('manifest', 12), project_name: project, adapter_type: 'postgres' },
    nodes,
    sources: {},
    macros,
    docs: {},
    exposures: {},
    metrics: {},
    groups: {},
    selectors: {},
    disabled: {},
    parent_map: parentMap,
    child_map: childMap,
    group_map: {},
    saved_queries: {},
    semantic_models: {},
    unit_tests: {},
  });
  const runResults = JSON.stringify({
    metadata: metadata('run-results', 6),
    results: Array.from({ length: models }, (_, index) => runResult(project, index)),
    elapsed_time: models * 0.01,
    args: { which: 'build' },
  });
  await writeFile(path.join(targetDir, 'manifest.json'), manifest);
  await writeFile(path.join(targetDir, 'run_results.json'), runResults);
  return { runResultsBytes: Buffer.byteLength(runResults), manifestBytes: Buffer.byteLength(manifest) };
}
