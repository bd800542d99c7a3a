/**
 * Resolves the dbt target a run will use, as dbt would: the profile named in
 * dbt_project.yml, from profiles.yml in --profiles-dir, $DBT_PROFILES_DIR, the
 * project directory or ~/.dbt, rendering only the chosen target's Jinja
 * (env_var and the as_* filters) with nunjucks. The runner needs it to pick
 * the audit sink and connect to it; secrets stay in memory.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { parse } from 'yaml';
import { KitError } from '../errors.js';

export class ProfileError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

export interface ResolvedTarget {
  profileName: string;
  targetName: string;
  /** Adapter type: duckdb, postgres, redshift... */
  type: string;
  /** The target's rendered fields (host, port, path, schema...). May hold secrets: never log it. */
  fields: Record<string, unknown>;
  profilesFile: string;
}

export interface ResolveTargetOptions {
  projectDir: string;
  profilesDir?: string | undefined;
  target?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export function findProfilesDir(options: ResolveTargetOptions): string {
  const env = options.env ?? process.env;
  if (options.profilesDir) return path.resolve(options.profilesDir);
  if (env.DBT_PROFILES_DIR) return path.resolve(env.DBT_PROFILES_DIR);
  if (existsSync(path.join(options.projectDir, 'profiles.yml'))) return options.projectDir;
  return path.join(os.homedir(), '.dbt');
}

/**
 * dbt_project.yml's name, profile and target folder. The target folder is
 * dbt's: DBT_TARGET_PATH over the file's target-path (two runs of one
 * project at once each need their own).
 */
export async function readProjectFile(
  projectDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ name: string; profile: string; targetPath: string }> {
  const file = path.join(projectDir, 'dbt_project.yml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ProfileError(`no dbt project at ${projectDir} (dbt_project.yml not found): pass --project-dir`, {
      cause,
    });
  }
  const project = parse(text) as { name?: unknown; profile?: unknown; 'target-path'?: unknown } | null;
  if (!project || typeof project.name !== 'string') throw new ProfileError(`${file} has no project name`);
  return {
    name: project.name,
    profile: typeof project.profile === 'string' ? project.profile : project.name,
    targetPath: env.DBT_TARGET_PATH || (typeof project['target-path'] === 'string' ? project['target-path'] : 'target'),
  };
}

/**
 * A Jinja environment for profiles.yml. An env_var() without a value or a
 * default is noted in `missing` and renders empty, so that one pass names
 * every variable to set rather than the first (missingVariablesError).
 */
function renderer(env: NodeJS.ProcessEnv, missing: Set<string>): nunjucks.Environment {
  const jinja = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  jinja.addGlobal('env_var', (name: string, fallback?: unknown) => {
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback === undefined) {
      missing.add(name);
      return '';
    }
    return fallback;
  });
  for (const filter of ['as_number', 'as_bool', 'as_text', 'as_native'])
    jinja.addFilter(filter, (value: unknown) => value);
  return jinja;
}

/** The error naming every environment variable the profile needs and the environment lacks, if any. */
function missingVariablesError(missing: ReadonlySet<string>): ProfileError | undefined {
  const names = [...missing];
  if (names.length === 0) return undefined;
  return new ProfileError(
    names.length === 1
      ? `environment variable ${names[0]} is required by the profile but not set`
      : `environment variables ${names.join(', ')} are required by the profile but not set`,
  );
}

/** Renders the Jinja in every string of a value, then restores numbers and booleans as dbt's as_* filters do. */
function renderValue(value: unknown, jinja: nunjucks.Environment): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{') && !value.includes('{%')) return value;
    const rendered = jinja.renderString(value, {});
    if (/^-?\d+(\.\d+)?$/.test(rendered)) return Number(rendered);
    if (rendered === 'true' || rendered === 'false') return rendered === 'true';
    return rendered;
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, jinja));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderValue(item, jinja)]));
  }
  return value;
}

export async function resolveTarget(options: ResolveTargetOptions): Promise<ResolvedTarget> {
  const env = options.env ?? process.env;
  const project = await readProjectFile(options.projectDir);
  const profilesFile = path.join(findProfilesDir(options), 'profiles.yml');
  let profiles: Record<string, { target?: unknown; outputs?: Record<string, Record<string, unknown>> }>;
  try {
    profiles = parse(await readFile(profilesFile, 'utf8')) ?? {};
  } catch (cause) {
    throw new ProfileError(`cannot read ${profilesFile}: pass --profiles-dir or set DBT_PROFILES_DIR`, { cause });
  }
  const profile = profiles[project.profile];
  if (!profile?.outputs) throw new ProfileError(`profile "${project.profile}" not found in ${profilesFile}`);
  const missing = new Set<string>();
  const jinja = renderer(env, missing);
  try {
    const targetName = String(options.target ?? env.DBT_TARGET ?? renderValue(profile.target ?? 'default', jinja));
    const unnamed = missingVariablesError(missing);
    if (unnamed) throw unnamed;
    const output = profile.outputs[targetName];
    if (!output) {
      throw new ProfileError(
        `target "${targetName}" not found in profile "${project.profile}" (${profilesFile}); targets: ${Object.keys(profile.outputs).join(', ')}`,
      );
    }
    const fields = renderValue(output, jinja) as Record<string, unknown>;
    const unset = missingVariablesError(missing);
    if (unset) throw unset;
    if (typeof fields.type !== 'string')
      throw new ProfileError(`target "${targetName}" in ${profilesFile} has no type`);
    return { profileName: project.profile, targetName, type: fields.type, fields, profilesFile };
  } catch (error) {
    if (error instanceof ProfileError) throw error;
    // A template error (nunjucks's message): its first line.
    const message = (error as Error).message;
    throw new ProfileError(`cannot render ${profilesFile}: ${message.split('\n')[0]}`, { cause: error });
  }
}
