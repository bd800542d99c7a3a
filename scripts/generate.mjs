#!/usr/bin/env node
// Writes what the kit generates from its definitions into the repository: the JSON Schemas in
// schemas/ (shipped in the package; every product gets a copy) and the README's list of message
// fields (between <!-- generated: messages --> and <!-- /generated -->). Tests fail while either
// is stale (test/schemas/generated.test.ts), like a lockfile check.
//
//   npm run generate      (builds first: this reads the compiled library)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { kitSchemaFiles, SCHEMA_DIR } = await import(path.join(root, 'dist', 'schemas', 'json-schema.js'));
const { messagesMarkdown, withGeneratedBlock } = await import(path.join(root, 'dist', 'schemas', 'readme.js'));

const files = kitSchemaFiles();
const dir = path.join(root, SCHEMA_DIR);
mkdirSync(dir, { recursive: true });
// A schema the definitions no longer produce goes too (a version kept for consumers stays defined).
const wanted = new Set(files.map((file) => path.basename(file.path)));
for (const name of readdirSync(dir)) if (!wanted.has(name)) rmSync(path.join(dir, name));
for (const file of files) writeFileSync(path.join(root, file.path), file.content);

const readme = path.join(root, 'README.md');
writeFileSync(readme, withGeneratedBlock(readFileSync(readme, 'utf8'), 'messages', messagesMarkdown()));
console.log(`wrote ${files.map((file) => file.path).join(', ')} and README.md's message fields`);
