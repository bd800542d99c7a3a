#!/usr/bin/env node
// Scaffold benchmark (npm run bench): median of 10 runs of
//   - createProduct() in-process (render + write, no git), and
//   - the create-dbt-product CLI as a user runs it (`--yes --no-git`, new Node process).
// Goal: <= 0.3 s. Writes bench/results/scaffold.json.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProduct, kitVersion, normaliseOptions } from '../dist/index.js';

const RUNS = 10;
const GOAL_SECONDS = 0.3;
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = path.join(root, 'packages/create-dbt-product/bin/create-dbt-product.js');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
};

async function measure(label, once) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'scaffold-bench-'));
  const seconds = [];
  try {
    await once(path.join(work, 'warmup'));
    for (let run = 0; run < RUNS; run++) {
      const started = process.hrtime.bigint();
      await once(path.join(work, `p${run}`));
      seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const result = {
    label,
    runs: RUNS,
    median_s: median(seconds),
    min_s: Math.min(...seconds),
    max_s: Math.max(...seconds),
  };
  console.log(
    `${label}: median ${result.median_s.toFixed(3)} s (min ${result.min_s.toFixed(3)}, max ${result.max_s.toFixed(3)})`,
  );
  return result;
}

const inProcess = await measure('createProduct() in-process', (dir) =>
  createProduct(normaliseOptions({ dir, name: 'bench', git: false })),
);
const cli = await measure('create-dbt-product CLI process', async (dir) => {
  execFileSync(process.execPath, [bin, dir, '--name', 'bench', '--yes', '--no-git'], {
    stdio: 'ignore',
    env: { ...process.env, CI: '1' },
  });
});

const report = {
  benchmark: 'scaffold',
  kit_version: kitVersion(),
  measured_at: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  },
  goal_s: GOAL_SECONDS,
  results: [inProcess, cli],
  meets_goal: cli.median_s <= GOAL_SECONDS,
};
await writeFile(path.join(root, 'bench/results/scaffold.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `goal <= ${GOAL_SECONDS} s (CLI median): ${report.meets_goal ? 'met' : 'NOT met'}; written to bench/results/scaffold.json`,
);
