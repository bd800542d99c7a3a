/**
 * `create-dbt-product [directory]`: the command line over createProduct().
 * Only main() decides exit codes: 0 created, 2 bad input, 130 cancelled at a
 * prompt, 1 anything else.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { Listr } from 'listr2';
import { parseCommandLine } from '../command-line.js';
import { formatError, KitError } from '../errors.js';
import { AUTH_METHODS, ORCHESTRATORS, WAREHOUSES } from '../product/manifest.js';
import { kitVersion } from '../version.js';
import { createProduct } from './create.js';
import { type CliIo, processIo } from './io.js';
import { DEFAULT_OWNER, normaliseOptions, productNameProblem, type ScaffoldInput, suggestName } from './options.js';

export type { CliIo } from './io.js';

function program(io: CliIo): Command {
  return new Command('create-dbt-product')
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
    .option(
      '--parent <git-url#revision>',
      'import a parent product as a pinned git package (repeatable)',
      (spec: string, earlier: string[]) => [...earlier, spec],
      [] as string[],
    )
    .option('-y, --yes', 'accept defaults, never prompt')
    .option('--no-git', 'do not initialise a git repository')
    .option('--force', 'write into a non-empty directory, replacing files of the same name')
    .option('--dry-run', 'upgrade: show what would change, write nothing')
    .version(kitVersion(), '-v, --version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText(
      'after',
      "\nExamples:\n  npm create dbt-product -- orders --yes\n  create-dbt-product marketing --owner growth@example.com --warehouse redshift-serverless --auth iam\n  create-dbt-product returns --parent https://github.com/acme/orders.git#v1.2.0\n  create-dbt-product upgrade [--dry-run]   # inside a product: merge the kit's current templates into it\n\nExit codes: 0 created (or upgraded), 2 bad input (nothing written), 130 cancelled at a prompt, 1 unexpected failure\nor, for upgrade, conflicts left to resolve.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      // Commander's own errors are re-raised as UsageError and printed once by main().
      writeErr: () => {},
    });
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
  return { ...input, dir, name, owner, warehouse, auth, orchestrator };
}

function nextSteps(dir: string, cwd: string, name: string): string {
  const relative = path.relative(cwd, dir) || '.';
  return [
    '',
    `Created ${name} in ${relative}`,
    '',
    'Next steps:',
    `  cd ${relative}`,
    '  python3 -m venv .venv && .venv/bin/pip install -r requirements.txt',
    '  .venv/bin/dbt build --profiles-dir .      # builds on local DuckDB and fills the audit log',
    '',
    'See README.md in the product for the Postgres and Redshift targets.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    const command = program(io);
    if (!parseCommandLine(command, argv)) return 0; // --help, --version
    if (command.args[0] === 'upgrade') {
      const { runUpgrade } = await import('./upgrade-cli.js');
      return await runUpgrade(io, { dryRun: command.opts<{ dryRun?: boolean }>().dryRun ?? false });
    }
    const flags = command.opts<{
      name?: string;
      owner?: string;
      description?: string;
      warehouse?: string;
      auth?: string;
      orchestrator?: string;
      parent: string[];
      yes?: boolean;
      git: boolean;
      force?: boolean;
    }>();
    const { parent: parents, ...rest } = flags;
    let input: ScaffoldInput = { ...rest, parents, dir: command.args[0] };
    if (io.interactive && !flags.yes) input = await (io.prompt ?? promptForMissing)(input);
    const options = normaliseOptions(input, io.cwd);

    // One listr2 list per step: the rich renderer in a terminal, one line per step elsewhere.
    const renderer = io.interactive ? 'default' : 'simple';
    const created = await createProduct(options, {
      run: async <T>(title: string, work: () => Promise<T>) => {
        const outcome: { value?: T } = {};
        const task = async () => {
          outcome.value = await work();
        };
        await new Listr([{ title, task }], { renderer }).run();
        return outcome.value as T;
      },
    });
    io.stdout.write(nextSteps(created.dir, io.cwd, options.name));
    return 0;
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
