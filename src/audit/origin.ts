/**
 * Where a run came from (GitHub Actions, Airflow, a person's machine), as
 * the audit rows record it. The on-run-end hook applies the same rules in
 * Jinja (audit_invocation_values, with the variable names rendered from
 * RUN_ORIGIN_ENV): the variables below win over what is detected, so an
 * orchestrator can say what it knows and both writers record it alike.
 */
import os from 'node:os';

/** Variables that say where a run came from, over what the kit detects. */
export const RUN_ORIGIN_ENV = {
  source: 'DBT_PRODUCT_RUN_SOURCE',
  /** The orchestrator's run (an Airflow DAG run id): the invocation row's run_id. */
  runId: 'DBT_PRODUCT_RUN_ID',
  url: 'DBT_PRODUCT_RUN_URL',
  gitSha: 'DBT_PRODUCT_GIT_SHA',
} as const;

export type RunSource = 'github' | 'airflow' | 'local';

export interface RunOrigin {
  run_source: RunSource | string;
  run_id: string | null;
  run_url: string | null;
  repository: string | null;
  git_sha: string | null;
  /**
   * Whether the product's files differed from `git_sha` when it ran (uncommitted or untracked
   * changes): then git_sha alone does not say what ran. Null when unknown: no local checkout,
   * or git_sha names another commit than the checkout's HEAD (set by an orchestrator).
   */
  git_dirty: boolean | null;
  git_ref: string | null;
  actor: string | null;
}

/** What git and the OS know of a local run. */
export interface LocalFacts {
  gitSha?: string | null;
  gitRef?: string | null;
  /** The working tree differs from HEAD (workTreeDirty). */
  dirty?: boolean | null;
  user?: string | null;
}

function detected(env: NodeJS.ProcessEnv, local: LocalFacts): Omit<RunOrigin, 'git_dirty'> {
  const value = (name: string) => env[name] || null;
  if (env.GITHUB_ACTIONS === 'true') {
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    const repository = value('GITHUB_REPOSITORY');
    const runId = value('GITHUB_RUN_ID');
    return {
      run_source: 'github',
      run_id: runId,
      run_url: repository && runId ? `${server}/${repository}/actions/runs/${runId}` : null,
      repository,
      git_sha: value('GITHUB_SHA'),
      git_ref: value('GITHUB_REF_NAME') ?? value('GITHUB_REF'),
      actor: value('GITHUB_ACTOR'),
    };
  }
  const base = {
    run_url: null,
    repository: null,
    git_sha: local.gitSha ?? null,
    git_ref: local.gitRef ?? null,
  };
  if (env.AIRFLOW_CTX_DAG_ID) {
    return {
      ...base,
      run_source: 'airflow',
      run_id: value('AIRFLOW_CTX_DAG_RUN_ID'),
      actor: [env.AIRFLOW_CTX_DAG_ID, env.AIRFLOW_CTX_TASK_ID].filter(Boolean).join('.') || null,
    };
  }
  return { ...base, run_source: 'local', run_id: null, actor: local.user ?? null };
}

/** Reads the run's origin from the environment (pure); `local` supplies what git and the OS know. */
export function runOrigin(env: NodeJS.ProcessEnv, local: LocalFacts = {}): RunOrigin {
  const origin = detected(env, local);
  const gitSha = env[RUN_ORIGIN_ENV.gitSha] || origin.git_sha;
  return {
    ...origin,
    run_source: env[RUN_ORIGIN_ENV.source] || origin.run_source,
    run_id: env[RUN_ORIGIN_ENV.runId] || origin.run_id,
    run_url: env[RUN_ORIGIN_ENV.url] || origin.run_url,
    git_sha: gitSha,
    // The checkout's state says something of git_sha only when git_sha is the checkout's HEAD.
    git_dirty: local.gitSha && gitSha === local.gitSha ? (local.dirty ?? null) : null,
  };
}

/** Where the run came from: the environment, else the local git commit and user. */
export async function runOriginFor(projectDir: string, env: NodeJS.ProcessEnv): Promise<RunOrigin> {
  const { headInfo, workTreeDirty } = await import('../git/index.js');
  const [head, dirty] = await Promise.all([headInfo(projectDir), workTreeDirty(projectDir)]);
  // The login name as the environment says it first, as the hook (which cannot ask the OS) reads it.
  const user = env.USER || env.LOGNAME || os.userInfo().username;
  return runOrigin(env, { gitSha: head.sha, gitRef: head.ref, dirty, user });
}
