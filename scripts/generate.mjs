#!/usr/bin/env node
// npm run generate: writes what the kit generates from its definitions into the repository: the
// JSON Schemas in schemas/ (shipped in the package; every product gets a copy) and the README's
// generated blocks (<!-- generated:NAME -->: audit columns, message fields). Tests fail while
// either is stale, like a lockfile check. Reads the compiled library (npm run generate builds first).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { kitSchemaFiles, SCHEMA_DIR } = await import(path.join(root, 'dist', 'schemas', 'json-schema.js'));
const { renderBlocks } = await import(path.join(root, 'dist', 'docs', 'readme-blocks.js'));

const files = kitSchemaFiles();
const dir = path.join(root, SCHEMA_DIR);
mkdirSync(dir, { recursive: true });
// A schema the definitions no longer produce goes too (a version kept for consumers stays defined).
const wanted = new Set(files.map((file) => path.basename(file.path)));
for (const name of readdirSync(dir)) if (!wanted.has(name)) rmSync(path.join(dir, name));
for (const file of files) writeFileSync(path.join(root, file.path), file.content);

const readme = path.join(root, 'README.md');
const before = readFileSync(readme, 'utf8');
const after = renderBlocks(before);
if (after !== before) writeFileSync(readme, after);
console.log(
  `wrote ${files.map((file) => file.path).join(', ')}; README.md's generated blocks ${after === before ? 'up to date' : 'rewritten'}`,
);
