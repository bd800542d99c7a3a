#!/usr/bin/env node
// Set-up shared by the README's two commands (npm run demo, npm test): checks
// Node, installs the npm dependencies when package-lock.json changed, and
// compiles the library. Plain Node, no dependencies: it runs before any exist.
// The Python side (the dbt venv) is set up by the kit itself on first use.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`error: dbt-product-kit needs Node 20.12 or later; this is ${process.version}`);
  process.exit(2);
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const lockFile = path.join(root, 'package-lock.json');
const lockHash = () => createHash('sha256').update(readFileSync(lockFile)).digest('hex');
const stamp = path.join(root, 'node_modules', '.dbt-product-kit-lock-hash');
const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (installed !== lockHash()) {
  // `npm install` installs what the lock file pins. (`npm ci` trips over an npm
  // bug on lock files that omit other platforms' optional binaries.)
  console.log('[bootstrap] installing npm dependencies');
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${lockHash()}\n`);
}

execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
