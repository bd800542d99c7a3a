/**
 * No import cycle in src/: Biome's noImportCycles rule, as biome.json sets
 * it (an error, type-only imports included), fails `npm test` on one. This
 * test proves the rule as configured catches a cycle made only of types,
 * and that src/ has none.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/product.js';

const ROOT = path.resolve('.');
const BIOME = path.join(ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');

let dir: string;
beforeAll(async () => {
  dir = await tempDir('import-cycles-');
  const config = JSON.parse(await readFile(path.join(ROOT, 'biome.json'), 'utf8'));
  delete config.$schema;
  config.vcs = { enabled: false };
  config.files = { includes: ['**'] };
  await writeFile(path.join(dir, 'biome.json'), JSON.stringify(config, null, 2));
  await mkdir(path.join(dir, 'src'));
  // The shape the kit had: a CLI and a command sharing a type through each other.
  await writeFile(
    path.join(dir, 'src', 'cli.ts'),
    "import { runDoctor } from './doctor.js';\n\nexport interface Io {\n  cwd: string;\n}\n\nexport const main = (io: Io) => runDoctor(io);\n",
  );
  await writeFile(
    path.join(dir, 'src', 'doctor.ts'),
    "import type { Io } from './cli.js';\n\nexport const runDoctor = (io: Io) => io.cwd;\n",
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('import cycles', () => {
  it('fail the lint, even through type-only imports', async () => {
    const lint = await execa(process.execPath, [BIOME, 'lint', 'src'], { cwd: dir, reject: false, all: true });
    expect(lint.exitCode, lint.all).not.toBe(0);
    expect(lint.all).toContain('lint/suspicious/noImportCycles');
  });

  it('do not exist in src/', async () => {
    const lint = await execa(process.execPath, [BIOME, 'lint', '--only=suspicious/noImportCycles', 'src'], {
      cwd: ROOT,
      reject: false,
      all: true,
    });
    expect(lint.exitCode, lint.all).toBe(0);
  });
});
