/**
 * The product's AWS stack as planned: every policy names its resource, the
 * GitHub roles trust one repository's environment or branch, each role holds
 * only what it is for, the upstream subscriptions filter on the message
 * definition's attributes, and the MWAA Serverless roles are iam/*.json's.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { airflowVariables, upstreamFilterPolicy } from '../../src/infra/facts.js';
import { PRODUCT_COMPLETED } from '../../src/messages/index.js';
import {
  ACCOUNT,
  type Json,
  list,
  parent,
  planFiles,
  policies,
  REGION,
  renderStack,
  resolve,
  type Statement,
  statements,
  type Template,
} from './stack.js';

/** Actions AWS authorises on no resource type: "*" is the only Resource they take. */
const NO_RESOURCE_TYPE = new Set([
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:CancelStatement',
  'ecr:GetAuthorizationToken',
]);

const PARAMETERS = {
  Environment: 'prod',
  GitHubRepository: 'acme/orders',
  GitHubOidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
  ArtifactBucket: 'acme-artifacts',
  ClusterIdentifier: 'analytics',
  WorkgroupArn: `arn:aws:redshift-serverless:${REGION}:${ACCOUNT}:workgroup/0f1e2d3c-aaaa-bbbb-cccc-123456789abc`,
  RedshiftSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders-redshift-AbCdEf`,
  DatabaseName: 'analytics',
  DatabaseUser: 'orders',
  MwaaExecutionRoleName: 'mwaa-execution',
  AlertLambdaArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:alert-router`,
  // The parent whose dbt-product.yml has no real topic yet (core_sales's is the parameter's default).
  ParentCrmEventsTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:crm-prod-events`,
};
const CONDITIONS = {
  CreateOidcProvider: false,
  AttachToMwaaRole: true,
  HasAlertLambda: true,
  IsProd: true,
};

const VARIANTS = [
  { orchestrator: 'mwaa', warehouse: 'redshift', auth: 'password' },
  { orchestrator: 'mwaa', warehouse: 'redshift-serverless', auth: 'iam' },
  { orchestrator: 'mwaa-serverless', warehouse: 'redshift', auth: 'iam' },
  { orchestrator: 'mwaa-serverless', warehouse: 'redshift-serverless', auth: 'password' },
  { orchestrator: 'none', warehouse: 'redshift', auth: 'password' },
];

const PARENTS = [parent('core_sales', `arn:aws:sns:${REGION}:${ACCOUNT}:core_sales-prod-events`), parent('crm')];

function resolved(template: Template, value: Json): Json {
  return resolve(value, template, PARAMETERS, CONDITIONS);
}

/** A role's statements (inline and managed policies attached to it), resolved. */
function roleStatements(template: Template, role: string): Statement[] {
  const attached = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy')
    .filter(([, resource]) => JSON.stringify(resource.Properties.Roles ?? []).includes(`"${role}"`))
    .map(([id]) => id);
  return policies(template)
    .filter(
      (policy) => (policy.resource === role && !policy.where.endsWith('trust')) || attached.includes(policy.resource),
    )
    .flatMap((policy) => statements(resolved(template, policy.document)));
}

function actions(found: Statement[]): string[] {
  return [...new Set(found.flatMap((statement) => list(statement.Action)))].sort();
}

describe('infra/stack.yaml', () => {
  it('names the resource of every statement; "*" only for actions that take no resource', async () => {
    for (const variant of VARIANTS) {
      const { template } = await renderStack(variant, PARENTS);
      for (const policy of policies(template)) {
        for (const statement of statements(resolved(template, policy.document))) {
          const where = `${JSON.stringify(variant)} ${policy.where} ${statement.Sid ?? ''}`;
          expect(statement.Effect, where).toBe('Allow');
          for (const action of list(statement.Action)) expect(action, where).not.toMatch(/\*/);
          if (statement.Principal) continue;
          const resources = list(statement.Resource as string | string[]);
          expect(resources.length, where).toBeGreaterThan(0);
          if (resources.includes('*')) {
            expect(resources, where).toEqual(['*']);
            for (const action of list(statement.Action))
              expect(NO_RESOURCE_TYPE.has(action), `${where} ${action}`).toBe(true);
            if (list(statement.Action).some((action) => action.startsWith('redshift-data:'))) {
              // Only the statements the caller ran itself.
              const owner = statement.Condition?.StringEquals?.['redshift-data:statement-owner-iam-userid'];
              // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not JavaScript's.
              expect(owner, where).toBe('${aws:userid}');
            }
          }
          for (const resource of resources) expect(resource, where).toMatch(/^(\*|arn:aws:[a-z0-9-]+:)/);
        }
      }
    }
  });

  it('lets GitHub assume the roles only from this repository: the run role from its environment, the deploy role from its branch', async () => {
    const { template } = await renderStack({}, PARENTS);
    const trust = (role: string) =>
      statements(resolved(template, template.Resources[role]?.Properties.AssumeRolePolicyDocument ?? null));
    const expected = {
      RunRole: 'repo:acme/orders:environment:prod',
      DeployRole: 'repo:acme/orders:ref:refs/heads/main',
    };
    for (const [role, sub] of Object.entries(expected)) {
      const [statement, ...more] = trust(role);
      expect(more, role).toEqual([]);
      expect(statement).toEqual({
        Effect: 'Allow',
        Principal: { Federated: PARAMETERS.GitHubOidcProviderArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': sub,
          },
        },
      });
    }
    // Without a provider ARN the stack creates the account's one, for GitHub's audience.
    const created = resolve(
      template.Resources.RunRole?.Properties.AssumeRolePolicyDocument ?? null,
      template,
      PARAMETERS,
      {
        ...CONDITIONS,
        CreateOidcProvider: true,
      },
    );
    expect(statements(created)[0]?.Principal).toEqual({
      Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
    });
    expect(template.Resources.GitHubOidcProvider).toMatchObject({
      Condition: 'CreateOidcProvider',
      Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] },
    });
  });

  it('gives each role only what it is for, on its own resources', async () => {
    const { template } = await renderStack({ orchestrator: 'mwaa', warehouse: 'redshift', auth: 'password' }, PARENTS);
    const topics = [
      `arn:aws:sns:${REGION}:${ACCOUNT}:orders-prod-alerts`,
      `arn:aws:sns:${REGION}:${ACCOUNT}:orders-prod-events`,
    ];
    const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-prod-upstream-events`;
    const bucket = 'arn:aws:s3:::acme-artifacts';

    const run = roleStatements(template, 'RunRole');
    expect(actions(run)).toEqual([
      'redshift-data:BatchExecuteStatement',
      'redshift-data:CancelStatement',
      'redshift-data:DescribeStatement',
      'redshift-data:ExecuteStatement',
      'redshift-data:GetStatementResult',
      's3:GetObject',
      's3:ListBucket',
      'secretsmanager:GetSecretValue',
      'sns:Publish',
    ]);
    const on = (found: Statement[], action: string) =>
      found
        .filter((statement) => list(statement.Action).includes(action))
        .flatMap((statement) => list(statement.Resource as string));
    expect(on(run, 'redshift-data:ExecuteStatement')).toEqual([
      `arn:aws:redshift:${REGION}:${ACCOUNT}:cluster:analytics`,
    ]);
    expect(on(run, 'secretsmanager:GetSecretValue')).toEqual([PARAMETERS.RedshiftSecretArn]);
    expect(on(run, 'sns:Publish').sort()).toEqual(topics);
    expect(on(run, 's3:GetObject')).toEqual([`${bucket}/state/orders/prod/*`]);

    const deploy = roleStatements(template, 'DeployRole');
    expect(actions(deploy)).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(on(deploy, 's3:PutObject').sort()).toEqual([
      `${bucket}/dags/dbt/orders/*`,
      `${bucket}/dags/orders_dag.py`,
      // The DAG's own helpers, beside it (a module per product: products may differ in kit version).
      `${bucket}/dags/orders_dag_support.py`,
      `${bucket}/dags/orders_dag_watcher.py`,
      `${bucket}/state/orders/prod/*`,
    ]);

    // MWAA's execution role: what the DAG calls (SNS, SQS, its Variables' secrets, the alert Lambda).
    const mwaa = roleStatements(template, 'MwaaExecutionRoleName');
    expect(actions(mwaa)).toEqual([
      'lambda:InvokeFunction',
      'secretsmanager:GetSecretValue',
      'sns:Publish',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    expect(on(mwaa, 'sqs:ReceiveMessage')).toEqual([queue]);
    expect(on(mwaa, 'sns:Publish').sort()).toEqual(topics);
    expect(on(mwaa, 'lambda:InvokeFunction')).toEqual([PARAMETERS.AlertLambdaArn]);
    expect(on(mwaa, 'secretsmanager:GetSecretValue')).toHaveLength(3);
    for (const arn of on(mwaa, 'secretsmanager:GetSecretValue'))
      expect(arn).toMatch(/:secret:airflow\/variables\/orders_/);

    // The queue takes messages only from the parents' topics.
    const queuePolicy = statements(
      resolved(template, template.Resources.UpstreamQueuePolicy?.Properties.PolicyDocument ?? null),
    );
    expect(queuePolicy).toEqual([
      expect.objectContaining({
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queue,
        Condition: {
          ArnEquals: {
            'aws:SourceArn': [
              `arn:aws:sns:${REGION}:${ACCOUNT}:core_sales-prod-events`,
              `arn:aws:sns:${REGION}:${ACCOUNT}:crm-prod-events`,
            ],
          },
        },
      }),
    ]);
  });

  it("subscribes the queue to each parent's events topic, for that parent's product.completed only", async () => {
    const { template } = await renderStack({}, PARENTS);
    const subscriptions = Object.entries(template.Resources).filter(
      ([, resource]) => resource.Type === 'AWS::SNS::Subscription',
    );
    expect(subscriptions.map(([id]) => id)).toEqual(['UpstreamCoreSalesSubscription', 'UpstreamCrmSubscription']);
    for (const [index, [, subscription]] of subscriptions.entries()) {
      const name = PARENTS[index]?.name ?? '';
      expect(subscription.Properties).toMatchObject({
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': ['UpstreamQueue', 'Arn'] },
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: { product: [name], event_type: [PRODUCT_COMPLETED.eventType] },
      });
      expect(subscription.Properties.FilterPolicy).toEqual(upstreamFilterPolicy(name));
    }
    // The known parent's topic is the parameter's default; the other one must be given.
    expect(template.Parameters.ParentCoreSalesEventsTopicArn?.Default).toBe(PARENTS[0]?.eventsTopicArn);
    expect(template.Parameters.ParentCrmEventsTopicArn?.Default).toBeUndefined();
    // A product without parents has a queue and nothing subscribed to it.
    const alone = (await renderStack()).template;
    expect(alone.Resources.UpstreamQueue).toBeDefined();
    expect(
      Object.values(alone.Resources).filter((resource) => resource.Type.startsWith('AWS::SNS::Subscription')),
    ).toEqual([]);
  });

  it('names the topics as dbt-product.yml does, and writes the Variables the DAG reads', async () => {
    const files = await planFiles({}, PARENTS);
    const { template } = await renderStack({}, PARENTS);
    const manifest = parse(files.get('dbt-product.yml') ?? '') as {
      environments: Record<string, { alerts?: { topic_arn: string }; events?: { topic_arn: string } }>;
    };
    for (const environment of ['dev', 'prod']) {
      const name = (id: string) =>
        resolve(
          template.Resources[id]?.Properties.TopicName ?? null,
          template,
          { ...PARAMETERS, Environment: environment },
          CONDITIONS,
        );
      expect(manifest.environments[environment]?.alerts?.topic_arn).toBe(
        `arn:aws:sns:REGION:ACCOUNT_ID:${name('AlertsTopic')}`,
      );
      expect(manifest.environments[environment]?.events?.topic_arn).toBe(
        `arn:aws:sns:REGION:ACCOUNT_ID:${name('EventsTopic')}`,
      );
    }
    const secrets = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::SecretsManager::Secret',
    );
    const variables = airflowVariables('orders');
    expect(secrets.map((secret) => secret.Properties.Name).sort()).toEqual(
      Object.values(variables)
        .map((name) => `airflow/variables/${name}`)
        .sort(),
    );
    const dag = files.get('dags/orders_dag.py') ?? '';
    for (const name of Object.values(variables)) expect(dag).toContain(name);
    const readme = files.get('infra/README.md') ?? '';
    expect(readme).toContain('aws cloudformation deploy');
    for (const name of [...Object.keys(template.Parameters), ...Object.values(variables)])
      expect(readme).toContain(name);
    // Names are shown with <environment>, not CloudFormation's substitution.
    expect(readme).not.toMatch(/\$\{(Environment|AWS::)/);
    // Without MWAA there is no DAG: no Variables, no MWAA policy.
    const none = (await renderStack({ orchestrator: 'none' })).template;
    expect(Object.values(none.Resources).map((resource) => resource.Type)).not.toContain('AWS::SecretsManager::Secret');
    expect(none.Resources.MwaaDagPolicy).toBeUndefined();
  });

  it("gives MWAA Serverless's roles exactly iam/*.json's policies, in prod only", async () => {
    for (const warehouse of ['redshift', 'redshift-serverless']) {
      for (const auth of ['password', 'iam']) {
        const variant = { orchestrator: 'mwaa-serverless', warehouse, auth };
        const files = await planFiles(variant);
        const { template } = await renderStack(variant);
        // iam/*.json's placeholders as this test's parameters name them.
        const json = (file: string) =>
          JSON.parse(
            (files.get(file) ?? '')
              .replaceAll('REGION', REGION)
              .replaceAll('ACCOUNT_ID', ACCOUNT)
              .replaceAll('workgroup/WORKGROUP_ID', PARAMETERS.WorkgroupArn.split(':').at(-1) ?? '')
              .replaceAll('CLUSTER_ID', PARAMETERS.ClusterIdentifier)
              .replaceAll('DB_USER', PARAMETERS.DatabaseUser)
              .replaceAll('DATABASE', PARAMETERS.DatabaseName)
              .replaceAll('secret:SECRET_NAME', PARAMETERS.RedshiftSecretArn.split(':').slice(-2).join(':')),
          );
        const normal = (found: Statement[]) =>
          found.map((statement) => ({
            ...statement,
            Action: list(statement.Action).sort(),
            ...(statement.Resource ? { Resource: list(statement.Resource as string).sort() } : {}),
          }));
        const role = (id: string) => template.Resources[id];
        const pairs = [
          ['EcsTaskRole', 'iam/ecs-task-role.json', 'iam/ecs-task-trust.json'],
          ['MwaaServerlessExecutionRole', 'iam/mwaa-serverless-execution-role.json', 'iam/mwaa-serverless-trust.json'],
        ] as const;
        for (const [id, policyFile, trustFile] of pairs) {
          const where = `${JSON.stringify(variant)} ${id}`;
          expect(role(id)?.Condition, where).toBe('IsProd');
          expect(normal(roleStatements(template, id)), where).toEqual(normal(statements(json(policyFile))));
          expect(resolved(template, role(id)?.Properties.AssumeRolePolicyDocument ?? null), where).toEqual(
            json(trustFile),
          );
        }
      }
    }
  });
});
