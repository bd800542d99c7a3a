/**
 * The third-party GitHub Actions the kit's action.yml and a product's
 * workflows use, each pinned to a full commit sha (a tag can be moved to
 * other code; a sha cannot) with its release in a comment, defined once:
 * every generated file takes its `uses:` from here.
 */
export const ACTION_PINS = {
  checkout: { repository: 'actions/checkout', sha: '11bd71901bbe5b1630ceea73d27597364c9af683', version: 'v4.2.2' },
  setupNode: { repository: 'actions/setup-node', sha: '39370e3970a6d050c480ffad4ff0ed4d3fdee5af', version: 'v4.1.0' },
  setupPython: {
    repository: 'actions/setup-python',
    sha: '0b93645e9fea7318ecaed2b359559ac225c90a2b',
    version: 'v5.3.0',
  },
  cache: { repository: 'actions/cache', sha: '1bd1e32a3bdc45362d1e726936510720a7c30a57', version: 'v4.2.0' },
  uploadArtifact: {
    repository: 'actions/upload-artifact',
    sha: 'ea165f8d65b6e75b540449e92b4886f43607fa02',
    version: 'v4.6.2',
  },
  configureAwsCredentials: {
    repository: 'aws-actions/configure-aws-credentials',
    sha: 'e3dd6a429d7300a6a4c196c26e071d42e0343502',
    version: 'v4.0.2',
  },
  amazonEcrLogin: {
    repository: 'aws-actions/amazon-ecr-login',
    sha: '062b18b96a7aff071d4dc91bc00c4c1a7945b076',
    version: 'v2.0.1',
  },
} as const;

export type PinnedAction = keyof typeof ACTION_PINS;

/** The `uses:` value of a pinned action, release in a trailing comment (pure). */
export function usesPinned(action: PinnedAction): string {
  const pin = ACTION_PINS[action];
  return `${pin.repository}@${pin.sha} # ${pin.version}`;
}

/** Every pinned action's `uses:` value, by name: what the product's workflow templates take. */
export function pinnedUses(): Record<PinnedAction, string> {
  return Object.fromEntries(
    (Object.keys(ACTION_PINS) as PinnedAction[]).map((action) => [action, usesPinned(action)]),
  ) as Record<PinnedAction, string>;
}
