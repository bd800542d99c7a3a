/** Redaction: a URL's credential, in any text, never survives; the rest of the text does. */
import { describe, expect, it } from 'vitest';
import { formatError, KitError } from '../src/errors.js';
import { REDACTED, redact, urlSecrets, urlUserinfo } from '../src/redact.js';

describe('redact', () => {
  it.each([
    ['https://x-access-token:ghs_abc123@github.com/acme/orders.git', 'https://***@github.com/acme/orders.git'],
    ['https://ghp_abc123@github.com/acme/orders.git#v1', 'https://***@github.com/acme/orders.git#v1'],
    ['ssh://git:hunter2@example.com:2222/shop.git', 'ssh://***@example.com:2222/shop.git'],
    ['git+https://u:p@host/x', 'git+https://***@host/x'],
    ['HTTPS://USER:PASS@HOST/X', 'HTTPS://***@HOST/X'],
    // A password holding an unencoded "@": git and curl split at the last one.
    ['https://u:p@ss@host/x.git', 'https://***@host/x.git'],
    ['https://token@host', 'https://***@host'],
    // A password holding an unencoded "#" or "?" (which would otherwise end the userinfo there).
    ['https://u:pa#ss@host/x.git#v1', 'https://***@host/x.git#v1'],
    ['https://u:pa?ss@host/x.git', 'https://***@host/x.git'],
    ['git://tok#en@host/x.git', 'git://***@host/x.git'],
  ])('%s → %s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('redacts every URL inside a longer message and leaves the rest of it alone', () => {
    const text = `invalid --parent "https://a:s1@h1/x.git": also 'ftp://s2@h2/y' and "https://h3/z", mail ana@example.com`;
    expect(redact(text)).toBe(
      `invalid --parent "https://***@h1/x.git": also 'ftp://***@h2/y' and "https://h3/z", mail ana@example.com`,
    );
  });

  it('keeps URLs without a credential and scp-like ssh remotes as they are', () => {
    for (const text of [
      'https://github.com/acme/orders.git#v1.2.0',
      'git@github.com:acme/orders.git',
      'file:///srv/git/orders',
      'https://host/path/with@sign',
      'no url here',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it('scrubs given secrets wherever they appear, as git quotes them without the scheme', () => {
    const secrets = urlSecrets(['ls-remote', '--', 'git://TOKEN@127.0.0.1:1/x.git']);
    expect(secrets).toEqual(['TOKEN@']);
    expect(redact('fatal: unable to look up TOKEN@127.0.0.1 (port 1)', secrets)).toBe(
      `fatal: unable to look up ${REDACTED}@127.0.0.1 (port 1)`,
    );
  });

  it('takes a password alone as a secret too, never a bare user name', () => {
    expect(urlSecrets(['https://user:pa55@host/x', 'ssh://git@host/y', 'https://host/z', '--'])).toEqual([
      'user:pa55@',
      'pa55',
      'git@',
    ]);
    expect(redact('user pa55 git', urlSecrets(['https://user:pa55@host/x', 'ssh://git@host/y']))).toBe('user *** git');
  });

  it('urlUserinfo reads the userinfo of a scheme URL only', () => {
    expect(urlUserinfo('https://a:b@host/x')).toBe('a:b');
    expect(urlUserinfo('https://a:b@c@host/x')).toBe('a:b@c');
    expect(urlUserinfo('https://a:b#c@host/x')).toBe('a:b#c');
    expect(urlUserinfo('https://host/x@y')).toBeUndefined();
    expect(urlUserinfo('git@github.com:acme/x.git')).toBeUndefined();
  });
});

describe('formatError redacts, whatever worded the message', () => {
  it('a kit error, a library error and a thrown string', () => {
    expect(formatError(new KitError('cannot read https://u:s3cret@h/x.git'))).toBe(
      'error: cannot read https://***@h/x.git',
    );
    const plain = formatError(new Error('connect https://s3cret@h/x failed'));
    expect(plain).toContain('connect https://***@h/x failed');
    expect(plain).not.toContain('s3cret');
    expect(formatError('https://u:s3cret@h')).toBe('https://***@h');
  });
});
