/**
 * The README's list of message fields, generated from the JSON Schemas (so
 * from the zod definitions' field descriptions): the block `messages` of
 * src/docs/readme-blocks.ts (pure).
 */
import { MESSAGES } from '../messages/index.js';
import { type JsonSchema, messageJsonSchema, messageSchemaPath } from './json-schema.js';

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
