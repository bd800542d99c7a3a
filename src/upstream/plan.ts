/**
 * What a child product writes for its parents (pure): packages.yml pinned to
 * full commits, the dbt-product.yml upstream entries, and one example model
 * per parent that reads a public parent model with the two-argument ref().
 */
import type { ParentProduct } from './parent.js';

export const GIT_CREDENTIAL_VARIABLE = 'DBT_ENV_SECRET_GIT_CREDENTIAL';

/**
 * The URL dbt deps clones: an https URL takes its credential from the
 * environment at deps time (dbt never logs DBT_ENV_SECRET_ variables), so no
 * token is ever written down; other URLs (ssh, file, paths) are kept as given.
 */
export function packageGitUrl(url: string): string {
  return /^https:\/\//i.test(url)
    ? url.replace(/^https:\/\//i, `https://{{ env_var('${GIT_CREDENTIAL_VARIABLE}') }}@`)
    : url;
}

export function packagesYaml(parents: readonly ParentProduct[]): string {
  const lines = [
    '# Parent products, each pinned to the full commit its revision named when this',
    '# product was created (dbt-run upstreams bump moves a pin). Private https',
    `# repositories read a token from ${GIT_CREDENTIAL_VARIABLE} at dbt deps time;`,
    '# none is ever written here or in package-lock.yml.',
    'packages:',
  ];
  for (const parent of parents) {
    lines.push(`  - git: ${JSON.stringify(packageGitUrl(parent.url))}`);
    // Quoted: a sha of digits only (or digits around one "e") would read as a number.
    lines.push(`    revision: "${parent.sha}"${parent.revision === parent.sha ? '' : ` # ${parent.revision}`}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The example model that reads a parent's first public model, if it has one. */
export function exampleModel(parent: ParentProduct): { path: string; content: string } | undefined {
  const model = parent.publicModels[0];
  if (!model) return undefined;
  return {
    path: `models/upstream/upstream_${parent.name}_${model}.sql`,
    content: [
      `-- Reads ${model}, a public model of the parent product ${parent.name}: the two-argument`,
      '-- ref() names the package. The parent is installed by dbt deps and never built',
      '-- here (its own team builds it); dbt-run refuses to select its nodes.',
      "{{ config(materialized='view') }}",
      '',
      `select * from {{ ref('${parent.name}', '${model}') }}`,
      '',
    ].join('\n'),
  };
}
