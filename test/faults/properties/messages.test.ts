/**
 * Properties of the failure alert (`run.failed`) and the completion event
 * (`product.completed`) that dbt-run publishes to SNS, for arbitrary node
 * names, statuses, dbt messages and errors (any code point, quotes,
 * backslashes, NUL, newlines, credentials in URLs): the Publish request is
 * one SNS accepts (MessageStructure=json with string values, a Subject of
 * fewer than 100 printable ASCII characters, non-empty attributes, at most
 * 256 KiB with the attributes), its documents validate against their zod
 * definitions and shipped JSON Schemas, it adds no lone surrogate to
 * well-formed text, and no credential that src/redact.ts removes gets through.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_BYTES,
  type PlannedMessage,
  planCompletionEvent,
  planFailureAlert,
} from '../../../src/alerts/message.js';
import { publishInput } from '../../../src/alerts/publish.js';
import { AUDIT_COLUMNS, type AuditRow, INVOCATION_COLUMNS, type InvocationRow } from '../../../src/audit/columns.js';
import type { AuditBatch } from '../../../src/audit/sinks/types.js';
import { BUILDING_COMMANDS } from '../../../src/dbt/command.js';
import { fieldNames, PRODUCT_COMPLETED, RUN_FAILED, runFailedFailure } from '../../../src/messages/index.js';
import { messageSchemaPath } from '../../../src/schemas/json-schema.js';
import { shippedSchema } from '../../harness/message-schema.js';
import { bigText, isWellFormed, RUNS, type TextOptions, text } from './arbitraries.js';

/** SNS's limits (Publish and MessageAttributeValue in the SNS API reference). */
const SNS = {
  maxBytes: 262_144,
  maxAttributes: 10,
  attributeName: /^(?!aws\.|amazon\.)(?!\.)(?!.*\.\.)[A-Za-z0-9_.-]{1,256}(?<!\.)$/i,
  /** Fewer than 100 printable ASCII characters, beginning with a letter, number or punctuation. */
  subject: /^[\x21-\x7e][\x20-\x7e]{0,98}$/,
  structureKeys: ['default', 'email', 'sqs', 'lambda', 'http', 'https', 'email-json', 'firehose'],
};

// The shipped JSON Schemas, compiled once (test/harness/message-schema.ts compiles per call).
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
const validators = {
  'run.failed': ajv.compile(shippedSchema(messageSchemaPath(RUN_FAILED))),
  'product.completed': ajv.compile(shippedSchema(messageSchemaPath(PRODUCT_COMPLETED))),
};

/** A password no generated text holds by chance, in a URL the way a database or git error quotes one. */
const SECRET_PREFIX = 'pw9Zq';
const credentialUrl = fc
  .tuple(
    fc.constantFrom('postgres', 'https', 'redshift+psycopg2', 'git+ssh', 'jdbc:redshift'),
    fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/),
    fc.stringMatching(/^[A-Za-z0-9]{12}$/),
    fc.constantFrom('db.example.com:5439/dev', 'github.com/acme/orders.git', '10.0.0.7', 'host'),
  )
  .map(([scheme, user, password, rest]) => ({
    url: `${scheme}://${user}:${SECRET_PREFIX}${password}@${rest}`,
    secret: `${SECRET_PREFIX}${password}`,
  }));

/** Free text, sometimes with a credential URL inside it: [text, the secret it holds (or undefined)]. */
function freeText(plain: fc.Arbitrary<string>): fc.Arbitrary<[string, string | undefined]> {
  return fc.oneof(
    { arbitrary: plain.map((value): [string, string | undefined] => [value, undefined]), weight: 3 },
    {
      arbitrary: fc
        .tuple(plain, credentialUrl, plain)
        .map(([before, { url, secret }, after]): [string, string | undefined] => [`${before}${url}${after}`, secret]),
      weight: 1,
    },
  );
}

/** Long runs of what JSON escapes (twice over in the document: `"` takes 4 bytes, a control character 7). */
const escapedText = fc
  .tuple(fc.constantFrom('"', '\\', '\u0001', '\u001b[31m', '\n'), fc.nat({ max: 30_000 }))
  .map(([piece, times]) => piece.repeat(times));

const STATUSES = ['error', 'fail', 'warn', 'runtime error', 'success', 'pass', 'skipped', 'no-op'];
const timestamp = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => `${date.toISOString().replace('T', ' ').slice(0, 23)}000`);
const count = fc.option(fc.nat({ max: 100_000 }));
const identifier = fc.stringMatching(/^[a-z][a-z0-9_]{0,40}$/);

interface Scenario {
  batch: AuditBatch;
  product: string;
  environment: string;
  includeWarnings: boolean;
  secrets: string[];
}

/**
 * A run of up to `maxNodes` arbitrary nodes: dbt's texts (node names and messages, the error,
 * the selection) from `plain`; the run's own short fields (id, target, command, commit, URL)
 * from `short`, since the kit or CI makes them.
 */
function scenario(plain: fc.Arbitrary<string>, maxNodes: number, short = plain): fc.Arbitrary<Scenario> {
  const node = fc.record({
    unique_id: plain,
    name: plain,
    resource_type: fc.oneof(fc.constantFrom('model', 'test', 'seed', 'snapshot'), plain),
    status: fc.oneof({ arbitrary: fc.constantFrom(...STATUSES), weight: 5 }, { arbitrary: plain, weight: 1 }),
    relation_name: fc.option(plain),
    message: fc.option(freeText(plain)),
  });
  return fc
    .record({
      nodes: fc.array(node, { maxLength: maxNodes }),
      invocationId: short,
      status: fc.constantFrom('success', 'failed', 'error', 'interrupted', 'weird'),
      command: fc.option(fc.oneof(fc.constantFrom('build', 'run', 'test'), short)),
      target: fc.option(short),
      selection: fc.option(freeText(plain)),
      errorMessage: fc.option(freeText(plain)),
      runUrl: fc.option(freeText(short)),
      gitSha: fc.option(short),
      exitCode: fc.option(fc.integer({ min: -255, max: 255 })),
      startedAt: fc.option(timestamp),
      completedAt: fc.option(timestamp),
      counts: fc.array(count, { minLength: 7, maxLength: 7 }),
      product: identifier,
      environment: identifier,
      includeWarnings: fc.boolean(),
    })
    .map((drawn) => {
      const secrets: string[] = [];
      const said = (value: [string, string | undefined] | null) => {
        if (value?.[1]) secrets.push(value[1]);
        return value ? value[0] : null;
      };
      const nodes = drawn.nodes.map((drawnNode) => {
        const row = Object.fromEntries(AUDIT_COLUMNS.map((column) => [column.name, null])) as AuditRow;
        return Object.assign(row, { ...drawnNode, message: said(drawnNode.message) });
      });
      const invocation = Object.fromEntries(INVOCATION_COLUMNS.map((column) => [column.name, null])) as InvocationRow;
      const [total, success, error, skipped, pass, fail, warn] = drawn.counts;
      Object.assign(invocation, {
        invocation_id: drawn.invocationId,
        product_name: drawn.product,
        target_name: drawn.target,
        command: drawn.command,
        selection: said(drawn.selection),
        status: drawn.status,
        exit_code: drawn.exitCode,
        started_at: drawn.startedAt,
        completed_at: drawn.completedAt,
        nodes_total: total,
        nodes_success: success,
        nodes_error: error,
        nodes_skipped: skipped,
        nodes_pass: pass,
        nodes_fail: fail,
        nodes_warn: warn,
        error_message: said(drawn.errorMessage),
        run_url: said(drawn.runUrl),
        git_sha: drawn.gitSha,
      });
      return {
        batch: { invocationId: drawn.invocationId, invocation, nodes },
        product: drawn.product,
        environment: drawn.environment,
        includeWarnings: drawn.includeWarnings,
        secrets,
      };
    });
}

/** Every string inside a parsed JSON value. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** True when the scenario's own texts hold no lone surrogate (so the message must not either). */
function wellFormedInput(run: Scenario): boolean {
  return stringsOf([run.batch.invocation, run.batch.nodes, run.batch.invocationId]).every(isWellFormed);
}

/**
 * What SNS and the message's consumers require of a planned message, as a list of what is wrong
 * (empty when all is well: one expect() a case, not thirty) and the parsed document.
 */
function publishProblems(planned: PlannedMessage, run: Scenario): { problems: unknown[]; document: Document } {
  const problems: unknown[] = [];
  const must = (ok: boolean, what: string, detail?: unknown) => {
    if (!ok) problems.push(detail === undefined ? what : { [what]: detail });
  };
  const input = publishInput('arn:aws:sns:eu-west-1:123456789012:alerts', planned);
  // Subject: fewer than 100 printable ASCII characters, no line break, starting with a letter, number or punctuation.
  must(SNS.subject.test(input.Subject ?? ''), 'subject', input.Subject);
  // Attributes: at most 10, valid names, non-empty String values, counted in the size with the body.
  const attributes = Object.entries(input.MessageAttributes ?? {});
  must(attributes.length <= SNS.maxAttributes, 'attribute count', attributes.length);
  const message = input.Message ?? '';
  let bytes = Buffer.byteLength(message);
  for (const [name, value] of attributes) {
    must(SNS.attributeName.test(name), 'attribute name', name);
    must(value.DataType === 'String' && Boolean(value.StringValue), 'attribute value', value);
    bytes += Buffer.byteLength(`${name}${value.DataType}${value.StringValue}`);
  }
  must(bytes <= SNS.maxBytes, 'bytes with attributes', bytes);
  must(Buffer.byteLength(message) <= MAX_MESSAGE_BYTES, 'message bytes', Buffer.byteLength(message));
  // MessageStructure=json: an object of the protocols' keys, every value a string; the document for machines.
  const structure = JSON.parse(message) as Record<string, unknown>;
  must(
    JSON.stringify(Object.keys(structure).sort()) === JSON.stringify([...SNS.structureKeys].sort()),
    'structure keys',
    Object.keys(structure),
  );
  must(typeof structure.default === 'string' && structure.email === structure.default, 'text body');
  for (const key of SNS.structureKeys.slice(3)) must(structure[key] === structure.sqs, 'same document', key);
  const document = JSON.parse(structure.sqs as string) as Document;
  must(JSON.stringify(document) === JSON.stringify(planned.document), 'document as planned');
  // The definition (zod) and the shipped JSON Schema, with exactly the defined fields.
  const definition = planned.eventType === 'run.failed' ? RUN_FAILED : PRODUCT_COMPLETED;
  const parsed = definition.schema.safeParse(document);
  must(parsed.success, 'zod', parsed.error?.issues);
  const validate = validators[planned.eventType];
  must(validate(document), 'JSON Schema', validate.errors);
  must(JSON.stringify(Object.keys(document)) === JSON.stringify(fieldNames(definition.schema)), 'fields');
  for (const failure of (document.failures ?? []) as object[]) {
    must(JSON.stringify(Object.keys(failure)) === JSON.stringify(fieldNames(runFailedFailure)), 'failure fields');
  }
  // No lone surrogate made by cutting text (what the run gave may hold some, carried as JSON escapes).
  if (wellFormedInput(run)) {
    const cut = [structure.default, ...stringsOf(document)].find((value) => !isWellFormed(String(value)));
    must(cut === undefined, 'lone surrogate', cut);
  }
  // No credential of a URL in the run's texts, anywhere in the request.
  const request = JSON.stringify(input);
  for (const secret of run.secrets) must(!request.includes(secret), 'credential', secret);
  return { problems, document };
}

type Document = Record<string, unknown> & { failures?: { unique_id: string | null }[] };

/** Runs whose texts are well-formed (checked for lone surrogates out) or may hold lone surrogates. */
function scenarios(plain: (options: TextOptions) => fc.Arbitrary<string>, maxNodes: number, short = plain) {
  return fc.oneof(
    scenario(plain({ loneSurrogates: false }), maxNodes, short({ loneSurrogates: false })),
    scenario(plain({}), maxNodes, short({})),
  );
}

function alertOf(run: Scenario) {
  return planFailureAlert(run.batch, {
    product: run.product,
    environment: run.environment,
    auditTable: { schema: `${run.product}_audit`, table: 'dbt_audit_log' },
    includeWarnings: run.includeWarnings,
  });
}

function alerting(run: Scenario) {
  return run.batch.nodes.filter(
    (node) =>
      ['error', 'fail', 'runtime error'].includes(String(node.status)) ||
      (run.includeWarnings && node.status === 'warn'),
  );
}

describe('the failure alert (run.failed)', () => {
  it('is a Publish request SNS takes, valid, without credentials, for any run', () => {
    fc.assert(
      fc.property(
        scenarios((options) => text(40, options), 8),
        (run) => {
          const alert = alertOf(run);
          const failing = alerting(run);
          if (failing.length === 0 && run.batch.invocation.status !== 'error') {
            expect(alert).toBeUndefined();
            return;
          }
          if (!alert) throw new Error('no alert for a failed run');
          const { problems, document } = publishProblems(alert, run);
          // Small runs list every failure, in order.
          const listed = document.failures?.map((failure) => failure.unique_id);
          if (JSON.stringify(listed) !== JSON.stringify(failing.map((node) => node.unique_id)))
            problems.push({ listed });
          if (document.failures_not_listed !== 0) problems.push({ notListed: document.failures_not_listed });
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('stays under 256 KiB for runs of hundreds of failures and messages up to a megabyte', () => {
    // Fewer, far bigger cases: the property above keeps 10,000 runs of ordinary sizes.
    const plain = (options: TextOptions) =>
      fc.oneof(
        { arbitrary: text(40, options), weight: 6 },
        { arbitrary: bigText(1_100_000, options), weight: 1 },
        { arbitrary: escapedText, weight: 1 },
      );
    fc.assert(
      fc.property(
        scenarios(plain, 300, (options) => text(100, options)),
        (run) => {
          const alert = alertOf(run);
          if (!alert) return;
          const { problems, document } = publishProblems(alert, run);
          const listed = document.failures?.length ?? 0;
          if (listed + Number(document.failures_not_listed) !== alerting(run).length) problems.push({ listed });
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the completion event (product.completed)', () => {
  it('is a Publish request SNS takes, valid, without credentials, for any successful build', () => {
    fc.assert(
      fc.property(
        scenarios((options) => text(40, options), 8),
        fc.nat(4),
        (drawn, other) => {
          // Mostly successful runs (the others check that only those send the event).
          const status = other === 0 ? drawn.batch.invocation.status : 'success';
          const run = { ...drawn, batch: { ...drawn.batch, invocation: { ...drawn.batch.invocation, status } } };
          const event = planCompletionEvent(run.batch, { product: run.product, environment: run.environment });
          // Only a successful run of a command that builds announces completion (not compile, a
          // freshness check, or a command the row does not name).
          if (run.batch.invocation.status !== 'success' || !BUILDING_COMMANDS.has(run.batch.invocation.command ?? '')) {
            expect(event).toBeUndefined();
            return;
          }
          if (!event) throw new Error('no event for a successful build');
          const { problems, document } = publishProblems(event, run);
          const built = run.batch.nodes.filter((node) => node.status === 'success' && node.resource_type !== 'test');
          if (document.nodes_built !== built.length) problems.push({ nodesBuilt: document.nodes_built });
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
