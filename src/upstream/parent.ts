/**
 * Parent products (`create-dbt-product --parent <git-url>#<revision>`): the
 * spec is checked without I/O (no credential may ride in the URL: it would
 * land in packages.yml, package-lock.yml and dbt-product.yml, and in git's
 * messages), then the parent is read from
 * git at that revision (through the git adapter): its full commit sha, its
 * dbt project name, its public models (the only ones a child may ref()) and,
 * from its dbt-product.yml read through the schema, its prod events topic.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import { cloneBare, GitError, isRemoteRef, listFiles, remoteRefs, resolveCommit, showFile } from '../git/index.js';
import { isPlaceholderArn, PRODUCT_MANIFEST_FILE } from '../product/manifest.js';
import { parseProductManifest } from '../product/read.js';
import { REDACTED, redact } from '../redact.js';

export interface ParentSpec {
  /** The git URL as given (no credential in it). */
  url: string;
  /** The tag, branch or commit given after `#`. */
  revision: string;
}

export interface ParentProduct extends ParentSpec {
  /** The commit the revision names, in full: what packages.yml pins. */
  sha: string;
  /** The parent's dbt project name (what ref('<name>', 'model') uses). */
  name: string;
  /** Models declared `access: public`, in name order. */
  publicModels: string[];
  /** The parent's prod completion events topic, from its dbt-product.yml (when it has a real one). */
  eventsTopicArn?: string | undefined;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** ssh logs in as a user (`ssh://git@host/...`): a name, not a secret, unless a password follows it. */
const SSH_SCHEME = /^(ssh|git\+ssh|ssh\+git)$/i;
/** A password's separator, spelled out or percent-encoded. */
const PASSWORD_SEPARATOR = /:|%3a/i;

/**
 * How a --parent spec or URL may be printed (pure): everything between a
 * scheme's `://` and the last `@` becomes `***`, however the credential is
 * spelled (a password holding `#`, `/` or `@`); an scp-like remote
 * (`git@host:org/repo`) keeps its login name unless a password rides with it.
 */
export function shownParentUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0];
  const at = url.lastIndexOf('@');
  if (scheme) return at > scheme.length ? `${scheme}${REDACTED}${url.slice(at)}` : url;
  const first = url.indexOf('@');
  const login = url.slice(0, Math.max(first, 0));
  return first > 0 && PASSWORD_SEPARATOR.test(login) && !login.includes('/') ? `${REDACTED}${url.slice(first)}` : url;
}

/**
 * Whether a git URL may carry a credential (pure). Refused rather than
 * stripped: a URL written with a token is one its user thinks needs it, and
 * the kit reads the parent through that same URL. https, http, git, file and
 * the rest take no login name worth writing down, so any `@` in them counts;
 * ssh URLs and scp-like remotes count when a password follows the login name.
 */
export function carriesCredential(url: string): boolean {
  const scheme = SCHEME.exec(url);
  if (!scheme) {
    const at = url.indexOf('@');
    const login = url.slice(0, Math.max(at, 0));
    return at > 0 && PASSWORD_SEPARATOR.test(login) && !login.includes('/');
  }
  const at = url.lastIndexOf('@');
  if (at < 0) return false;
  return SSH_SCHEME.test(scheme[1] as string) ? PASSWORD_SEPARATOR.test(url.slice(scheme[0].length, at)) : true;
}

/** `<git-url>#<revision>` → its parts; one-line UsageError for what is wrong (pure). */
export function parseParentSpec(spec: string): ParentSpec {
  const cut = spec.lastIndexOf('#');
  const url = cut > 0 ? spec.slice(0, cut) : '';
  const revision = cut > 0 ? spec.slice(cut + 1) : '';
  // A credential holding `#` puts the cut inside it: the "revision" then holds its `@` and the
  // host, and the "URL" is a scheme and part of the credential, with no path.
  const scheme = SCHEME.exec(spec)?.[0];
  const cutInPassword =
    scheme !== undefined &&
    revision.includes('@') &&
    (!url.slice(scheme.length).includes('/') ||
      PASSWORD_SEPARATOR.test(spec.slice(scheme.length, spec.lastIndexOf('@'))));
  const refused = () =>
    new UsageError(
      `--parent ${shownParentUrl(cutInPassword ? spec : url)} carries a credential: remove it; private repositories read DBT_ENV_SECRET_GIT_CREDENTIAL at dbt deps time and your git credential helper here`,
    );
  // Before the messages that quote the revision, which then holds part of the credential.
  if (cutInPassword) throw refused();
  if (!url || !revision) {
    throw new UsageError(
      `invalid --parent "${shownParentUrl(spec)}": give <git-url>#<revision>, e.g. https://github.com/acme/orders.git#v1.2.0`,
    );
  }
  if (revision.startsWith('-') || /\s/.test(revision)) {
    throw new UsageError(`invalid --parent revision "${revision}": give a tag, branch or commit`);
  }
  if (carriesCredential(url)) throw refused();
  return { url, revision };
}

/** Models declared `access: public` in a schema YAML file's text (pure; tolerant of other files). */
export function publicModelsIn(yamlText: string): string[] {
  let document: unknown;
  try {
    document = parseYaml(yamlText);
  } catch {
    return [];
  }
  const models = (document as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return models
    .filter((model) => {
      const entry = model as { name?: unknown; access?: unknown; config?: { access?: unknown } };
      return typeof entry.name === 'string' && (entry.access ?? entry.config?.access) === 'public';
    })
    .map((model) => (model as { name: string }).name);
}

/** The parent's prod events topic from its dbt-product.yml, validated by the schema; a placeholder is no topic. */
function eventsTopicIn(text: string, spec: ParentSpec): string | undefined {
  const product = parseProductManifest(
    text,
    `the parent ${redact(spec.url)} at ${spec.revision}: ${PRODUCT_MANIFEST_FILE}`,
  );
  const arn = product.environments.prod?.events?.topic_arn;
  return arn && !isPlaceholderArn(arn) ? arn : undefined;
}

function unreadable(spec: ParentSpec, error: unknown): UsageError {
  const detail = error instanceof GitError ? error.detail : String(error);
  return new UsageError(`cannot read the parent repository ${redact(spec.url)}: ${detail}`, { cause: error });
}

/** A bare clone of the parent in `dir`: shallow when the revision is a branch or tag the remote advertises. */
async function cloneParent(spec: ParentSpec, dir: string): Promise<void> {
  let refs: Map<string, string>;
  try {
    refs = await remoteRefs(spec.url);
  } catch (error) {
    throw unreadable(spec, error);
  }
  if (isRemoteRef(refs, spec.revision)) {
    try {
      return await cloneBare(spec.url, dir, { ref: spec.revision });
    } catch {
      // A server without shallow clones: the whole history below.
    }
  }
  try {
    await cloneBare(spec.url, dir);
  } catch (error) {
    throw unreadable(spec, error);
  }
}

/**
 * Reads the parent at its revision: a bare clone in a temp folder (shallow
 * when the revision is a branch or tag), the commit it names, its
 * dbt_project.yml, its models' YAML and its dbt-product.yml. Nothing is
 * written anywhere else.
 */
export async function readParent(spec: ParentSpec): Promise<ParentProduct> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'create-dbt-product-parent-'));
  try {
    await cloneParent(spec, dir);
    const sha = await resolveCommit(dir, spec.revision);
    if (!sha) {
      throw new UsageError(
        `unknown revision "${spec.revision}" in ${redact(spec.url)}: give a tag, branch or commit it has`,
      );
    }
    const files = await listFiles(dir, sha);
    if (!files.includes('dbt_project.yml')) {
      throw new UsageError(
        `${redact(spec.url)} at ${spec.revision} has no dbt_project.yml: --parent takes a dbt project`,
      );
    }
    let project: { name?: unknown; 'model-paths'?: unknown };
    try {
      project = parseYaml(await showFile(dir, sha, 'dbt_project.yml')) ?? {};
    } catch (cause) {
      throw new UsageError(`${redact(spec.url)} at ${spec.revision}: dbt_project.yml is not valid YAML`, { cause });
    }
    if (typeof project.name !== 'string' || !project.name) {
      throw new UsageError(`${redact(spec.url)} at ${spec.revision}: dbt_project.yml names no project`);
    }
    const modelPaths = Array.isArray(project['model-paths']) ? (project['model-paths'] as string[]) : ['models'];
    const schemaFiles = files.filter(
      (file) => /\.ya?ml$/.test(file) && modelPaths.some((folder) => file.startsWith(`${folder}/`)),
    );
    const publicModels = new Set<string>();
    for (const file of schemaFiles) {
      for (const model of publicModelsIn(await showFile(dir, sha, file))) publicModels.add(model);
    }
    // A parent that is not a kit product has no dbt-product.yml, and so no events topic.
    const eventsTopicArn = files.includes(PRODUCT_MANIFEST_FILE)
      ? eventsTopicIn(await showFile(dir, sha, PRODUCT_MANIFEST_FILE), spec)
      : undefined;
    return { ...spec, sha, name: project.name, publicModels: [...publicModels].sort(), eventsTopicArn };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
