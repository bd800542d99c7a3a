#!/usr/bin/env node
// Keeps the three published packages in step: sets one version on the library (dbt-product-kit)
// and both CLIs, pins each CLI's dependency on the library to that exact version, and updates
// package-lock.json to match. A test (test/scripts/packages.test.ts) fails when they drift.
//
//   npm run set-version -- 0.2.0
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const version = process.argv[2];
if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error('error: give the new version, e.g. npm run set-version -- 0.2.0');
  process.exit(2);
}

const edit = (file, change) => {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  change(manifest);
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
};
edit(path.join(root, 'package.json'), (manifest) => {
  manifest.version = version;
});
for (const cli of ['create-dbt-product', 'dbt-run']) {
  edit(path.join(root, 'packages', cli, 'package.json'), (manifest) => {
    manifest.version = version;
    manifest.dependencies['dbt-product-kit'] = version;
  });
}
execFileSync(
  process.platform === 'win32' ? 'npm.cmd' : 'npm',
  ['install', '--package-lock-only', '--no-audit', '--no-fund'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
console.log(`dbt-product-kit, create-dbt-product and dbt-run are now ${version}`);
