#!/usr/bin/env node
// Set-up shared by the README's two commands (npm run demo, npm test): checks
// Node, installs the npm dependencies with `npm ci` when package-lock.json
// changed since the last install, and compiles the library. Plain Node, no
// dependencies: it runs before any exist. The Python side (the venvs) is set
// up by the kit itself on first use.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`error: dbt-product-kit needs Node 22 or 24; this is ${process.version}`);
  process.exit(2);
}
if (major < 22) {
  console.warn(
    `[bootstrap] warning: Node ${process.version} is past its end of life (April 2026); dbt-product-kit supports Node 22 and 24. It still runs on 20 today, but the AWS SDK's releases from January 2027 will refuse it.`,
  );
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const lockFile = path.join(root, 'package-lock.json');
const lockHash = () => createHash('sha256').update(readFileSync(lockFile)).digest('hex');
const stamp = path.join(root, 'node_modules', '.dbt-product-kit-lock-hash');
const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
const before = lockHash();
if (installed !== before) {
  // `npm ci` installs exactly what package-lock.json pins and never rewrites it; it fails when
  // package.json and the lock file disagree (run `npm install` and commit the lock file).
  console.log('[bootstrap] installing npm dependencies (npm ci)');
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (lockHash() !== before) {
    console.error('error: installing rewrote package-lock.json; run `npm install` and commit package-lock.json');
    process.exit(1);
  }
  writeFileSync(stamp, `${before}\n`);
}

execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
