/**
 * A real browser for the tests that open what the kit writes (the audit
 * report): Debian's Chromium driven by playwright-core. A new machine has no
 * Chromium, so the first test that needs it installs the Debian package
 * (as root, or through passwordless sudo); anywhere else it says what to
 * install. playwright-core brings no browser of its own, and its download
 * servers are out of reach here.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian's package puts the browser. */
export const CHROMIUM = process.env.DBT_PRODUCT_KIT_CHROMIUM ?? '/usr/bin/chromium';

/** The command that installs Chromium here, or why none can (one line). */
async function installCommand(): Promise<string[]> {
  if (!existsSync('/usr/bin/apt-get'))
    throw new Error(
      `no Chromium at ${CHROMIUM}, and no apt-get to install it: install Chromium and set DBT_PRODUCT_KIT_CHROMIUM to it`,
    );
  const root = process.getuid?.() === 0;
  if (root) return ['apt-get'];
  const sudo = await execa('sudo', ['-n', 'true'], { reject: false });
  if (sudo.exitCode === 0) return ['sudo', '-n', 'apt-get'];
  throw new Error(
    `no Chromium at ${CHROMIUM}: install it (sudo apt-get install chromium), or set DBT_PRODUCT_KIT_CHROMIUM`,
  );
}

/**
 * Chromium's path, installing Debian's package once when it is missing. Test
 * files may ask at once: a lock file makes the second wait for the first.
 */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const lockDir = path.join(os.tmpdir(), 'dbt-product-kit-chromium');
  await mkdir(lockDir, { recursive: true });
  const lock = path.join(lockDir, 'install.lock');
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.close();
      break;
    } catch {
      if (existsSync(CHROMIUM)) return CHROMIUM;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    if (existsSync(CHROMIUM)) return CHROMIUM;
    const [command, ...prefix] = await installCommand();
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      execa(command as string, [...prefix, 'install', '-y', '--no-install-recommends', 'chromium'], {
        env,
        reject: false,
        all: true,
      });
    let result = await install();
    // A machine whose package lists are stale or absent: update them once, then try again.
    if (result.exitCode !== 0) {
      await execa(command as string, [...prefix, 'update'], { env, reject: false });
      result = await install();
    }
    if (result.exitCode !== 0 || !existsSync(CHROMIUM))
      throw new Error(
        `apt-get install chromium failed (exit ${result.exitCode}): ${result.all?.split('\n').slice(-3).join(' | ')}`,
      );
    return CHROMIUM;
  } finally {
    await rm(lock, { force: true });
  }
}

/** Headless Chromium, installed first when missing. Close it in afterAll. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium();
  // --no-sandbox: the suite runs as root on CI machines, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}
