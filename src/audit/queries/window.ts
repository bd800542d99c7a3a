/**
 * The time window every audit question looks at (pure): `--since 7d` is the
 * last seven days up to now, and `audit slowest` compares it with the seven
 * days before. Audit timestamps are UTC without a zone, so the bounds are
 * written the same way.
 */
import { UsageError } from '../../errors.js';

const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** The default look-back of every audit question. */
export const DEFAULT_SINCE = '7d';

/** Longest look-back accepted: ten years is already more than any audit log holds. */
const MAX_SINCE_MS = 3650 * UNITS.d;

/** `30m`, `24h`, `7d`, `2w` as milliseconds; anything else is a one-line UsageError. */
export function parseSince(text: string): number {
  const match = /^([1-9]\d{0,5})([mhdw])$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2] as keyof typeof UNITS] : Number.NaN;
  if (!Number.isFinite(ms) || ms > MAX_SINCE_MS)
    throw new UsageError(
      `--since ${JSON.stringify(text)} is not a duration: write a whole number and m, h, d or w (30m, 24h, 7d, 2w; at most 3650d)`,
    );
  return ms;
}

/** `--top 10`: a whole number from 1 to 10,000. */
export function parseTop(text: string): number {
  if (!/^[1-9]\d{0,4}$/.test(text.trim()) || Number(text) > 10_000)
    throw new UsageError(`--top ${JSON.stringify(text)} is not a count: write a whole number from 1 to 10000`);
  return Number(text);
}

export interface AuditWindow {
  /** The duration as given (7d), for messages. */
  label: string;
  /** UTC bounds: [since, until), and the window before it [previousSince, since). */
  since: Date;
  until: Date;
  previousSince: Date;
}

export function auditWindow(since: string, now: Date): AuditWindow {
  const ms = parseSince(since);
  return {
    label: since.trim(),
    since: new Date(now.getTime() - ms),
    until: now,
    previousSince: new Date(now.getTime() - 2 * ms),
  };
}

/** A UTC instant as the audit tables store time: `2026-12-01 13:45:00.000000`. */
export function timestampText(date: Date): string {
  return `${date.toISOString().slice(0, 23).replace('T', ' ')}000`;
}

/** A UTC instant for people: `2026-12-01 13:45 UTC`. */
export function humanTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
