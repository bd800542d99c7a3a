import { describe, expect, it } from 'vitest';
import { productManifestSchema } from '../../src/product/manifest.js';
import {
  dataApiTarget,
  describeDataApiTarget,
  parseRedshiftHost,
  redshiftOverrides,
} from '../../src/redshift/target.js';
import { productManifestFixture } from '../harness/product-manifest.js';

describe('parseRedshiftHost', () => {
  it('reads a provisioned cluster endpoint', () => {
    expect(parseRedshiftHost('analytics.c9xyz0abc1de.eu-west-1.redshift.amazonaws.com')).toEqual({
      clusterIdentifier: 'analytics',
      region: 'eu-west-1',
    });
    expect(parseRedshiftHost('Analytics.c9xyz0abc1de.us-gov-west-1.redshift.amazonaws.com:5439')).toEqual({
      clusterIdentifier: 'analytics',
      region: 'us-gov-west-1',
    });
  });

  it('reads a Serverless workgroup endpoint', () => {
    expect(parseRedshiftHost('orders-wg.123456789012.us-east-2.redshift-serverless.amazonaws.com')).toEqual({
      workgroupName: 'orders-wg',
      region: 'us-east-2',
    });
  });

  it('says nothing of other hosts', () => {
    expect(parseRedshiftHost('localhost')).toBeUndefined();
    expect(parseRedshiftHost('my-proxy.internal.example.com')).toBeUndefined();
  });
});

describe('dataApiTarget', () => {
  const cluster = {
    host: 'analytics.c9xyz0abc1de.eu-west-1.redshift.amazonaws.com',
    dbname: 'dev',
    user: 'orders_dbt',
  };

  it('takes cluster, region, database and user from the profile', () => {
    expect(dataApiTarget(cluster, {}, {})).toEqual({
      clusterIdentifier: 'analytics',
      workgroupName: undefined,
      database: 'dev',
      region: 'eu-west-1',
      secretArn: undefined,
      dbUser: 'orders_dbt',
    });
  });

  it("the endpoint's region wins over AWS_REGION, overrides over both; a secret replaces the database user", () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-audit-AbCdEf';
    expect(dataApiTarget(cluster, {}, { AWS_REGION: 'eu-central-1' }).region).toBe('eu-west-1');
    const proxied = { host: 'proxy.internal', dbname: 'dev' };
    expect(dataApiTarget(proxied, { cluster: 'c' }, { AWS_REGION: 'eu-central-1' }).region).toBe('eu-central-1');
    expect(() => dataApiTarget(cluster, { secretArn, dbUser: 'me' }, {})).toThrow(
      'give one of --audit-secret-arn, --audit-db-user, not several (each is a way to sign in)',
    );
    expect(dataApiTarget(cluster, { database: 'analytics', secretArn, region: 'eu-central-1' }, {})).toMatchObject({
      clusterIdentifier: 'analytics',
      database: 'analytics',
      region: 'eu-central-1',
      secretArn,
      dbUser: undefined,
    });
    expect(dataApiTarget(cluster, { workgroup: 'wg' }, {})).toMatchObject({
      clusterIdentifier: undefined,
      workgroupName: 'wg',
      dbUser: undefined,
    });
  });

  it("a provisioned cluster signs in as the caller's IAM identity when asked (no database user)", () => {
    expect(dataApiTarget(cluster, { iamIdentity: true }, {})).toMatchObject({
      clusterIdentifier: 'analytics',
      dbUser: undefined,
      secretArn: undefined,
    });
    expect(() => dataApiTarget(cluster, { iamIdentity: true, dbUser: 'me' }, {})).toThrow(
      'give one of --audit-db-user, --audit-iam-identity, not several (each is a way to sign in)',
    );
  });

  it('a sign-in flag replaces the one dbt-product.yml gives; a cluster flag replaces its workgroup', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-audit-AbCdEf';
    const product = productManifestSchema.parse(
      productManifestFixture({
        warehouse: { type: 'redshift-serverless', auth: 'iam' },
        environments: { prod: { target: 'prod' } },
        audit: { schema: 'audit', table: 'dbt_audit_log', redshift: { workgroup: 'orders-wg', secret_arn: secretArn } },
      }),
    );
    expect(redshiftOverrides(product, undefined)).toMatchObject({ workgroup: 'orders-wg', secretArn });
    expect(redshiftOverrides(product, { cluster: 'analytics', iamIdentity: true })).toMatchObject({
      cluster: 'analytics',
      workgroup: undefined,
      secretArn: undefined,
      dbUser: undefined,
      iamIdentity: true,
    });
    expect(redshiftOverrides(product, { dbUser: 'me' })).toMatchObject({ secretArn: undefined, dbUser: 'me' });
  });

  it('Serverless uses the IAM identity (no database user)', () => {
    const host = 'orders-wg.123456789012.us-east-2.redshift-serverless.amazonaws.com';
    expect(dataApiTarget({ host, dbname: 'dev', user: 'x' }, {}, {})).toMatchObject({
      workgroupName: 'orders-wg',
      dbUser: undefined,
      region: 'us-east-2',
    });
    expect(describeDataApiTarget(dataApiTarget({ host, dbname: 'dev' }, {}, {}))).toBe(
      'workgroup orders-wg/dev (us-east-2)',
    );
  });

  it('one line naming what to set when something is missing or wrong', () => {
    expect(() => dataApiTarget({ host: 'localhost', dbname: 'dev' }, {}, {})).toThrow(
      /^cannot tell the Redshift cluster or workgroup from host "localhost": set --audit-cluster or --audit-workgroup/,
    );
    expect(() => dataApiTarget({ host: 'proxy', dbname: 'dev' }, { cluster: 'c' }, {})).toThrow(
      /^no AWS region for the Redshift Data API: set AWS_REGION/,
    );
    expect(() => dataApiTarget({ host: cluster.host }, {}, {})).toThrow(/^no Redshift database: set dbname/);
    expect(() => dataApiTarget(cluster, { cluster: 'a', workgroup: 'b' }, {})).toThrow(
      'give either --audit-cluster or --audit-workgroup, not both',
    );
    expect(() => dataApiTarget(cluster, { secretArn: 'orders-secret' }, {})).toThrow(
      /^"orders-secret" is not a Secrets Manager secret ARN .*: fix --audit-secret-arn$/,
    );
  });
});
