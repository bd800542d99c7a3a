/**
 * Validating documents against the JSON Schemas the kit ships (the committed
 * files in schemas/, as a consumer gets them), with Ajv. Strictly, too: the
 * shipped schemas let a later field through (a new field is not a new
 * version), but a producer of today must send exactly today's fields, so
 * `messageErrors` also refuses a field the schema does not name.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { messageSchemaPath } from '../../src/schemas/json-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Schema = Record<string, unknown>;

/** A shipped schema file, parsed. */
export function shippedSchema(path: string): Schema {
  return JSON.parse(readFileSync(`${ROOT}${path}`, 'utf8')) as Schema;
}

/** The schema with every object closed to fields it does not name. */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (node === null || typeof node !== 'object') return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closed(value)]));
  return 'properties' in copy ? { ...copy, additionalProperties: false } : copy;
}

// strict: Ajv refuses a schema with keywords it does not know, so a bad generated schema fails loudly.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });

function errorsOf(schema: Schema, document: unknown): string[] {
  const validate = ajv.compile(schema);
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (error: ErrorObject) =>
      `${error.instancePath || '/'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`,
  );
}

/** Why a document does not validate against a shipped schema file (empty when it does). */
export function schemaErrors(path: string, document: unknown, options: { strict?: boolean } = {}): string[] {
  const schema = shippedSchema(path);
  return errorsOf(options.strict ? (closed(schema) as Schema) : schema, document);
}

/** Why a message does not validate, strictly, against its definition's shipped schema (empty when it does). */
export function messageErrors(definition: { eventType: string; version: number }, document: unknown): string[] {
  return schemaErrors(messageSchemaPath(definition), document, { strict: true });
}
