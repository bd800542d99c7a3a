#!/usr/bin/env node
// npm run pack: the three publishable packages as tarballs, from this checkout's compiled library:
// dbt-product-kit (the library, templates, pinned requirements), dbt-run and create-dbt-product
// (thin bins depending on the library's exact version). Publish them with `npm publish <tarball>`;
// until the kit is on the registry, a product keeps them in vendor/kit/ (see the README).
//
//   npm run pack [-- <folder>]     default folder: packed/
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const destination = path.resolve(process.argv[2] ?? path.join(root, 'packed'));
mkdirSync(destination, { recursive: true });
const packed = execFileSync(
  process.platform === 'win32' ? 'npm.cmd' : 'npm',
  ['pack', '.', './packages/dbt-run', './packages/create-dbt-product', '--pack-destination', destination, '--silent'],
  { cwd: root, encoding: 'utf8' },
);
for (const file of packed.trim().split('\n')) console.log(path.join(destination, file.trim()));
