/**
 * dbt-run's own commands beside dbt's: setup, doctor, and the groups
 * `audit` and `upstreams`. Each runs code it imports only when chosen.
 */
import { REPORT_SINCE, REPORT_TOP } from '../../audit/report/questions.js';
import type { AuditFlags, AuditReportFlags, DoctorFlags, UpstreamsBumpFlags } from '../options.js';
import { AUDIT_QUESTION_COMMANDS } from './audit.js';
import { auditRedshiftOptions, dbtPathOption, projectOptions } from './flags.js';
import type { AnyCommandSpec, CommandSpec } from './spec.js';

export const SETUP: CommandSpec<Record<string, never>> = {
  name: 'setup',
  summary: 'create or refresh the pinned dbt venv',
  define: (command) => {
    command.addHelpText(
      'after',
      '\nExit codes: 0 the venv is ready; 2 it could not be built (Python missing, pip failed).',
    );
  },
  run: async ({ io }) => (await import('../doctor.js')).runSetup(io),
};

export const DOCTOR: CommandSpec<DoctorFlags> = {
  name: 'doctor',
  summary: 'check dbt, the project, profile and target, the connection, the audit sink and AWS settings',
  define: (command) => {
    dbtPathOption(auditRedshiftOptions(projectOptions(command)));
    command.addHelpText(
      'after',
      '\nExit codes: 0 all checks passed; 1 a check failed (each says what to fix); 2 bad input.',
    );
  },
  run: async ({ flags, io }) => (await import('../doctor.js')).runDoctor(flags, io),
};

const FLUSH: CommandSpec<AuditFlags> = {
  name: 'flush',
  summary: 'send the spooled audit uploads and the alerts kept in the outbox (under target/dbt-product-kit)',
  define: (command) => {
    auditRedshiftOptions(projectOptions(command, { target: false }));
    command.addHelpText(
      'after',
      [
        '',
        'Each upload in spool/ goes to the target it was recorded for (idempotent).',
        'Then each failure alert or completion event a run could not publish (SNS down,',
        'a timeout, throttled) goes to its topic from outbox/, at most once: a flush',
        'claims a message before publishing it, so two flushes never send one twice,',
        'and a sent one moves to outbox/sent/. No other command resends alerts.',
        'Exit codes: 0 everything waiting was sent (or nothing waited); 2 an upload is',
        'still spooled or a message still in the outbox, or bad input.',
      ].join('\n'),
    );
  },
  run: async ({ flags, io }) => (await import('../flush.js')).runAuditFlush(flags, io),
};

const REPORT: CommandSpec<AuditReportFlags> = {
  name: 'report',
  summary: 'write one self-contained HTML report of the audit log: charts, failures, flaky tests, freshness, runs',
  define: (command) => {
    command
      .requiredOption('--out <file>', 'the HTML file to write (replaced whole, never left half-written)')
      .option('--since <duration>', 'look back this far: 30m, 24h, 7d, 2w', REPORT_SINCE)
      .option('--product <name>', 'only runs of this data product')
      .option('--env <target>', "only runs on this dbt target (the rows' target_name)")
      .option('--top <n>', 'how many of the slowest models the duration trend follows', String(REPORT_TOP));
    auditRedshiftOptions(projectOptions(command));
    command.addHelpText(
      'after',
      [
        '',
        'One file, no server and no network: uPlot, the data and the page script are inline,',
        'and the page may fetch nothing. It holds a run timeline coloured by status, failures',
        'by node over time, the duration trend of the slowest models, flaky tests, source',
        'freshness, rows affected per model, and a searchable, sortable table of invocations',
        'with their run links. The tables are plain HTML, readable without JavaScript.',
        'Reads the target (-t) through the sink dbt-run writes with (DuckDB, Postgres, Redshift).',
        'Exit codes: 0 written (an audit log with nothing in the window gives a page saying so);',
        '2 bad input, no audit table (the line says what creates it; no file is written), or',
        'the warehouse could not be read.',
      ].join('\n'),
    );
  },
  run: async ({ flags, io }) => (await import('../audit-report.js')).runAuditReport(flags, io),
};

/** `dbt-run audit <command>`: a new audit command is one more spec in this list. */
export const AUDIT_COMMANDS: readonly AnyCommandSpec[] = [FLUSH, ...AUDIT_QUESTION_COMMANDS, REPORT];

const BUMP: CommandSpec<UpstreamsBumpFlags> = {
  name: 'bump',
  summary: 'move parent pins, run dbt deps, and name the nodes their changes reach',
  define: (command) => {
    command
      .argument('[name]', 'the parent product to move (default: every parent in dbt-product.yml)')
      .option('--to <rev>', 'the parent revision to pin (default: the tip of its default branch)');
    dbtPathOption(projectOptions(command));
    command.addHelpText(
      'after',
      '\nA failed dbt deps or parse puts the old pins back.\nExit codes: 0 moved (or already there); 2 bad input, an unknown parent or revision, or dbt failed.',
    );
  },
  run: async ({ args, flags, io }) => (await import('../upstreams.js')).runUpstreamsBump(args[0], flags, io),
};

/** `dbt-run upstreams <command>`. */
export const UPSTREAMS_COMMANDS: readonly AnyCommandSpec[] = [BUMP];
