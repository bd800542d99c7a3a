/**
 * How long the kit waits for AWS. Without limits an endpoint that accepts a
 * connection and never answers hangs dbt-run forever after dbt finished,
 * losing the summary and dbt's exit code. Every AWS client the kit makes
 * (SNS, the Redshift Data API, and the STS client a web identity or assumed
 * role's credentials come through) gets these; a hang becomes a reported
 * failure (the SDK's retries included), and dbt's exit code is kept.
 */
import { UsageError } from '../errors.js';

export interface AwsTimeouts {
  /** Opening the connection. */
  connectMs: number;
  /** One request, from sending to the whole answer. */
  requestMs: number;
  /** One call, its retries and the credentials' STS calls included (see deadline.ts). */
  callMs: number;
}

export const DEFAULT_AWS_TIMEOUTS: AwsTimeouts = { connectMs: 5_000, requestMs: 30_000, callMs: 60_000 };

/** The variables that override each limit, in seconds. */
export const AWS_TIMEOUT_ENV: Record<keyof AwsTimeouts, string> = {
  connectMs: 'DBT_PRODUCT_AWS_CONNECT_TIMEOUT',
  requestMs: 'DBT_PRODUCT_AWS_REQUEST_TIMEOUT',
  callMs: 'DBT_PRODUCT_AWS_CALL_TIMEOUT',
};

/** The limits, from the environment where set (pure); a bad value is a one-line error. */
export function awsTimeouts(env: NodeJS.ProcessEnv): AwsTimeouts {
  const limits = { ...DEFAULT_AWS_TIMEOUTS };
  for (const key of Object.keys(AWS_TIMEOUT_ENV) as (keyof AwsTimeouts)[]) {
    const raw = env[AWS_TIMEOUT_ENV[key]];
    if (raw === undefined || raw === '') continue;
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError(`${AWS_TIMEOUT_ENV[key]}="${raw}" is not a number of seconds above 0`);
    limits[key] = Math.round(seconds * 1000);
  }
  return limits;
}

/**
 * The SDK clients' requestHandler options for these limits. Without
 * throwOnRequestTimeout the SDK's HTTP handler only logs a warning when a
 * request runs over its limit, and goes on waiting.
 */
export function requestHandlerOptions(limits: AwsTimeouts): {
  connectionTimeout: number;
  requestTimeout: number;
  throwOnRequestTimeout: true;
} {
  return { connectionTimeout: limits.connectMs, requestTimeout: limits.requestMs, throwOnRequestTimeout: true };
}
