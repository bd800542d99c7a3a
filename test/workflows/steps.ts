/**
 * A product's GitHub workflows as the tests read and run them: the planned
 * files parsed, GitHub's expressions evaluated (the small part of the
 * language the workflows use: contexts, literals, ==, !=, !, &&, || and the
 * status functions), and a job's steps run in order the way a runner does,
 * each `run:` script by `bash -e` with the job's and the step's env, the
 * GITHUB_ENV and GITHUB_OUTPUT files read back between steps. A `uses:` step
 * is not run: the test provides its effect (a checkout, dbt-run on PATH, AWS
 * credentials for moto).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { planProductFiles } from '../../src/scaffold/create.js';
import { normaliseOptions, type ScaffoldInput } from '../../src/scaffold/options.js';

export interface WorkflowStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  env?: Record<string, string | number | boolean>;
  with?: Record<string, string | number | boolean>;
}

export interface WorkflowJob {
  'runs-on': string;
  environment?: string;
  permissions?: Record<string, string>;
  env?: Record<string, string | number | boolean>;
  steps: WorkflowStep[];
}

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, WorkflowJob>;
}

export const WORKFLOW_FILES = ['ci.yml', 'deploy.yml', 'pr-cleanup.yml', 'run.yml'] as const;

/** The planned product's workflow files (path under .github/workflows → text). */
export async function plannedWorkflows(input: Partial<ScaffoldInput> = {}): Promise<Map<string, string>> {
  const options = normaliseOptions({ dir: '/tmp/orders', name: 'orders', owner: 'ana@example.com', ...input });
  const files = await planProductFiles(options);
  return new Map(
    files
      .filter((file) => file.path.startsWith('.github/workflows/'))
      .map((file) => [file.path.slice('.github/workflows/'.length), file.content]),
  );
}

export const parseWorkflow = (text: string) => parse(text) as Workflow;

/** The only job of a workflow (each generated workflow has one). */
export function onlyJob(workflow: Workflow): WorkflowJob {
  const jobs = Object.values(workflow.jobs);
  if (jobs.length !== 1) throw new Error(`expected one job, found ${jobs.length}`);
  return jobs[0] as WorkflowJob;
}

// ---- expressions ----------------------------------------------------------------------------

export type Contexts = Record<string, unknown>;
type Value = unknown;

const TOKEN = /\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?)/y;

function tokenize(body: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < body.length) {
    if (body.slice(TOKEN.lastIndex).trim() === '') break;
    const match = TOKEN.exec(body);
    if (!match) throw new Error(`cannot read expression "${body}" at ${TOKEN.lastIndex}`);
    tokens.push(match[1] as string);
  }
  return tokens;
}

const truthy = (value: Value) =>
  !(value === '' || value === 0 || value === false || value === null || value === undefined);
const loose = (value: Value) => (value === null || value === undefined ? '' : String(value));

/** Evaluates an expression's body (without `${{ }}`); `status` answers success(), failure(), always(). */
export function evaluate(body: string, contexts: Contexts, status: 'success' | 'failure' = 'success'): Value {
  const tokens = tokenize(body);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++] as string;
  const primary = (): Value => {
    const token = next();
    if (token === '(') {
      const value = or();
      if (next() !== ')') throw new Error(`unclosed ( in "${body}"`);
      return value;
    }
    if (token === '!') return !truthy(primary());
    if (token.startsWith("'")) return token.slice(1, -1).replaceAll("''", "'");
    if (/^\d/.test(token)) return Number(token);
    if (token === 'true' || token === 'false') return token === 'true';
    if (token === 'null') return null;
    if (peek() === '(') {
      next();
      if (next() !== ')') throw new Error(`only functions without arguments are supported: "${body}"`);
      if (token === 'always') return true;
      if (token === 'success') return status === 'success';
      if (token === 'failure') return status === 'failure';
      if (token === 'cancelled') return false;
      throw new Error(`unknown function ${token}() in "${body}"`);
    }
    let value: Value = contexts;
    for (const part of token.split('.')) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, Value>)[part] : undefined;
    }
    return value;
  };
  const comparison = (): Value => {
    let left = primary();
    while (peek() === '==' || peek() === '!=') {
      const operator = next();
      const right = primary();
      left = operator === '==' ? loose(left) === loose(right) : loose(left) !== loose(right);
    }
    return left;
  };
  const and = (): Value => {
    let left = comparison();
    while (peek() === '&&') {
      next();
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const or = (): Value => {
    let left = and();
    while (peek() === '||') {
      next();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const value = or();
  if (at !== tokens.length) throw new Error(`unexpected "${tokens[at]}" in "${body}"`);
  return value;
}

/** A value with every `${{ body }}` replaced by its value (as text). */
export function interpolate(text: string | number | boolean, contexts: Contexts): string {
  return String(text).replace(/\$\{\{(.*?)\}\}/g, (_, body: string) => loose(evaluate(body, contexts)));
}

// ---- running a job ----------------------------------------------------------------------------

export interface StepResult {
  step: WorkflowStep;
  /** skipped: its `if:` was false; provided: a `uses:` step, whose effect the test gives. */
  outcome: 'success' | 'failure' | 'skipped' | 'provided';
  exitCode?: number;
  output: string;
}

export interface JobRun {
  steps: StepResult[];
  /** What the steps appended to GITHUB_STEP_SUMMARY. */
  summary: string;
  /** steps.<id>.outputs. */
  outputs: Record<string, Record<string, string>>;
  /** The variables the steps wrote to GITHUB_ENV. */
  env: Record<string, string>;
}

/** `NAME=value` and `NAME<<DELIMITER` lines, as GitHub reads GITHUB_ENV and GITHUB_OUTPUT. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      for (index++; index < lines.length && lines[index] !== delimiter; index++) body.push(lines[index] as string);
      values[name] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

export interface RunJobOptions {
  cwd: string;
  /** The runner's environment (PATH, HOME, GITHUB_*, AWS_*...). */
  env: Record<string, string>;
  /** Contexts for the expressions: github, secrets, inputs, runner (steps and env are filled in as the job goes). */
  contexts: Contexts;
  /** Variables that replace the workflow's own (named in the test, with why). */
  overrides?: Record<string, string>;
  /** A folder for the runner's files (RUNNER_TEMP, GITHUB_ENV...). */
  runnerDir: string;
}

/** Runs a job's steps in order, as a runner would; stops running (non-`always()`) steps after a failure. */
export async function runJob(job: WorkflowJob, options: RunJobOptions): Promise<JobRun> {
  await mkdir(options.runnerDir, { recursive: true });
  const runnerTemp = await mkdtemp(path.join(options.runnerDir, 'temp-'));
  const envFile = path.join(runnerTemp, '..', `${path.basename(runnerTemp)}.env`);
  const summaryFile = path.join(runnerTemp, '..', `${path.basename(runnerTemp)}.summary`);
  await writeFile(envFile, '');
  await writeFile(summaryFile, '');
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  const contexts = { ...options.contexts, steps, env: {} as Record<string, string> };
  const jobEnv = Object.fromEntries(
    Object.entries(job.env ?? {}).map(([name, value]) => [name, interpolate(value, contexts)]),
  );
  const results: StepResult[] = [];
  let status: 'success' | 'failure' = 'success';
  for (const [index, step] of job.steps.entries()) {
    // The env context holds what earlier steps wrote to GITHUB_ENV, for `if:` as for the step's values.
    const written = parseCommandFile(await readFile(envFile, 'utf8'));
    contexts.env = { ...jobEnv, ...written };
    const condition = step.if ?? 'success()';
    const bare = condition.replace(/^\$\{\{(.*)\}\}$/s, '$1');
    if (!truthy(evaluate(bare, contexts, status))) {
      results.push({ step, outcome: 'skipped', output: '' });
      continue;
    }
    if (step.uses) {
      results.push({ step, outcome: 'provided', output: '' });
      continue;
    }
    const stepEnv = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([name, value]) => [name, interpolate(value, contexts)]),
    );
    const outputFile = path.join(runnerTemp, '..', `${path.basename(runnerTemp)}.output-${index}`);
    await writeFile(outputFile, '');
    const script = path.join(runnerTemp, `step-${index}.sh`);
    await writeFile(script, interpolate(step.run ?? '', contexts));
    const result = await execa('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', script], {
      cwd: options.cwd,
      env: {
        ...options.env,
        ...jobEnv,
        ...written,
        ...stepEnv,
        ...options.overrides,
        RUNNER_TEMP: runnerTemp,
        GITHUB_ENV: envFile,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
      },
      extendEnv: false,
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    if (step.id) steps[step.id] = { outputs: parseCommandFile(await readFile(outputFile, 'utf8')) };
    const failed = result.exitCode !== 0;
    if (failed) status = 'failure';
    results.push({
      step,
      outcome: failed ? 'failure' : 'success',
      exitCode: result.exitCode ?? -1,
      output: result.all ?? '',
    });
  }
  return {
    steps: results,
    summary: await readFile(summaryFile, 'utf8'),
    outputs: Object.fromEntries(Object.entries(steps).map(([id, value]) => [id, value.outputs])),
    env: parseCommandFile(await readFile(envFile, 'utf8')),
  };
}

/** One step's result, by name, for assertions. */
export function stepNamed(run: JobRun, name: string): StepResult {
  const found = run.steps.find((result) => result.step.name === name);
  if (!found)
    throw new Error(
      `no step "${name}" in ${run.steps.map((result) => result.step.name ?? result.step.uses).join(', ')}`,
    );
  return found;
}
