/**
 * What the kit generates from its definitions and commits: the JSON Schemas
 * in schemas/ and the README's message fields. Like a lockfile check, these
 * fail when a definition changed and `npm run generate` was not run. Every
 * product gets the same schemas, through the scaffold's plan.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { renderBlocks } from '../../src/docs/readme-blocks.js';
import { MESSAGES } from '../../src/messages/index.js';
import { planProductFiles } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { kitSchemaFiles, MANIFEST_SCHEMA_PATH, messageSchemaPath, SCHEMA_DIR } from '../../src/schemas/json-schema.js';
import { messagesMarkdown } from '../../src/schemas/readme.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STALE = 'stale: run npm run generate and commit the result';

describe('the generated schemas and README fields', () => {
  it('schemas/ holds exactly what the definitions generate', async () => {
    const files = kitSchemaFiles();
    expect(files.map((file) => file.path)).toEqual([...MESSAGES.map(messageSchemaPath), MANIFEST_SCHEMA_PATH].sort());
    expect((await readdir(`${ROOT}${SCHEMA_DIR}`)).sort()).toEqual(
      files.map((file) => file.path.slice(SCHEMA_DIR.length + 1)),
    );
    for (const file of files)
      expect(await readFile(`${ROOT}${file.path}`, 'utf8'), `${file.path} ${STALE}`).toBe(file.content);
  });

  it('each is a JSON Schema (2020-12) that Ajv compiles in strict mode', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    for (const file of kitSchemaFiles()) {
      const schema = JSON.parse(file.content);
      expect(schema.$schema, file.path).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(() => ajv.compile(schema), file.path).not.toThrow();
    }
  });

  it("the README's message fields are the definitions' (between the markers)", async () => {
    const readme = await readFile(`${ROOT}README.md`, 'utf8');
    expect(readme, `README.md's message fields are ${STALE}`).toBe(renderBlocks(readme));
    expect(readme).toContain(messagesMarkdown());
    for (const definition of MESSAGES) {
      for (const field of Object.keys(definition.schema.shape)) expect(readme).toContain(`- \`${field}\` (`);
    }
    expect(() => renderBlocks('<!-- generated:nope -->\n<!-- /generated:nope -->')).toThrow(
      'README block generated:nope has no renderer',
    );
  });

  it('every product gets the same schemas, whatever its orchestrator', async () => {
    for (const orchestrator of ['mwaa', 'mwaa-serverless', 'none']) {
      const files = await planProductFiles(normaliseOptions({ dir: '/tmp/orders', orchestrator }));
      const schemas = files.filter((file) => file.path.startsWith(`${SCHEMA_DIR}/`));
      expect(schemas, orchestrator).toEqual(kitSchemaFiles());
    }
  });
});
