/**
 * Credentials never reach a message: every text the kit prints that may hold
 * a URL (a --parent spec, a git remote, git's own stderr) goes through
 * `redact`. A URL's userinfo (`scheme://user:pass@host`, `scheme://token@host`)
 * becomes `***`; a plain ssh user such as `git` goes too, since a message
 * cannot tell a login name from a token. Pure, no imports: errors.ts uses it.
 */

/**
 * `scheme://` then a userinfo then `@`: up to the last `@` before a `/`,
 * space or quote, as git and curl read a password that holds an unencoded
 * `@`. An unencoded `#` or `?` in a password is taken as part of it (a
 * query or fragment before any `/` holding an `@` is redacted too: redacting
 * too much is the safe side). The scheme is found anywhere (`\b` let
 * `0postgres://u:p@h` through) and is at most 32 characters: an unbounded
 * scheme made long runs such as `a-a-a-...` take quadratic time (80 KB took
 * 19 s), found by the property tests of the alerts (issue 15).
 */
const URL_USERINFO = /([a-z][a-z0-9+.-]{0,31}:\/\/)[^/\s'"]+@/gi;

/** What a redacted credential reads as. */
export const REDACTED = '***';

/** The userinfo of a `scheme://userinfo@host...` URL, or undefined when it has none. */
export function urlUserinfo(url: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\/([^/\s]+)@/i.exec(url.trim())?.[1];
}

/**
 * What else to scrub from text that quotes `urls` without their scheme (git
 * writes "unable to look up TOKEN@host"): each userinfo followed by `@`, and
 * a password on its own. A bare user name is never scrubbed alone, since it
 * could be any word of the text.
 */
export function urlSecrets(urls: readonly string[]): string[] {
  const secrets = new Set<string>();
  for (const url of urls) {
    const userinfo = urlUserinfo(url);
    if (!userinfo) continue;
    secrets.add(`${userinfo}@`);
    const password = userinfo.slice(userinfo.indexOf(':') + 1);
    if (userinfo.includes(':') && password) secrets.add(password);
  }
  // Longest first: a password inside a longer secret must not leave the rest behind.
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** `text` with every URL's credential, and each of `secrets`, replaced by `***` (pure). */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_USERINFO, `$1${REDACTED}@`);
  for (const secret of secrets) {
    out = out.replaceAll(secret, secret.endsWith('@') ? `${REDACTED}@` : REDACTED);
  }
  return out;
}
