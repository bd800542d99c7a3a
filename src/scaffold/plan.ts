/**
 * Pure planning of a new product: which files to write and what they hold.
 * Templates are the files they become (create-vite style); only files named
 * `*.hbs` are rendered, `__name__` in a path becomes the product name, and
 * `_gitignore` becomes `.gitignore` (npm drops dotfiles named .gitignore from
 * published packages; `_airflowignore` likewise; the folder `_github` becomes
 * `.github`, which a tool reading the kit's repository would take for its own).
 */
import Handlebars from 'handlebars';
import { stringify } from 'yaml';
import { RUN_ORIGIN_ENV } from '../audit/origin.js';
import { type AuditTemplateFacts, auditTemplateFacts } from '../audit/product-facts.js';
import { AUDIT_TABLES, DEFAULT_AUDIT_SCHEMA } from '../audit/tables.js';
import { AUDIT_FAILURE_DAYS, AUDIT_VIEWS, dbtViewSources } from '../audit/views.js';
import { KitError } from '../errors.js';
import { type WorkflowTemplateFacts, workflowTemplateFacts } from '../github/workflows.js';
import { topicName } from '../infra/facts.js';
import { type InfraTemplateFacts, infraTemplateFacts } from '../infra/template.js';
import { type MessageTemplates, messageTemplates } from '../messages/templates.js';
import {
  airflowConstraintsUrl,
  COSMOS_VERSION,
  MWAA_AIRFLOW_VERSION,
  MWAA_PYTHON_VERSION,
} from '../orchestration/airflow.js';
import { SERVERLESS_ALERTED_EXIT_CODE } from '../orchestration/serverless.js';
import {
  DEFAULT_RETRIES,
  PRODUCT_MANIFEST_FILE,
  PRODUCT_MANIFEST_VERSION,
  type ProductManifest,
  productManifestSchema,
} from '../product/manifest.js';
import type { ParentProduct } from '../upstream/parent.js';
import { exampleModel, packagesYaml } from '../upstream/plan.js';
import { BASE_FILE, baseDocument, byPath, isManaged, kitRecord } from './baseline.js';
import type { ScaffoldOptions } from './options.js';

export interface TemplateFile {
  /** Path relative to the template folder, with `/` separators. */
  path: string;
  content: string;
}

export interface PlannedFile {
  /** Path relative to the product directory, with `/` separators. */
  path: string;
  content: string;
}

const RENAMES: Record<string, string> = {
  _github: '.github',
  _gitignore: '.gitignore',
  _airflowignore: '.airflowignore',
  _dockerignore: '.dockerignore',
};

export interface TemplateContext {
  name: string;
  owner: string;
  description: string;
  kitVersion: string;
  serverless: boolean;
  iam: boolean;
  warehouseLabel: string;
  redshiftTargets: { name: string; schema: string; threads: number }[];
  /** The audit tables' definition, as the macros, models and README write it. */
  audit: AuditTemplateFacts;
  /** The analyst views' descriptions and dbt model SQL, by view name. */
  views: Record<string, { description: string; sql: string }>;
  auditFailureDays: number;
  dbtRequirements: string;
  airflow: { version: string; python: string; constraintsUrl: string; cosmosVersion: string };
  /** How the MWAA DAG runs dbt (watcher or per-node). */
  execution: ScaffoldOptions['execution'];
  /** The orchestrator's task retries (dbt-product.yml); the DAG reads them at parse, the Serverless workflow has them written. */
  retries: ScaffoldOptions['retries'];
  /** The retries when dbt-product.yml has none (the DAG reads the document at parse). */
  retryDefaults: typeof DEFAULT_RETRIES;
  /** Which orchestrator's files the product has. */
  orchestration: { mwaa: boolean; serverless: boolean };
  /** Upstream products (dbt project names) whose completion the workflow waits for. */
  upstreams: string[];
  /** Parent products as the templates use them (schemas of their models, for ref()). */
  parents: { name: string; schemaVariable: string }[];
  /** MWAA Serverless takes cron: off-peak, at a time spread by product name. */
  serverlessSchedule: string;
  /** The exit code dbt-run gives the workflow for a failure it alerted about (src/orchestration/serverless.ts). */
  serverlessAlertedExitCode: number;
  /** What the orchestrators need to build the SNS documents as defined (src/messages). */
  messages: MessageTemplates;
  /** The variables an orchestrator tells dbt-run and the hook where a run came from with (src/audit/origin.ts). */
  runOrigin: typeof RUN_ORIGIN_ENV;
  /** The product's AWS stack (infra/stack.yaml): names, Airflow Variables, parents' subscriptions. */
  infra: InfraTemplateFacts;
  /** The product's GitHub workflows (.github/workflows): pinned actions, S3 keys, state folder. */
  github: WorkflowTemplateFacts;
}

export function templateContext(
  options: ScaffoldOptions,
  kit: { version: string; dbtRequirements: string },
  parents: readonly ParentProduct[] = [],
): TemplateContext {
  const serverless = options.warehouse === 'redshift-serverless';
  return {
    name: options.name,
    owner: options.owner,
    description: options.description,
    kitVersion: kit.version,
    serverless,
    iam: options.auth === 'iam',
    warehouseLabel: serverless ? 'Amazon Redshift Serverless' : 'Amazon Redshift (provisioned)',
    redshiftTargets: [
      { name: 'dev', schema: `${options.name}_dev`, threads: 4 },
      { name: 'prod', schema: options.name, threads: 8 },
    ],
    audit: auditTemplateFacts(),
    views: Object.fromEntries(
      AUDIT_VIEWS.map((view) => [
        view.name,
        { description: view.description, sql: view.sql(dbtViewSources(options.name)) },
      ]),
    ),
    auditFailureDays: AUDIT_FAILURE_DAYS,
    dbtRequirements: kit.dbtRequirements,
    airflow: {
      version: MWAA_AIRFLOW_VERSION,
      python: MWAA_PYTHON_VERSION,
      constraintsUrl: airflowConstraintsUrl(MWAA_AIRFLOW_VERSION, MWAA_PYTHON_VERSION),
      cosmosVersion: COSMOS_VERSION,
    },
    execution: options.execution,
    retries: options.retries,
    retryDefaults: DEFAULT_RETRIES,
    messages: messageTemplates(options.name),
    runOrigin: RUN_ORIGIN_ENV,
    orchestration: { mwaa: options.orchestrator === 'mwaa', serverless: options.orchestrator === 'mwaa-serverless' },
    upstreams: parents.map((parent) => parent.name),
    parents: parents.map((parent) => ({
      name: parent.name,
      schemaVariable: `DBT_UPSTREAM_${parent.name.toUpperCase()}_SCHEMA`,
    })),
    serverlessSchedule: offPeakCron(options.name),
    serverlessAlertedExitCode: SERVERLESS_ALERTED_EXIT_CODE,
    infra: infraTemplateFacts(options.name, DEPLOYED_ENVIRONMENTS, parents),
    github: workflowTemplateFacts(options.name, kit.version, {
      iam: options.auth === 'iam',
      serverless,
      orchestrator: options.orchestrator,
    }),
  };
}

/** A daily cron between 01:00 and 06:59 UTC, never on the hour, the same for the same name (pure). */
export function offPeakCron(name: string): string {
  const hash = [...name].reduce((sum, char) => (sum * 31 + (char.codePointAt(0) ?? 0)) % 1_000_003, 7);
  return `${(hash % 59) + 1} ${(Math.floor(hash / 59) % 6) + 1} * * *`;
}

/** The environments the scaffold writes besides `local`: each has its topics, and a stack of its own. */
const DEPLOYED_ENVIRONMENTS = ['dev', 'prod'] as const;

/** The product's manifest document, validated by its schema. */
export function productManifest(
  options: ScaffoldOptions,
  parents: readonly ParentProduct[] = [],
  kit?: ProductManifest['kit'],
): ProductManifest {
  const placeholder = (kind: 'alerts' | 'events', env: string) =>
    `arn:aws:sns:REGION:ACCOUNT_ID:${topicName(options.name, env, kind)}`;
  return productManifestSchema.parse({
    schema_version: PRODUCT_MANIFEST_VERSION,
    name: options.name,
    owner: options.owner,
    description: options.description,
    warehouse: { type: options.warehouse, auth: options.auth },
    orchestrator: options.orchestrator,
    ...(options.orchestrator === 'mwaa' ? { execution: options.execution } : {}),
    ...(options.orchestrator !== 'none' ? { retries: options.retries } : {}),
    environments: {
      local: { target: 'local' },
      ...Object.fromEntries(
        DEPLOYED_ENVIRONMENTS.map((env) => [
          env,
          {
            target: env,
            alerts: { topic_arn: placeholder('alerts', env) },
            events: { topic_arn: placeholder('events', env) },
          },
        ]),
      ),
    },
    audit: { schema: DEFAULT_AUDIT_SCHEMA, table: AUDIT_TABLES.log.model },
    upstream: parents.map((parent) => ({
      name: parent.name,
      git: parent.url,
      revision: parent.sha,
      ...(parent.eventsTopicArn ? { events_topic_arn: parent.eventsTopicArn } : {}),
    })),
    ...(kit ? { kit } : {}),
  });
}

function renderManifest(
  options: ScaffoldOptions,
  parents: readonly ParentProduct[],
  kit: ProductManifest['kit'],
): string {
  const header = [
    `# ${PRODUCT_MANIFEST_FILE}: what dbt-run, the DAG and other products know about ${options.name}.`,
    '# Replace REGION and ACCOUNT_ID in the topic ARNs before the first deployed run.',
    '# upstream lists parent products, installed as pinned git packages.',
    ...(options.orchestrator === 'none'
      ? []
      : [
          '# retries: how often the orchestrator tries a failed task again (count) and after how long (delay_seconds),',
          options.orchestrator === 'mwaa'
            ? '#   read by the DAG when it parses (its dbt build and check are never retried).'
            : '#   written into mwaa-serverless/ by create-dbt-product upgrade.',
        ]),
    '# kit records what create-dbt-product generated, for create-dbt-product upgrade.',
  ].join('\n');
  return `${header}\n${stringify(productManifest(options, parents, kit), { lineWidth: 0 })}`;
}

const handlebars = Handlebars.create();
// Output is YAML, SQL and Markdown, never HTML: no entity escaping.
handlebars.registerHelper('json', (value: unknown) => JSON.stringify(value));
// A GitHub Actions expression, `${{ body }}`: written by a helper, since `{{` is Handlebars' own.
handlebars.registerHelper('gh', (body: string) => `\${{ ${body} }}`);
// A multi-line value inside an indented block (a YAML block scalar): every line indented.
handlebars.registerHelper('indent', (text: string, spaces: number) =>
  text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n'),
);

export function renderTemplate(template: TemplateFile, context: TemplateContext): PlannedFile {
  const named = template.path.replaceAll('__name__', context.name);
  const renamed = named
    .split('/')
    .map((part) => {
      // A rendered dotfile (`_airflowignore.hbs`) is renamed as the file it becomes.
      const bare = part.replace(/\.hbs$/, '');
      const to = RENAMES[bare];
      return to ? part.replace(bare, to) : part;
    })
    .join('/');
  if (!renamed.endsWith('.hbs')) return { path: renamed, content: template.content };
  const render = handlebars.compile(template.content, { noEscape: true, strict: true });
  return { path: renamed.slice(0, -'.hbs'.length), content: render(context) };
}

const isDemo = (file: string) => /^(seeds|models\/staging|models\/marts)\//.test(file);

/** Every file of the new product, in path order. */
export function planProduct(
  templates: TemplateFile[],
  options: ScaffoldOptions,
  kit: { version: string; dbtRequirements: string },
  parents: readonly ParentProduct[] = [],
): PlannedFile[] {
  const context = templateContext(options, kit, parents);
  // A child builds on its parents' models instead of the demo's seeds, staging and marts, whose
  // names (and tests) would repeat its parents' own demo models: dbt resolves a package's
  // one-argument refs, generic tests' among them, to the root project's model of that name first.
  const own = parents.length > 0 ? templates.filter((template) => !isDemo(template.path)) : templates;
  const files = own.map((template) => renderTemplate(template, context));
  files.push({ path: 'requirements.txt', content: kit.dbtRequirements });
  const managed = files.filter((file) => isManaged(file.path));
  files.push({ path: BASE_FILE, content: baseDocument(managed) });
  files.push({
    path: PRODUCT_MANIFEST_FILE,
    content: renderManifest(options, parents, kitRecord(kit.version, managed)),
  });
  if (parents.length > 0) files.push({ path: 'packages.yml', content: packagesYaml(parents) });
  for (const parent of parents) {
    const example = exampleModel(parent);
    if (example) files.push(example);
  }
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new KitError(`two templates produce ${file.path}`);
    seen.add(file.path);
  }
  return files.sort(byPath);
}
