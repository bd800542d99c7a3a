/**
 * `dbt-run upstreams bump [NAME] [--to REV]`: moves parent pins to a new
 * revision (default: the tip of the parent's default branch), installs them
 * with dbt deps, and reports which of this product's nodes depend on parent
 * models that changed between the two revisions, from the manifests before
 * and after. The comparisons and file edits are pure; git, dbt and the files
 * are the shell. A failed dbt deps or parse puts the pins back.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../atomic-file.js';
import { type DbtCommonArgs, dbtCommandLine } from '../dbt/command.js';
import { runDbtCaptured } from '../dbt/process.js';
import { UsageError } from '../errors.js';
import { editProductManifest } from '../product/edit.js';
import { PRODUCT_MANIFEST_FILE, type ProductManifest } from '../product/manifest.js';
import { redact } from '../redact.js';
import { readParent } from './parent.js';

const bumpManifest = z.looseObject({
  nodes: z.record(
    z.string(),
    z.looseObject({
      package_name: z.string(),
      resource_type: z.string(),
      checksum: z.looseObject({ checksum: z.string() }).optional(),
    }),
  ),
  child_map: z.record(z.string(), z.array(z.string())).default({}),
});

export type BumpManifest = z.infer<typeof bumpManifest>;

/** Nodes of `pkg` added, removed or changed (by dbt's file checksum) between two manifests (pure). */
export function changedPackageNodes(before: BumpManifest, after: BumpManifest, pkg: string): string[] {
  const ids = new Set(
    [...Object.entries(before.nodes), ...Object.entries(after.nodes)]
      .filter(([, node]) => node.package_name === pkg)
      .map(([id]) => id),
  );
  return [...ids].filter((id) => before.nodes[id]?.checksum?.checksum !== after.nodes[id]?.checksum?.checksum).sort();
}

/** For each changed parent node, this product's nodes downstream of it (pure). */
export function affectedNodes(after: BumpManifest, changed: readonly string[], project: string): Map<string, string[]> {
  const affected = new Map<string, string[]>();
  for (const start of changed) {
    const reached = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      for (const child of after.child_map[queue.pop() as string] ?? []) {
        if (!reached.has(child)) {
          reached.add(child);
          queue.push(child);
        }
      }
    }
    const own = [...reached].filter((id) => after.nodes[id]?.package_name === project).sort();
    if (own.length > 0) affected.set(start, own);
  }
  return affected;
}

/** packages.yml with the entry for `url` pinned to `sha` (pure; comments and order kept). */
export function repinPackages(text: string, url: string, sha: string, label: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => /^\s*-\s*git:/.test(line) && line.includes(url));
  const revision = lines.findIndex((line, index) => index > at && /^\s*revision:/.test(line));
  if (at < 0 || revision < 0)
    throw new UsageError(
      `packages.yml has no pinned entry for ${redact(url)}: add it again with create-dbt-product --parent, or by hand`,
    );
  const indent = /^\s*/.exec(lines[revision] as string)?.[0] ?? '    ';
  lines[revision] = `${indent}revision: "${sha}"${label === sha ? '' : ` # ${label}`}`;
  return lines.join('\n');
}

/**
 * dbt-product.yml with upstream `name`'s revision set (pure; comments and
 * formatting kept), validated against the schema: a result that fails it
 * throws, so nothing is written.
 */
export function repinProductManifest(text: string, name: string, sha: string): string {
  return editProductManifest(text, PRODUCT_MANIFEST_FILE, (document) => {
    const upstream = document.toJS()?.upstream as { name?: unknown }[] | undefined;
    const index = Array.isArray(upstream) ? upstream.findIndex((entry) => entry?.name === name) : -1;
    if (index < 0) throw new UsageError(`${PRODUCT_MANIFEST_FILE} lists no upstream ${name}`);
    document.setIn(['upstream', index, 'revision'], sha);
  });
}

export interface Bump {
  name: string;
  from: string;
  to: string;
  /** The revision asked for (or HEAD: the default branch's tip). */
  label: string;
  changed: string[];
  affected: Map<string, string[]>;
}

export interface BumpOptions {
  projectDir: string;
  projectName: string;
  product: ProductManifest;
  /** Which parent; all of them when absent. */
  name?: string | undefined;
  to?: string | undefined;
  dbtPath: string;
  /** dbt's common arguments beside the project (--profiles-dir, --target). */
  dbtArgs: Pick<DbtCommonArgs, 'profilesDir' | 'target'>;
  env: NodeJS.ProcessEnv;
  targetDir: string;
}

async function dbt(options: BumpOptions, [command]: ['deps' | 'parse']): Promise<void> {
  await runDbtCaptured(
    {
      dbtPath: options.dbtPath,
      args: dbtCommandLine({ command, projectDir: options.projectDir, ...options.dbtArgs }),
      cwd: options.projectDir,
      env: options.env,
    },
    (message) => new UsageError(message),
  );
}

async function readBumpManifest(targetDir: string): Promise<BumpManifest> {
  return bumpManifest.parse(JSON.parse(await readFile(path.join(targetDir, 'manifest.json'), 'utf8')));
}

export async function bumpUpstreams(options: BumpOptions): Promise<Bump[]> {
  const upstreams = options.product.upstream.filter((entry) => !options.name || entry.name === options.name);
  if (upstreams.length === 0) {
    const known = options.product.upstream.map((entry) => entry.name);
    throw new UsageError(
      known.length === 0
        ? 'dbt-product.yml lists no upstream product to bump'
        : `no upstream named ${options.name}: dbt-product.yml lists ${known.join(', ')}`,
    );
  }
  // The manifest of the current pins, to compare with: dbt parse makes it (installed pins first).
  await dbt(options, ['deps']);
  await dbt(options, ['parse']);
  const before = await readBumpManifest(options.targetDir);

  const packagesFile = path.join(options.projectDir, 'packages.yml');
  const manifestFile = path.join(options.projectDir, PRODUCT_MANIFEST_FILE);
  const [packagesText, manifestText] = await Promise.all([
    readFile(packagesFile, 'utf8'),
    readFile(manifestFile, 'utf8'),
  ]);
  let packages = packagesText;
  let manifest = manifestText;
  const bumps: Bump[] = [];
  for (const upstream of upstreams) {
    const label = options.to ?? 'HEAD';
    const parent = await readParent({ url: upstream.git, revision: label });
    packages = repinPackages(packages, upstream.git, parent.sha, label === 'HEAD' ? parent.sha : label);
    manifest = repinProductManifest(manifest, upstream.name, parent.sha);
    bumps.push({
      name: upstream.name,
      from: upstream.revision,
      to: parent.sha,
      label,
      changed: [],
      affected: new Map(),
    });
  }
  await writeFileAtomically(packagesFile, packages);
  await writeFileAtomically(manifestFile, manifest);
  try {
    await dbt(options, ['deps']);
    await dbt(options, ['parse']);
  } catch (error) {
    // Back to the pins that worked: nothing half-moved.
    await writeFileAtomically(packagesFile, packagesText);
    await writeFileAtomically(manifestFile, manifestText);
    await dbt(options, ['deps']).catch(() => {});
    throw error;
  }
  const after = await readBumpManifest(options.targetDir);
  for (const bump of bumps) {
    bump.changed = changedPackageNodes(before, after, bump.name);
    bump.affected = affectedNodes(after, bump.changed, options.projectName);
  }
  return bumps;
}

/** The report, one block per parent (pure). */
export function bumpReport(bumps: readonly Bump[]): string[] {
  const lines: string[] = [];
  for (const bump of bumps) {
    const label = bump.label === 'HEAD' ? '' : ` (${bump.label})`;
    if (bump.from === bump.to) {
      lines.push(`${bump.name}: already at ${bump.to.slice(0, 12)}${label}`);
      continue;
    }
    lines.push(`${bump.name}: ${bump.from.slice(0, 12)} → ${bump.to.slice(0, 12)}${label}, installed`);
    lines.push(
      bump.changed.length === 0
        ? '  no parent node changed'
        : `  ${bump.changed.length} parent node${bump.changed.length === 1 ? '' : 's'} changed: ${bump.changed.join(', ')}`,
    );
    if (bump.affected.size === 0) lines.push('  no node of this product depends on them');
    for (const [parentNode, own] of bump.affected) lines.push(`  ${parentNode} → ${own.join(', ')}`);
  }
  return lines;
}
