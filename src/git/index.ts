/**
 * The kit's one git adapter, on simple-git: parents are read with the remote
 * functions, --changed-since with filesChangedSince, the scaffold commits
 * with initialCommit, dbt-run's audit records headInfo, and upgrade diffs and
 * merges with the text functions. Importing it loads no simple-git: each
 * function does, on first use.
 */
export { filesChangedSince } from './changes.js';
export { GitError, GitRepositoryError, type RepositoryProblem } from './errors.js';
export { cloneBare, isRemoteRef, listFiles, remoteRefs, resolveCommit, showFile } from './remote.js';
export { type HeadInfo, headInfo, initialCommit, isInsideWorkTree, workTreeDirty } from './repository.js';
export { diffTexts, type MergedText, mergeTexts, relabelDiff } from './texts.js';
