/**
 * The README's list of message fields, generated from the JSON Schemas (so
 * from the zod definitions' field descriptions), between the markers
 * `<!-- generated: messages -->` and `<!-- /generated -->`. A test fails when
 * the README's copy is stale; scripts/generate.mjs rewrites it (pure).
 */
import { MESSAGES } from '../messages/index.js';
import { type JsonSchema, messageJsonSchema, messageSchemaPath } from './json-schema.js';

const start = (name: string) => `<!-- generated: ${name} -->`;
const END = '<!-- /generated -->';

/** A field's type in words: `"run.failed"`, string or null, array of objects... */
function typeLabel(node: JsonSchema): string {
  if ('const' in node) return `\`${JSON.stringify(node.const)}\``;
  if (Array.isArray(node.enum)) {
    const values = (node.enum as unknown[]).map((value) => `\`${String(value)}\``);
    return values.length > 2 ? `one of ${values.join(', ')}` : values.join(' or ');
  }
  if (Array.isArray(node.anyOf)) return (node.anyOf as JsonSchema[]).map(typeLabel).join(' or ');
  if (Array.isArray(node.type)) return node.type.join(' or ');
  if (node.type === 'array') return `array of ${typeLabel(node.items as JsonSchema)}s`;
  return String(node.type);
}

/** The object a field holds (itself, an array's items, or the non-null branch), if any. */
function objectOf(node: JsonSchema): JsonSchema | undefined {
  if (node.type === 'object') return node;
  if (node.type === 'array') return objectOf(node.items as JsonSchema);
  const branch = (node.anyOf as JsonSchema[] | undefined)?.find((each) => each.type === 'object');
  return branch;
}

function fieldLines(object: JsonSchema, indent: string): string[] {
  const properties = object.properties as Record<string, JsonSchema>;
  return Object.entries(properties).flatMap(([name, node]) => {
    const nested = objectOf(node);
    return [
      `${indent}- \`${name}\` (${typeLabel(node)}): ${String(node.description ?? '')}`,
      ...(nested ? fieldLines(nested, `${indent}  `) : []),
    ];
  });
}

/** The block's Markdown: per message, its description, schema file and fields. */
export function messagesMarkdown(): string {
  return MESSAGES.map((definition) =>
    [
      `### \`${definition.eventType}\`, version ${definition.version}`,
      '',
      `${definition.description} Schema id \`${definition.schemaId}\`, JSON Schema \`${messageSchemaPath(definition)}\`.`,
      '',
      ...fieldLines(messageJsonSchema(definition), ''),
    ].join('\n'),
  ).join('\n\n');
}

/** The text with the named block's content replaced; throws when the markers are missing. */
export function withGeneratedBlock(text: string, name: string, block: string): string {
  const from = text.indexOf(start(name));
  const to = from < 0 ? -1 : text.indexOf(END, from);
  if (from < 0 || to < 0) throw new Error(`no ${start(name)} ... ${END} block`);
  return `${text.slice(0, from + start(name).length)}\n\n${block}\n\n${text.slice(to)}`;
}
