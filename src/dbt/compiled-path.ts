/**
 * Where dbt writes a node's compiled SQL (pure), as dbt-core's
 * get_target_write_path does: `<target>/compiled/<package>/<file>`, and for a
 * node one file declares among many (a generic test in a schema.yml)
 * `<target>/compiled/<package>/<that file>/<node path>`. A manifest written
 * by a run that compiled the node also says it (`compiled_path`): that wins.
 */
import path from 'node:path';

export interface CompiledPathFacts {
  package_name?: unknown;
  original_file_path?: unknown;
  path?: unknown;
  compiled_path?: unknown;
}

/** The node's compiled SQL path relative to the project, or undefined when the manifest cannot say. */
export function compiledPathOf(node: CompiledPathFacts, targetPath: string): string | undefined {
  if (typeof node.compiled_path === 'string' && node.compiled_path) return node.compiled_path;
  const { package_name: packageName, original_file_path: file, path: nodePath } = node;
  if (typeof packageName !== 'string' || typeof file !== 'string' || !file) return undefined;
  const posix = path.posix;
  const oneToOne = typeof nodePath !== 'string' || posix.basename(nodePath) === posix.basename(file);
  return posix.join(targetPath, 'compiled', packageName, oneToOne ? file : posix.join(file, nodePath as string));
}
