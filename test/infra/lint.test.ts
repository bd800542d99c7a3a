/**
 * The linters AWS users run on such a stack, from test/requirements/lint.txt:
 * cfn-lint on the template (every orchestrator, warehouse and auth), and
 * parliament on each IAM policy as AWS evaluates it (functions resolved).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { tempDir } from '../harness/product.js';
import { ACCOUNT, parent, policies, REGION, renderStack, resolve } from './stack.js';

/** Each orchestrator, and each sign-in (secret, cluster credentials, workgroup credentials) once per two orchestrators. */
const VARIANTS = [
  { orchestrator: 'mwaa', warehouse: 'redshift', auth: 'password' },
  { orchestrator: 'mwaa', warehouse: 'redshift-serverless', auth: 'iam' },
  { orchestrator: 'mwaa-serverless', warehouse: 'redshift', auth: 'iam' },
  { orchestrator: 'mwaa-serverless', warehouse: 'redshift-serverless', auth: 'password' },
  { orchestrator: 'none', warehouse: 'redshift', auth: 'iam' },
  { orchestrator: 'none', warehouse: 'redshift-serverless', auth: 'password' },
];
const PARENTS = [parent('core_sales', `arn:aws:sns:${REGION}:${ACCOUNT}:core_sales-prod-events`)];

const bin = (name: string) => path.join(path.dirname(inject('lintPython')), name);

/**
 * Parliament's findings for each policy, as its CLI rates them (its own auditors; the community
 * ones flag, by design, actions these roles exist for: GetClusterCredentials, PassRole, ECR's
 * token), every severity, as `where: ISSUE (severity) detail` lines.
 */
const PARLIAMENT = `
import json, sys
from parliament import analyze_policy_string
from parliament.cli import enhance_finding
for item in json.load(sys.stdin):
    policy = analyze_policy_string(json.dumps(item["document"]))
    for finding in map(enhance_finding, policy.findings):
        print(f"{item['where']}: {finding.issue} ({finding.severity}) {finding.detail} {finding.location}")
`;

describe('infra/stack.yaml, linted', () => {
  it('passes cfn-lint for every orchestrator, warehouse and auth', async () => {
    const dir = await tempDir('infra-lint-');
    const files: string[] = [];
    for (const variant of VARIANTS) {
      const file = path.join(dir, `${Object.values(variant).join('-')}.yaml`);
      await writeFile(file, (await renderStack(variant, PARENTS)).text);
      files.push(file);
    }
    const lint = await execa(bin('cfn-lint'), ['--regions', REGION, '--', ...files], { reject: false, all: true });
    expect(lint.all).toBe('');
    expect(lint.exitCode).toBe(0);
  });

  it('passes parliament, each policy with its parameters filled in', async () => {
    const items = [];
    for (const variant of VARIANTS) {
      const { template } = await renderStack(variant, PARENTS);
      const parameters = {
        Environment: 'prod',
        GitHubRepository: 'acme/orders',
        GitHubOidcProviderArn: '',
        ArtifactBucket: 'acme-artifacts',
        ClusterIdentifier: 'analytics',
        WorkgroupArn: `arn:aws:redshift-serverless:${REGION}:${ACCOUNT}:workgroup/0f1e2d3c-aaaa-bbbb-cccc-123456789abc`,
        RedshiftSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders-redshift-AbCdEf`,
        DatabaseUser: 'orders',
        MwaaExecutionRoleName: 'mwaa-execution',
        AlertLambdaArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:alert-router`,
      };
      const conditions = { CreateOidcProvider: true, AttachToMwaaRole: true, HasAlertLambda: true, IsProd: true };
      // Parliament reads identity policies; trust policies (no Resource) are stack.test.ts's to check.
      for (const policy of policies(template).filter((found) => !found.where.endsWith(' trust'))) {
        items.push({
          where: `${Object.values(variant).join('-')} ${policy.where}`,
          document: resolve(policy.document, template, parameters, conditions),
        });
      }
    }
    expect(items.length).toBeGreaterThan(15);
    // A policy parliament must fault (an object action on the bucket itself): the check is live.
    const control = {
      where: 'control',
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-artifacts' }],
      },
    };
    const run = await execa(inject('lintPython'), ['-c', PARLIAMENT], {
      input: JSON.stringify([...items, control]),
      all: true,
    });
    const findings = run.all.split('\n').filter(Boolean);
    // Parliament's IAM database (its 1.6.4, the last release) predates MWAA Serverless (2025): it
    // knows no airflow-serverless prefix. That finding, and only it, is expected, once for each
    // MWAA Serverless variant's deploy role (cfn-lint's current policy data knows the service).
    const newerThanParliament = (line: string) => /UNKNOWN_PREFIX .*airflow-serverless/.test(line);
    expect(findings.filter(newerThanParliament).map((line) => line.split(' ')[0])).toEqual(
      VARIANTS.filter((variant) => variant.orchestrator === 'mwaa-serverless').map(
        (variant) => `${Object.values(variant).join('-')}`,
      ),
    );
    expect(findings.filter((line) => !line.startsWith('control:') && !newerThanParliament(line))).toEqual([]);
    expect(findings.filter((line) => line.startsWith('control:'))).toHaveLength(1);
  });
});
