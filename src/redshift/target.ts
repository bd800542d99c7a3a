/**
 * Which Redshift the Data API talks to (pure): a provisioned cluster or a
 * Serverless workgroup, its region and database, and how to authenticate.
 * Taken from the dbt target's endpoint host, then overridden by
 * dbt-product.yml (`audit.redshift`), then by flags.
 */
import { KitError } from '../errors.js';
import type { ProductManifest } from '../product/manifest.js';

export interface DataApiTarget {
  /** Provisioned cluster id, or undefined for Serverless. */
  clusterIdentifier?: string | undefined;
  /** Serverless workgroup, or undefined for a provisioned cluster. */
  workgroupName?: string | undefined;
  database: string;
  region: string;
  /** Secrets Manager secret holding the database credentials. */
  secretArn?: string | undefined;
  /** Provisioned only: temporary credentials for this database user (GetClusterCredentials). */
  dbUser?: string | undefined;
}

/** Overrides, each optional: dbt-product.yml `audit.redshift`, then flags. */
export interface DataApiOverrides {
  cluster?: string | undefined;
  workgroup?: string | undefined;
  database?: string | undefined;
  region?: string | undefined;
  secretArn?: string | undefined;
  dbUser?: string | undefined;
  /** Provisioned only: sign in as the caller's IAM identity (GetClusterCredentialsWithIAM), no database user. */
  iamIdentity?: boolean | undefined;
}

export class RedshiftTargetError extends KitError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
  }
}

const PROVISIONED_HOST =
  /^([a-z][a-z0-9-]*)\.[a-z0-9]+\.([a-z]{2}(?:-[a-z]+)+-\d)\.redshift\.amazonaws\.com(?:\.cn)?$/i;
const SERVERLESS_HOST =
  /^([a-z0-9-]+)\.\d{12}\.([a-z]{2}(?:-[a-z]+)+-\d)\.redshift-serverless\.amazonaws\.com(?:\.cn)?$/i;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/** What an endpoint host says: `<cluster>.<id>.<region>.redshift.amazonaws.com` or `<workgroup>.<account>.<region>.redshift-serverless.amazonaws.com`. */
export function parseRedshiftHost(
  host: string,
): { clusterIdentifier: string; region: string } | { workgroupName: string; region: string } | undefined {
  const bare = host.trim().replace(/:\d+$/, '');
  const provisioned = PROVISIONED_HOST.exec(bare);
  if (provisioned?.[1] && provisioned[2])
    return { clusterIdentifier: provisioned[1].toLowerCase(), region: provisioned[2].toLowerCase() };
  const serverless = SERVERLESS_HOST.exec(bare);
  if (serverless?.[1] && serverless[2])
    return { workgroupName: serverless[1].toLowerCase(), region: serverless[2].toLowerCase() };
  return undefined;
}

/**
 * The Data API target of a dbt Redshift target's fields, with overrides.
 * Throws one line naming what to set when something is missing.
 */
export function dataApiTarget(
  fields: Record<string, unknown>,
  overrides: DataApiOverrides,
  env: NodeJS.ProcessEnv,
): DataApiTarget {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const fromHost = text(fields.host) ? parseRedshiftHost(String(fields.host)) : undefined;
  const workgroupName =
    overrides.workgroup ??
    (overrides.cluster ? undefined : fromHost && 'workgroupName' in fromHost ? fromHost.workgroupName : undefined);
  const clusterIdentifier =
    overrides.cluster ??
    (workgroupName
      ? undefined
      : (text(fields.cluster_id) ??
        (fromHost && 'clusterIdentifier' in fromHost ? fromHost.clusterIdentifier : undefined)));
  if (overrides.cluster && overrides.workgroup) {
    throw new RedshiftTargetError('give either --audit-cluster or --audit-workgroup, not both');
  }
  if (!clusterIdentifier && !workgroupName) {
    throw new RedshiftTargetError(
      `cannot tell the Redshift cluster or workgroup from host "${text(fields.host) ?? ''}": set --audit-cluster or --audit-workgroup (or audit.redshift in dbt-product.yml)`,
    );
  }
  // The Data API finds a cluster only in its own region: the endpoint's region wins over the environment's.
  const region =
    overrides.region ?? fromHost?.region ?? text(fields.region) ?? text(env.AWS_REGION) ?? text(env.AWS_DEFAULT_REGION);
  if (!region) {
    throw new RedshiftTargetError(
      'no AWS region for the Redshift Data API: set AWS_REGION (or use the cluster endpoint as host)',
    );
  }
  const database = overrides.database ?? text(fields.dbname) ?? text(fields.database);
  if (!database) throw new RedshiftTargetError('no Redshift database: set dbname in the target or --audit-database');
  const secretArn = overrides.secretArn;
  const signIns = [
    secretArn && '--audit-secret-arn',
    overrides.dbUser && '--audit-db-user',
    overrides.iamIdentity && '--audit-iam-identity',
  ].filter(Boolean);
  if (signIns.length > 1) {
    throw new RedshiftTargetError(`give one of ${signIns.join(', ')}, not several (each is a way to sign in)`);
  }
  if (secretArn !== undefined && !SECRET_ARN.test(secretArn)) {
    throw new RedshiftTargetError(
      `"${secretArn}" is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>): fix --audit-secret-arn`,
    );
  }
  // Provisioned clusters sign in with a secret, temporary credentials for a database user (the
  // profile's by default), or the caller's IAM identity; Serverless always maps the IAM identity.
  const dbUser =
    workgroupName || overrides.iamIdentity
      ? undefined
      : (overrides.dbUser ?? (secretArn ? undefined : text(fields.user)));
  return { clusterIdentifier, workgroupName, database, region, secretArn, dbUser };
}

/** For messages: where the audit goes, never a secret. */
export function describeDataApiTarget(target: DataApiTarget): string {
  const where = target.workgroupName ? `workgroup ${target.workgroupName}` : `cluster ${target.clusterIdentifier}`;
  return `${where}/${target.database} (${target.region})`;
}

/** dbt-product.yml's audit.redshift, with each flag given winning over it. */
export function redshiftOverrides(
  product: ProductManifest | undefined,
  flags: DataApiOverrides | undefined,
): DataApiOverrides {
  const file = product?.audit.redshift;
  const defined = Object.fromEntries(Object.entries(flags ?? {}).filter(([, value]) => value !== undefined));
  return {
    cluster: file?.cluster,
    workgroup: file?.workgroup,
    database: file?.database,
    region: file?.region,
    secretArn: file?.secret_arn,
    dbUser: file?.db_user,
    iamIdentity: file?.iam_identity,
    // A flag for one kind of Redshift, or one way to sign in, replaces the file's others.
    ...(defined.cluster ? { workgroup: undefined } : {}),
    ...(defined.workgroup ? { cluster: undefined } : {}),
    ...(defined.secretArn || defined.dbUser || defined.iamIdentity
      ? { secretArn: undefined, dbUser: undefined, iamIdentity: undefined }
      : {}),
    ...defined,
  };
}
