#!/usr/bin/env node
// npm run generate: rewrites the README's generated blocks (<!-- generated:NAME -->) from src/,
// through the build (dist/). test/docs/readme.test.ts fails when they are stale.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { renderBlocks } = await import(path.join(root, 'dist', 'docs', 'readme-blocks.js'));
const file = path.join(root, 'README.md');
const before = readFileSync(file, 'utf8');
const after = renderBlocks(before);
if (after !== before) writeFileSync(file, after);
console.log(after === before ? 'README.md: generated blocks up to date' : 'README.md: generated blocks rewritten');
