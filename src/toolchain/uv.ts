/**
 * Installing with uv as pip would have: uv reads none of pip's configuration
 * (pip.conf, PIP_* variables), so a machine whose pip is set up for a private
 * index, a mirror, extra wheels or a TLS-inspecting proxy would have uv fetch
 * from elsewhere, or fail. `pip config list` (run by the venv's own pip, so it
 * sees what a `pip install` there would) says what pip uses; planUvInstall turns
 * that into uv's flags and variables. Only what decides where packages come
 * from and how they are fetched is carried over; what the caller's environment
 * already sets for uv wins.
 */
import { execa } from 'execa';

export interface UvInstallPlan {
  /** Flags for `uv pip install`. */
  args: string[];
  /** Variables to add to uv's environment. */
  env: Record<string, string>;
}

/** One value of `pip config list` ("global.index-url='https://...'"), by key, for `pip install`. */
export function parsePipConfigList(listing: string): Map<string, string> {
  // pip install reads its options from PIP_* (":env:"), then the [install] section, then [global].
  const rank = { ':env:': 3, install: 2, global: 1 } as Record<string, number>;
  const chosen = new Map<string, { value: string; rank: number }>();
  for (const line of listing.split('\n')) {
    const match = /^([^.=]+)\.([a-z0-9-]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, section = '', key = '', raw = ''] = match;
    const sectionRank = rank[section];
    if (!sectionRank) continue;
    if ((chosen.get(key)?.rank ?? 0) >= sectionRank) continue;
    chosen.set(key, { value: unquote(raw), rank: sectionRank });
  }
  return new Map([...chosen].map(([key, { value }]) => [key, value]));
}

/** Pure: uv's flags and variables for pip's settings, leaving alone what `env` already sets. */
export function planUvInstall(pip: Map<string, string>, env: NodeJS.ProcessEnv): UvInstallPlan {
  const args: string[] = [];
  const list = (key: string) => (pip.get(key) ?? '').split(/\s+/).filter(Boolean);
  const yes = (key: string) => /^(1|true|yes|on)$/i.test(pip.get(key) ?? '');
  const index = pip.get('index-url');
  if (index && !env.UV_DEFAULT_INDEX && !env.UV_INDEX_URL) args.push('--index-url', index);
  const extra = list('extra-index-url');
  for (const url of extra) args.push('--extra-index-url', url);
  // pip takes the best version from all its indexes; uv's default stops at the first that has the package.
  if (extra.length && !env.UV_INDEX_STRATEGY) args.push('--index-strategy', 'unsafe-best-match');
  for (const location of list('find-links')) args.push('--find-links', location);
  if (yes('no-index')) args.push('--no-index');
  for (const host of list('trusted-host')) args.push('--allow-insecure-host', host);

  const variables: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value && !env[name]) variables[name] = value;
  };
  set('SSL_CERT_FILE', pip.get('cert'));
  set('SSL_CLIENT_CERT', pip.get('client-cert'));
  set('UV_HTTP_TIMEOUT', pip.get('timeout') ?? pip.get('default-timeout'));
  set('HTTPS_PROXY', pip.get('proxy'));
  set('HTTP_PROXY', pip.get('proxy'));
  return { args, env: variables };
}

/** What the venv's pip is configured with (files and PIP_* variables), as `pip config list` prints it. */
export async function readPipConfig(venvPython: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const { stdout } = await execa(venvPython, ['-m', 'pip', 'config', 'list'], { env });
  return parsePipConfigList(stdout);
}

/** A value as pip prints it: Python's repr of a string. */
function unquote(raw: string): string {
  const quoted = /^'(.*)'$/s.exec(raw) ?? /^"(.*)"$/s.exec(raw);
  if (!quoted) return raw;
  return (quoted[1] ?? '').replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char === 't' ? '\t' : char));
}
