/**
 * `create-dbt-product [directory]`: the command line over createProduct(),
 * and `create-dbt-product upgrade` over upgradeProduct(). Only main() decides
 * exit codes: 0 created, 2 bad input, 130 cancelled at a prompt or interrupted by
 * SIGINT (143 by SIGTERM) while writing, 1 anything else. A second signal
 * while it takes back what it wrote ends the process at once, same code.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { Listr } from 'listr2';
import { commanderOutput, parseCommandLine } from '../command-line.js';
import { formatError, KitError, UsageError } from '../errors.js';
import { AUTH_METHODS, DAG_EXECUTIONS, ORCHESTRATORS, WAREHOUSES } from '../product/manifest.js';
import { kitVersion } from '../version.js';
import { createProduct } from './create.js';
import { type CliIo, processIo } from './io.js';
import {
  DEFAULT_OWNER,
  normaliseOptions,
  productNameProblem,
  type ScaffoldInput,
  type ScaffoldOptions,
  suggestName,
} from './options.js';

export type { CliIo } from './io.js';

interface ScaffoldFlags {
  name?: string;
  owner?: string;
  description?: string;
  warehouse?: string;
  auth?: string;
  orchestrator?: string;
  execution?: string;
  parent: string[];
  yes?: boolean;
  git: boolean;
  force?: boolean;
}

/** What the parse chose: main() runs it once commander has finished. */
type Chosen = { run?: () => Promise<number> };

const COMMANDS = ['upgrade'];

/**
 * After `--` every word is an operand, yet commander still takes a first
 * operand spelled like a command for that command. `-- upgrade` names a
 * directory: `./upgrade` is the same path, and no command's name.
 */
export function directoriesAfterDoubleDash(argv: readonly string[]): string[] {
  const split = argv.indexOf('--');
  if (split < 0) return [...argv];
  const operands = argv.slice(split + 1).map((word) => (COMMANDS.includes(word) ? `./${word}` : word));
  return [...argv.slice(0, split + 1), ...operands];
}

function upgradeCommand(root: Command, io: CliIo, chosen: Chosen): void {
  const upgrade = root
    .command('upgrade')
    .description("inside a product: merge the kit's current templates into it (three-way, your edits kept)")
    .option('--dry-run', 'show what would change, write nothing')
    .addHelpText(
      'after',
      '\nTo scaffold a directory named upgrade: create-dbt-product ./upgrade (or create-dbt-product -- upgrade).\nExit codes: 0 upgraded (or nothing to do), 1 conflicts left to resolve (or, with --dry-run, there would be),\n2 bad input (not inside a product).',
    );
  upgrade.action((flags: { dryRun?: boolean }) => {
    // With positional options, scaffolding options before `upgrade` would be parsed and then ignored.
    const given = root.options.filter((option) => root.getOptionValueSource(option.attributeName()) === 'cli');
    if (given.length > 0) {
      throw new UsageError(
        `upgrade takes no ${given.map((option) => option.long).join(', ')}: run create-dbt-product upgrade [--dry-run] inside the product`,
      );
    }
    chosen.run = async () => (await import('./upgrade-cli.js')).runUpgrade(io, { dryRun: flags.dryRun ?? false });
  });
}

function program(io: CliIo, chosen: Chosen): Command {
  const root = new Command('create-dbt-product')
    .usage('[directory] [options]  |  upgrade [--dry-run]')
    .description(
      'Scaffold a dbt data product: models, contracts, tests, audit log, profiles for DuckDB, Postgres and Redshift.',
    )
    .argument('[directory]', 'where to create the product (empty or missing; a lone .git is fine)')
    .option('--name <name>', 'dbt project name (default: from the directory name)')
    .option('--owner <owner>', `owning team or e-mail (default: ${DEFAULT_OWNER})`)
    .option('--description <text>', 'one line about the product')
    .addOption(new Option('--warehouse <type>', 'Redshift flavour of the dev/prod targets').choices(WAREHOUSES))
    .addOption(new Option('--auth <method>', 'how dev/prod authenticate to Redshift').choices(AUTH_METHODS))
    .addOption(
      new Option(
        '--orchestrator <kind>',
        'what schedules it: a Cosmos DAG for MWAA (default), an MWAA Serverless workflow, or none',
      ).choices(ORCHESTRATORS),
    )
    .addOption(
      new Option(
        '--execution <mode>',
        'how the MWAA DAG runs dbt: watcher (default: one dbt build per run, a task per node follows it) or per-node (a dbt process per node)',
      ).choices(DAG_EXECUTIONS),
    )
    .option(
      '--parent <git-url#revision>',
      'import a parent product as a pinned git package (repeatable; no credential in the URL)',
      (spec: string, earlier: string[]) => [...earlier, spec],
      [] as string[],
    )
    .option('-y, --yes', 'accept defaults, never prompt')
    .option('--no-git', 'do not initialise a git repository')
    .option('--force', 'write into a non-empty directory, replacing files of the same name')
    .version(kitVersion(), '-v, --version')
    .helpOption('-h, --help', 'show this help')
    // `help` stays a directory name, as it always was.
    .helpCommand(false)
    // Options after `upgrade` are its own: `create-dbt-product upgrade --yes` is an unknown option.
    .enablePositionalOptions()
    .addHelpText(
      'after',
      "\nExamples:\n  npm create dbt-product -- orders --yes\n  create-dbt-product marketing --owner growth@example.com --warehouse redshift-serverless --auth iam\n  create-dbt-product returns --parent https://github.com/acme/orders.git#v1.2.0\n  create-dbt-product legacy --execution per-node   # the MWAA DAG runs one dbt process per model task\n  create-dbt-product upgrade [--dry-run]   # inside a product: merge the kit's current templates into it\n  create-dbt-product ./upgrade             # a product in a directory named upgrade (or: -- upgrade)\n\nA --parent URL with a credential in it (https://TOKEN@..., user:password@...) is refused: git reads a\nprivate parent through your credential helper, dbt deps through DBT_ENV_SECRET_GIT_CREDENTIAL.\n\nExit codes: 0 created (or upgraded), 2 bad input (nothing written), 130 cancelled at a prompt or by Ctrl-C\n(143 by SIGTERM; nothing left behind unless a second signal cuts that short), 1 unexpected failure or, for upgrade, conflicts left to resolve.",
    )
    .exitOverride()
    .configureOutput(commanderOutput(io));
  root.action((directory: string | undefined, flags: ScaffoldFlags) => {
    chosen.run = () => scaffold(directory, flags, io);
  });
  upgradeCommand(root, io, chosen);
  return root;
}

/** Prompts with @inquirer/prompts for every value the flags did not give. */
export async function promptForMissing(input: ScaffoldInput): Promise<ScaffoldInput> {
  const { input: ask, select } = await import('@inquirer/prompts');
  const dir = input.dir ?? (await ask({ message: 'Directory for the new product', default: 'my_product' }));
  const name =
    input.name ??
    (await ask({
      message: 'dbt project name',
      default: suggestName(dir),
      validate: (value) => productNameProblem(value) ?? true,
    }));
  const owner = input.owner ?? (await ask({ message: 'Owning team or e-mail', default: DEFAULT_OWNER }));
  const warehouse =
    input.warehouse ??
    (await select({
      message: 'Redshift flavour',
      choices: [
        { name: 'Provisioned cluster', value: 'redshift' },
        { name: 'Serverless workgroup', value: 'redshift-serverless' },
      ],
    }));
  const auth =
    input.auth ??
    (await select({
      message: 'Redshift authentication',
      choices: [
        { name: 'User and password (password from DBT_ENV_SECRET_REDSHIFT_PASSWORD)', value: 'password' },
        { name: 'IAM (role in CI, AWS profile locally)', value: 'iam' },
      ],
    }));
  const orchestrator =
    input.orchestrator ??
    (await select({
      message: 'Orchestrator',
      choices: [
        { name: 'Airflow on MWAA (a Cosmos DAG)', value: 'mwaa' },
        { name: 'MWAA Serverless (a dag-factory workflow running dbt-run on ECS)', value: 'mwaa-serverless' },
        { name: 'None (schedule it yourself)', value: 'none' },
      ],
    }));
  const execution =
    input.execution ??
    (orchestrator === 'mwaa'
      ? await select({
          message: 'How the DAG runs dbt',
          choices: [
            { name: 'One dbt build per DAG run, a task per model follows its result (watcher)', value: 'watcher' },
            { name: 'One dbt process per model task (per-node: much slower, each task alone)', value: 'per-node' },
          ],
        })
      : undefined);
  return { ...input, dir, name, owner, warehouse, auth, orchestrator, execution };
}

function nextSteps(dir: string, cwd: string, name: string): string {
  const relative = path.relative(cwd, dir) || '.';
  return [
    '',
    `Created ${name} in ${relative}`,
    '',
    'Next steps:',
    `  cd ${relative}`,
    ...[
      [`npm install --global dbt-run@${kitVersion()}`, 'or ./vendor/kit/*.tgz while the kit is not on the registry'],
      ['dbt-run setup', 'the pinned dbt in its own venv, checked'],
      ['dbt-run build', 'builds on local DuckDB, with progress, and fills the audit log'],
    ].map(
      ([command, why], _, all) => `  ${command?.padEnd(Math.max(...all.map((one) => one[0]?.length ?? 0)))}  # ${why}`,
    ),
    '',
    'Day one on GitHub and AWS (README.md in the product): deploy infra/stack.yaml for dev and prod, write',
    "each stack's GitHubSettings output to infra/github-<environment>.env, commit: .github/workflows/ then",
    'build pull requests into their own schema, deploy on push to main, and run prod.',
    '',
  ].join('\n');
}

/** What create-dbt-product exits with when a signal stops it (the shell's 128 + signal number). */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The line for a second signal that ends create-dbt-product before it took back what it wrote (pure). */
export function rollbackCutShort(signal: NodeJS.Signals, options: Pick<ScaffoldOptions, 'dir' | 'force'>): string {
  const staging = path.join(path.dirname(options.dir), `.${path.basename(options.dir)}.create-dbt-product-*`);
  return `create-dbt-product: ${signal} again: stopped before taking back what it wrote; ${options.dir} may hold partial files${options.force ? ` (files it replaced wait in ${staging})` : ` (and ${staging} beside it)`}`;
}

async function scaffold(directory: string | undefined, flags: ScaffoldFlags, io: CliIo): Promise<number> {
  const { parent: parents, ...rest } = flags;
  let input: ScaffoldInput = { ...rest, parents, dir: directory };
  if (io.interactive && !flags.yes) input = await (io.prompt ?? promptForMissing)(input);
  const options = normaliseOptions(input, io.cwd);

  // Ctrl-C or SIGTERM while writing: createProduct takes back what it wrote, then main says so.
  // A second one ends the process at once (a rollback held up by a slow git, a person who wants
  // out), with the first one's exit code. The handler goes the moment createProduct settles:
  // a signal after that meets Node's default and ends the process by that signal.
  const interruption = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const unsubscribe = io.onInterrupt?.((signal) => {
    if (stoppedBy === undefined) {
      stoppedBy = signal;
      interruption.abort(new Error(`interrupted by ${signal}`));
      return;
    }
    const line = rollbackCutShort(signal, options);
    if (io.exitNow) io.exitNow(SIGNAL_EXIT[stoppedBy] ?? 130, line);
    else io.stderr.write(`${line}\n`); // a library caller keeps its process: the rollback goes on
  });
  // One listr2 list per step: the rich renderer in a terminal, one line per step elsewhere.
  const renderer = io.interactive ? 'default' : 'simple';
  let created: Awaited<ReturnType<typeof createProduct>>;
  try {
    created = await createProduct(
      options,
      {
        run: async <T>(title: string, work: () => Promise<T>) => {
          const outcome: { value?: T } = {};
          const task = async () => {
            outcome.value = await work();
          };
          // registerSignalListeners off: listr2's own SIGINT listener ends the process with
          // code 127 at once, leaving the half-written product behind; ours above owns signals.
          await new Listr([{ title, task }], { renderer, registerSignalListeners: false }).run();
          return outcome.value as T;
        },
      },
      interruption.signal,
    );
  } catch (error) {
    // Whatever the step said (git killed by the same Ctrl-C), the signal is why it stopped.
    if (!stoppedBy) throw error;
    io.stderr.write(`create-dbt-product: interrupted by ${stoppedBy}: nothing was written\n`);
    return SIGNAL_EXIT[stoppedBy] ?? 130;
  } finally {
    unsubscribe?.();
  }
  io.stdout.write(nextSteps(created.dir, io.cwd, options.name));
  return 0;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    const chosen: Chosen = {};
    const answered = parseCommandLine(program(io, chosen), directoriesAfterDoubleDash(argv));
    if (answered !== undefined) return answered; // --help, --version
    // The root and upgrade both have an action: commander either chose one or threw.
    if (!chosen.run) throw new KitError(`no command chosen for: create-dbt-product ${argv.join(' ')}`);
    return await chosen.run();
  } catch (error) {
    // Ctrl-C at an @inquirer prompt: nothing was written yet.
    if (error instanceof Error && error.name === 'ExitPromptError') {
      io.stderr.write('cancelled: nothing was written\n');
      return 130;
    }
    io.stderr.write(`${formatError(error)}\n`);
    return error instanceof KitError ? error.exitCode : 1;
  }
}
