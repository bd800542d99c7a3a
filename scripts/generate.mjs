#!/usr/bin/env node
// npm run generate: writes what the kit generates from its definitions into the repository: the
// JSON Schemas in schemas/ (shipped in the package; every product gets a copy), the README's
// generated blocks (<!-- generated:NAME -->: audit columns, message fields) and action.yml (the
// reusable action, from dbt-run's flags and outputs). Tests fail while any is stale, like a
// lockfile check. Reads the compiled library (npm run generate builds first).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { kitSchemaFiles, SCHEMA_DIR } = await import(path.join(root, 'dist', 'schemas', 'json-schema.js'));
const { renderBlocks } = await import(path.join(root, 'dist', 'docs', 'readme-blocks.js'));
const { kitActionYaml } = await import(path.join(root, 'dist', 'github', 'action.js'));
const { kitVersion } = await import(path.join(root, 'dist', 'version.js'));

const files = kitSchemaFiles();
const dir = path.join(root, SCHEMA_DIR);
mkdirSync(dir, { recursive: true });
// A schema the definitions no longer produce goes too (a version kept for consumers stays defined).
const wanted = new Set(files.map((file) => path.basename(file.path)));
for (const name of readdirSync(dir)) if (!wanted.has(name)) rmSync(path.join(dir, name));
for (const file of files) writeFileSync(path.join(root, file.path), file.content);

// The reusable action, from dbt-run's flags and outputs.
writeFileSync(path.join(root, 'action.yml'), kitActionYaml(kitVersion()));

const readme = path.join(root, 'README.md');
const before = readFileSync(readme, 'utf8');
const after = renderBlocks(before);
if (after !== before) writeFileSync(readme, after);
console.log(
  `wrote ${files.map((file) => file.path).join(', ')}, action.yml; README.md's generated blocks ${after === before ? 'up to date' : 'rewritten'}`,
);
