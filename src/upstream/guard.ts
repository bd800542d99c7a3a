/**
 * A child product never builds its parents: they are installed as packages
 * and belong to their own teams. Before a run, dbt-run checks that the
 * installed parents are the pinned ones (package-lock.yml against
 * dbt-product.yml) and, when a selection was given, asks `dbt ls` what it
 * would build: nodes of another package stop the run unless
 * --allow-upstream. The decisions are pure; reading files and running dbt
 * ls are the thin shells below them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type DbtListArgs, dbtCommandLine } from '../dbt/command.js';
import { runDbtCaptured } from '../dbt/process.js';
import { KitError } from '../errors.js';

/** The run is refused before dbt starts; nothing is built or recorded. */
export class UpstreamGuardError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

export interface ListedNode {
  unique_id: string;
  package_name: string;
  resource_type: string;
}

/** `dbt ls --output json` lines → the nodes (pure; other lines, dbt's own, are skipped). */
export function listedNodes(stdout: string): ListedNode[] {
  const nodes: ListedNode[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const node = JSON.parse(line) as Partial<ListedNode>;
      if (node.unique_id && node.package_name) nodes.push(node as ListedNode);
    } catch {
      // not one of ls's lines
    }
  }
  return nodes;
}

/** Nodes of other packages than the product's own, hooks aside (pure). */
export function upstreamNodes(nodes: readonly ListedNode[], projectName: string): ListedNode[] {
  return nodes.filter((node) => node.package_name !== projectName && node.resource_type !== 'operation');
}

/** The one line that refuses a selection reaching into parent packages (pure). */
export function upstreamRefusal(nodes: readonly ListedNode[]): string {
  const packages = [...new Set(nodes.map((node) => node.package_name))].sort();
  const shown = nodes.slice(0, 5).map((node) => node.unique_id);
  const more = nodes.length > shown.length ? ` and ${nodes.length - shown.length} more` : '';
  return `the selection would build ${nodes.length} node${nodes.length === 1 ? '' : 's'} of ${packages.join(', ')} (${shown.join(', ')}${more}), a package this product imports and another team builds: select this product's own nodes, or pass --allow-upstream`;
}

/** Pinned revisions (dbt-product.yml upstream) that package-lock.yml's installed ones differ from (pure). */
export function revisionMismatches(
  pinned: readonly { name: string; git: string; revision: string }[],
  lockText: string | undefined,
): string[] {
  if (pinned.length === 0) return [];
  if (lockText === undefined) {
    return [`no package-lock.yml: run dbt-run deps to install ${pinned.map((parent) => parent.name).join(', ')}`];
  }
  const locked = ((parseYaml(lockText) as { packages?: unknown } | null)?.packages ?? []) as {
    name?: string;
    git?: string;
    revision?: string;
  }[];
  const problems: string[] = [];
  for (const parent of pinned) {
    const entry = locked.find((item) => item.name === parent.name || item.git === parent.git);
    if (!entry) problems.push(`${parent.name} is not installed: run dbt-run deps`);
    else if (entry.revision !== parent.revision) {
      problems.push(
        `${parent.name} is installed at ${entry.revision}, dbt-product.yml pins ${parent.revision}: run dbt-run deps (or dbt-run upstreams bump)`,
      );
    }
  }
  return problems;
}

/** Reads package-lock.yml (undefined when there is none). */
export async function readPackageLock(projectDir: string): Promise<string | undefined> {
  return readFile(path.join(projectDir, 'package-lock.yml'), 'utf8').catch(() => undefined);
}

/** The keys of each node `dbt ls` prints (listedNodes reads them). */
const LISTED_KEYS = ['unique_id', 'package_name', 'resource_type'] as const;

/** What `dbt ls` says the selection covers (dbt's own selection semantics, selectors included). */
export async function listSelection(options: {
  dbtPath: string;
  /** The project, target, vars and selection to list. */
  selection: Omit<DbtListArgs, 'command' | 'outputKeys' | 'quiet'>;
  env: NodeJS.ProcessEnv;
}): Promise<ListedNode[]> {
  const stdout = await runDbtCaptured(
    {
      dbtPath: options.dbtPath,
      args: dbtCommandLine({ ...options.selection, command: 'ls', outputKeys: LISTED_KEYS, quiet: true }),
      cwd: options.selection.projectDir,
      env: options.env,
    },
    (message) => new UpstreamGuardError(`cannot check the selection against the parent products: ${message}`),
  );
  return listedNodes(stdout);
}
