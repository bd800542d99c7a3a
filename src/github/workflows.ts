/**
 * What a product's GitHub workflows (templates/product/_github/workflows)
 * are made of, defined once (pure): each third-party action's pinned `uses:`
 * (from ./pins.ts, never copied by hand), the S3 keys of the product's deploy
 * and state (from src/infra/facts.ts, which the stack's policies use too), the
 * local folder the prod manifest is fetched into, and the per-PR schema.
 */
import { s3Prefixes } from '../infra/facts.js';
import { type PinnedAction, pinnedUses } from './pins.js';
import {
  type GitHubSetting,
  githubSettings,
  type SettingsVariant,
  settingsCommand,
  settingsFile,
  settingsOutputValue,
  settingsStep,
} from './settings.js';

/** Where CI puts the prod manifest for --state: kept apart from target/, which dbt rewrites. */
export const STATE_DIR = '.state';

/** The Node.js and Python versions the workflows install dbt-run and its dbt venv with. */
export const WORKFLOW_NODE_VERSION = '22';
export const WORKFLOW_PYTHON_VERSION = '3.12';

/** The environment whose manifest CI defers to, and which the scheduled run and the deploy target. */
export const PROD_ENVIRONMENT = 'prod';
/** The environment pull requests build in (its run role, its database settings). */
export const CI_ENVIRONMENT = 'dev';

/** A pull request's schema, `pr_<number>_<product>` (its custom schemas append to it, as dbt's do). */
export function prSchema(product: string, pullRequest: number | string): string {
  return `pr_${pullRequest}_${product}`;
}

export interface WorkflowTemplateFacts {
  /** run.yml runs on a schedule: only when no orchestrator (MWAA's DAG or workflow) schedules the product. */
  scheduled: boolean;
  uses: Record<PinnedAction, string>;
  nodeVersion: string;
  pythonVersion: string;
  stateDir: string;
  prodEnvironment: string;
  ciEnvironment: string;
  /** The product's S3 keys in prod (the deploy writes them, CI reads the state). */
  prefixes: ReturnType<typeof s3Prefixes>;
  /** The steps every workflow's job starts with after checkout (YAML, indented for a job's steps). */
  setupSteps: string;
  /** The step that reads the database password from Secrets Manager (password sign-in only). */
  passwordStep: string;
  /** What the workflows read from infra/github-<environment>.env (./settings.ts), for the README. */
  settings: (GitHubSetting & { fromStack: boolean })[];
  /** Each environment's settings file, and the step that loads it (first after checkout). */
  settingsFiles: { ci: string; prod: string };
  settingsSteps: { ci: string; prod: string };
  /** The stack output `GitHubSettings` (CloudFormation JSON), and the commands that write each file from it. */
  settingsOutput: unknown;
  settingsCommands: { ci: string; prod: string };
}

/** A GitHub Actions expression, `${{ body }}` (made here: in a plain string it reads like a mistaken template). */
const expression = (body: string) => `\${{ ${body} }}`;

/** Job steps: each line indented as a job's `steps:` items are. */
const asSteps = (lines: readonly string[]) => lines.map((line) => `      ${line}`).join('\n');

/**
 * Node and Python, dbt-run (the product's vendored kit, else the registry's
 * dbt-run of the kit's version), the pinned dbt venv cached by kit version
 * and Python (as the kit's action.yml does), and `DBT_PATH` set for the job:
 * the plain dbt commands (deps, parse, run-operation) run that dbt, the venv
 * dbt-run finds itself (pure).
 */
export function setupSteps(kitVersion: string): string {
  const uses = pinnedUses();
  return asSteps([
    `- uses: ${uses.setupNode}`,
    '  with:',
    `    node-version: "${WORKFLOW_NODE_VERSION}"`,
    `- uses: ${uses.setupPython}`,
    '  id: python',
    '  with:',
    `    python-version: "${WORKFLOW_PYTHON_VERSION}"`,
    '- name: Install dbt-run',
    '  run: |',
    '    set -euo pipefail',
    '    shopt -s nullglob',
    "    # The kit's tarballs when vendored (vendor/kit/README.md), else dbt-run from the registry.",
    '    tarballs=(vendor/kit/*.tgz)',
    `    if [ \${#tarballs[@]} -gt 0 ]; then`,
    `      npm install --global --no-audit --no-fund "\${tarballs[@]}"`,
    '    else',
    `      npm install --global --no-audit --no-fund "dbt-run@${kitVersion}"`,
    '    fi',
    `- uses: ${uses.cache}`,
    '  with:',
    '    path: ~/.cache/dbt-product-kit',
    `    key: dbt-product-kit-venv-${kitVersion}-${expression('runner.os')}-py${expression('steps.python.outputs.python-version')}`,
    '- name: Create the pinned dbt venv',
    '  run: |',
    '    set -euo pipefail',
    '    dbt-run setup | tee "$RUNNER_TEMP/dbt-run-setup.log"',
    "    # dbt-run finds this dbt itself; the job's plain dbt commands run it as $DBT_PATH.",
    `    dbt_path="$(sed -n 's/^dbt .*installed: //p' "$RUNNER_TEMP/dbt-run-setup.log" | tail -n 1)"`,
    '    if [ ! -x "$dbt_path" ]; then echo "::error::dbt-run setup named no dbt executable"; exit 1; fi',
    '    echo "DBT_PATH=$dbt_path" >> "$GITHUB_ENV"',
  ]);
}

/**
 * The database password, from the Secrets Manager secret the run role may read
 * (DBT_REDSHIFT_SECRET_ARN), for profiles.yml's DBT_ENV_SECRET_REDSHIFT_PASSWORD:
 * masked in the job's log before it is written to the job's environment (pure).
 */
export function passwordStep(): string {
  const field = (expression: string) =>
    `"$(printf '%s' "$secret" | python3 -c 'import json, sys; print(json.load(sys.stdin)${expression})')"`;
  return asSteps([
    '- name: Read the database password',
    '  run: |',
    '    set -euo pipefail',
    '    # With the run role (OIDC); masked before anything could print it.',
    '    secret="$(aws secretsmanager get-secret-value --secret-id "$DBT_REDSHIFT_SECRET_ARN" --query SecretString --output text)"',
    `    password=${field('["password"]')}`,
    `    user=${field('.get("username", "")')}`,
    '    echo "::add-mask::$password"',
    '    delimiter="password_$(openssl rand -hex 16)"',
    '    { echo "DBT_ENV_SECRET_REDSHIFT_PASSWORD<<$delimiter"; echo "$password"; echo "$delimiter"; } >> "$GITHUB_ENV"',
    '    if [ -n "$user" ]; then echo "DBT_REDSHIFT_USER=$user" >> "$GITHUB_ENV"; fi',
  ]);
}

export function workflowTemplateFacts(
  product: string,
  kitVersion: string,
  variant: SettingsVariant,
): WorkflowTemplateFacts {
  const settings = githubSettings(variant);
  return {
    scheduled: variant.orchestrator === 'none',
    uses: pinnedUses(),
    nodeVersion: WORKFLOW_NODE_VERSION,
    pythonVersion: WORKFLOW_PYTHON_VERSION,
    stateDir: STATE_DIR,
    prodEnvironment: PROD_ENVIRONMENT,
    ciEnvironment: CI_ENVIRONMENT,
    prefixes: s3Prefixes(product, PROD_ENVIRONMENT),
    setupSteps: setupSteps(kitVersion),
    passwordStep: passwordStep(),
    settings: settings.map((setting) => ({ ...setting, fromStack: setting.stackValue !== undefined })),
    settingsFiles: { ci: settingsFile(CI_ENVIRONMENT), prod: settingsFile(PROD_ENVIRONMENT) },
    settingsSteps: { ci: settingsStep(CI_ENVIRONMENT, settings), prod: settingsStep(PROD_ENVIRONMENT, settings) },
    settingsOutput: settingsOutputValue(settings),
    settingsCommands: {
      ci: settingsCommand(`${product}-${CI_ENVIRONMENT}`, CI_ENVIRONMENT),
      prod: settingsCommand(`${product}-${PROD_ENVIRONMENT}`, PROD_ENVIRONMENT),
    },
  };
}
