/**
 * The options of `create-dbt-product`, normalised once: defaults filled in,
 * every value validated, with a one-line error naming what to fix.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import {
  AUTH_METHODS,
  type AuthMethod,
  DAG_EXECUTIONS,
  type DagExecution,
  DEFAULT_RETRIES,
  ORCHESTRATORS,
  type Orchestrator,
  PRODUCT_NAME_MAX_LENGTH,
  PRODUCT_NAME_PATTERN,
  type Retries,
  WAREHOUSES,
  type Warehouse,
} from '../product/manifest.js';
import { redact } from '../redact.js';
import { type ParentSpec, parseParentSpec } from '../upstream/parent.js';
import { RESERVED_NAMES } from './reserved-names.js';

export interface ScaffoldInput {
  dir?: string | undefined;
  name?: string | undefined;
  owner?: string | undefined;
  description?: string | undefined;
  warehouse?: string | undefined;
  auth?: string | undefined;
  orchestrator?: string | undefined;
  execution?: string | undefined;
  /** The orchestrator's retries, as dbt-product.yml records them (upgrade re-renders with them). */
  retries?: Retries | undefined;
  /** `<git-url>#<revision>` of each parent product. */
  parents?: string[] | undefined;
  git?: boolean | undefined;
  force?: boolean | undefined;
}

export interface ScaffoldOptions {
  /** Absolute path of the product directory. */
  dir: string;
  name: string;
  owner: string;
  description: string;
  warehouse: Warehouse;
  auth: AuthMethod;
  orchestrator: Orchestrator;
  /** How the MWAA DAG runs dbt: one build per run watched by a task per node, or a dbt process per node. */
  execution: DagExecution;
  /** How often the orchestrator tries a failed task again, and how long after (dbt-product.yml `retries`). */
  retries: Retries;
  /** Parent products to import as pinned git packages (read from git when the product is created). */
  parents: ParentSpec[];
  /** Initialise a git repository and commit (skipped anyway inside a work tree). */
  git: boolean;
  /** Write into a non-empty directory, replacing files of the same name. */
  force: boolean;
}

export const DEFAULT_OWNER = 'data-team';

/** Returns why a product name is invalid, or undefined when it is valid. */
export function productNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the product name is empty';
  if (!PRODUCT_NAME_PATTERN.test(name)) {
    return `invalid product name "${name}": use a lowercase letter first, then lowercase letters, digits or _ (e.g. orders_mart)`;
  }
  if (name.length > PRODUCT_NAME_MAX_LENGTH) {
    return `invalid product name "${name}": at most ${PRODUCT_NAME_MAX_LENGTH} characters`;
  }
  if (RESERVED_NAMES.has(name)) {
    return `invalid product name "${name}": it is a reserved word in dbt, Jinja or SQL; choose another (e.g. ${name}_product)`;
  }
  return undefined;
}

/** The name a directory suggests: its base name made into a valid dbt project name when possible. */
export function suggestName(dir: string): string {
  const base = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(base) ? base : `product_${base}`.replace(/_+$/, '');
}

function textProblem(label: string, value: string, maxLength: number): string | undefined {
  if (value.trim().length === 0) return `the ${label} is empty`;
  if (value.length > maxLength) return `the ${label} is longer than ${maxLength} characters`;
  // Control characters would break the YAML and the product README.
  if (/\p{Cc}/u.test(value)) return `the ${label} contains a control character (line break, tab...)`;
  return undefined;
}

function choice<T extends string>(flag: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`invalid ${flag} "${value}": use one of ${choices.join(', ')}`);
}

function parentSpecs(specs: string[]): ParentSpec[] {
  const parsed = specs.map(parseParentSpec);
  const urls = parsed.map((spec) => spec.url);
  const repeated = urls.find((url, index) => urls.indexOf(url) !== index);
  if (repeated) throw new UsageError(`--parent ${redact(repeated)} is given twice: import each parent once`);
  return parsed;
}

/** Fills in defaults and validates everything; throws UsageError on the first problem. */
export function normaliseOptions(input: ScaffoldInput, cwd = process.cwd()): ScaffoldOptions {
  if (!input.dir || input.dir.trim() === '') {
    throw new UsageError('missing directory: run create-dbt-product <directory> (see --help)');
  }
  const dir = path.resolve(cwd, input.dir);
  const name = input.name ?? suggestName(dir);
  const nameProblem = productNameProblem(name);
  if (nameProblem) {
    throw new UsageError(
      input.name === undefined ? `${nameProblem} (taken from the directory name; pass --name)` : nameProblem,
    );
  }
  const owner = input.owner ?? DEFAULT_OWNER;
  const ownerProblem = textProblem('owner', owner, 200);
  if (ownerProblem) throw new UsageError(`invalid --owner: ${ownerProblem}`);
  const orchestrator = choice('--orchestrator', input.orchestrator, ORCHESTRATORS, 'mwaa');
  const execution = choice('--execution', input.execution, DAG_EXECUTIONS, 'watcher');
  if (input.execution !== undefined && orchestrator !== 'mwaa') {
    throw new UsageError(`--execution is for the MWAA DAG: drop it, or use --orchestrator mwaa (not ${orchestrator})`);
  }
  const description = input.description ?? `The ${name} data product.`;
  const descriptionProblem = textProblem('description', description, 500);
  if (descriptionProblem) throw new UsageError(`invalid --description: ${descriptionProblem}`);
  return {
    dir,
    name,
    owner,
    description,
    warehouse: choice('--warehouse', input.warehouse, WAREHOUSES, 'redshift'),
    auth: choice('--auth', input.auth, AUTH_METHODS, 'password'),
    orchestrator,
    execution,
    retries: input.retries ?? { ...DEFAULT_RETRIES },
    parents: parentSpecs(input.parents ?? []),
    git: input.git ?? true,
    force: input.force ?? false,
  };
}
