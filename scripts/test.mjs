#!/usr/bin/env node
// The README's test command (npm test): the shared set-up (scripts/bootstrap.mjs), Biome, tsc,
// then Vitest in a temp folder of the run's own (test/harness/test-run.ts). Whatever becomes of
// Vitest (tests fail, the set-up fails, it crashes, Ctrl-C), this script then stops every server
// the run left running (by the PIDs recorded in the folder) and removes the folder; when the set-up
// failed, its error is the last line printed and the exit code is non-zero.
//
//   npm test [-- <vitest arguments>]          e.g. npm test -- test/toolchain
//   node scripts/test.mjs --vitest-only [...] Vitest alone (no set-up, lint or type-check)
//
// Plain Node, no dependencies: it runs before any exist.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const vitestOnly = args[0] === '--vitest-only';
const vitestArgs = vitestOnly ? args.slice(1) : args;
const log = (line) => console.log(`[test] ${line}`);

if (!vitestOnly) {
  for (const [what, command] of [
    ['set-up', [path.join(root, 'scripts', 'bootstrap.mjs')]],
    ['biome', [path.join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'check', '.']],
    ['tsc', [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit']],
  ]) {
    const step = spawnSync(process.execPath, command, { cwd: root, stdio: 'inherit' });
    if (step.status !== 0) {
      console.error(`npm test: ${what} failed (exit ${step.status ?? step.signal})`);
      process.exit(step.status || 1);
    }
  }
}

const runDir = mkdtempSync(path.join(os.tmpdir(), 'dbt-product-kit-test-'));
chmodSync(runDir, 0o755); // PostgreSQL, run as an unprivileged user, keeps its data in here
const started = Date.now();
const vitest = spawn(
  process.execPath,
  [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...vitestArgs],
  {
    cwd: root,
    stdio: 'inherit',
    // Vitest's own temp files too (it leaves them behind when interrupted).
    env: {
      ...process.env,
      DBT_PRODUCT_KIT_TEST_RUN_DIR: runDir,
      TMPDIR: runDir,
      // On Node 20 (past its end of life; the bootstrap said so once) the AWS SDK would say it again
      // in every test that builds a client. The installed-kit test shows it as users see it.
      ...(Number(process.versions.node.split('.')[0]) < 22 && {
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      }),
    },
  },
);
// Ctrl-C reaches Vitest from the terminal too; either way, we stay to clean up after it.
let interrupted;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted ??= signal;
    vitest.kill(signal);
  });
}
const [code, signal] = await new Promise((resolve) => vitest.on('exit', (...exit) => resolve(exit)));

const setupError = readIfExists(path.join(runDir, 'setup-error.txt'));
await stopLeftovers(path.join(runDir, 'servers'));
rmSync(runDir, { recursive: true, force: true });
log(`Vitest ran ${((Date.now() - started) / 1000).toFixed(0)} s; removed ${runDir}`);
if (setupError) {
  console.error(`npm test: the test set-up failed: ${setupError.trim()}`);
  process.exit(code || 1);
}
if (interrupted || signal) process.exit(130);
process.exit(code ?? 1);

function readIfExists(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** Stops each server still recorded (Vitest exits on Ctrl-C without running the suite's teardown). */
async function stopLeftovers(folder) {
  if (!existsSync(folder)) return;
  for (const entry of readdirSync(folder)) {
    const server = JSON.parse(readFileSync(path.join(folder, entry), 'utf8'));
    if (!alive(server.pid)) continue;
    log(`stopping ${server.name} (pid ${server.pid}), left running`);
    process.kill(server.pid, server.signal);
    const deadline = Date.now() + 15_000;
    while (alive(server.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(server.pid)) process.kill(server.pid, 'SIGKILL');
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
