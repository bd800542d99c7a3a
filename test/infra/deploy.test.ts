/**
 * The stack deployed to the suite's moto_server (CloudFormation, through
 * boto3 in the lint venv: the kit has no CloudFormation client): its roles,
 * topics and queue exist, and a parent's product.completed reaches the
 * product's queue through the subscription's filter while another product's
 * event, and the parent's alert, do not.
 *
 * moto's CloudFormation skips AWS::SNS::Subscription (and the queue policy,
 * Secrets, OIDC provider: it creates none of them and warns), so the test
 * makes each subscription as the template defines it (topic, protocol,
 * endpoint, filter policy and scope), with the stack's own queue. The
 * stack's GitHubSettings output, written to infra/github-prod.env by the
 * README's command and the real AWS CLI, holds the stack's own values.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { publishInput } from '../../src/alerts/publish.js';
import { githubSettings, settingsCommand, settingsFile } from '../../src/github/settings.js';
import { logicalName } from '../../src/infra/facts.js';
import { clients, MOTO_REGION, receive } from '../harness/sns-sqs.js';
import { type Json, parent, renderStack, resolve } from './stack.js';

/** Creates the stack and describes what it made: outputs, resources, and each role as IAM has it. */
const DEPLOY = `
import json, sys, boto3
job = json.load(sys.stdin)
aws = dict(endpoint_url=job["endpoint"], region_name=job["region"], aws_access_key_id="test", aws_secret_access_key="test")
cfn = boto3.client("cloudformation", **aws)
cfn.create_stack(StackName=job["stack"], TemplateBody=job["template"], Capabilities=["CAPABILITY_NAMED_IAM"],
                 Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in job["parameters"].items()])
stack = cfn.describe_stacks(StackName=job["stack"])["Stacks"][0]
resources = cfn.list_stack_resources(StackName=job["stack"])["StackResourceSummaries"]
iam = boto3.client("iam", **aws)
roles = {r["PhysicalResourceId"]: iam.get_role(RoleName=r["PhysicalResourceId"])["Role"]["Arn"]
         for r in resources if r["ResourceType"] == "AWS::IAM::Role"}
print(json.dumps({
    "status": stack["StackStatus"],
    "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
    "resources": {r["LogicalResourceId"]: r["ResourceType"] for r in resources},
    "roles": roles,
}))
`;

const hex = () => randomBytes(3).toString('hex');

describe('infra/stack.yaml on moto', () => {
  it("deploys, and lets only the parent's product.completed into the product's queue", async () => {
    const [product, upstream, other] = [`c${hex()}`, `p${hex()}`, `o${hex()}`];
    const { sns } = clients();
    const { TopicArn: parentTopic } = await sns.send(new CreateTopicCommand({ Name: `${upstream}-prod-events` }));
    const { text, template } = await renderStack({ name: product, dir: `/tmp/${product}` }, [parent(upstream)]);
    const parameters = {
      Environment: 'prod',
      GitHubRepository: `acme/${product}`,
      GitHubOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
      ArtifactBucket: 'acme-artifacts',
      ClusterIdentifier: 'analytics',
      RedshiftHost: `analytics.abc123.${MOTO_REGION}.redshift.amazonaws.com`,
      RedshiftSecretArn: `arn:aws:secretsmanager:${MOTO_REGION}:123456789012:secret:${product}-AbCdEf`,
      [`Parent${logicalName(upstream)}EventsTopicArn`]: parentTopic as string,
    };
    const job = {
      endpoint: inject('motoEndpoint'),
      region: MOTO_REGION,
      stack: `${product}-prod`,
      template: text,
      parameters,
    };
    const run = await execa(inject('lintPython'), ['-c', DEPLOY], { input: JSON.stringify(job) });
    const stack = JSON.parse(run.stdout) as {
      status: string;
      outputs: Record<string, string>;
      resources: Record<string, string>;
      roles: Record<string, string>;
    };

    expect(stack.status).toBe('CREATE_COMPLETE');
    expect(Object.keys(stack.roles).sort()).toEqual([`${product}-prod-deploy`, `${product}-prod-run`]);
    expect(stack.resources).toMatchObject({
      AlertsTopic: 'AWS::SNS::Topic',
      EventsTopic: 'AWS::SNS::Topic',
      UpstreamQueue: 'AWS::SQS::Queue',
      MwaaDagPolicy: 'AWS::IAM::ManagedPolicy',
    });
    expect(stack.outputs.AlertsTopicArn).toMatch(new RegExp(`:${product}-prod-alerts$`));
    expect(stack.outputs.EventsTopicArn).toMatch(new RegExp(`:${product}-prod-events$`));
    expect(stack.outputs.UpstreamQueueArn).toMatch(new RegExp(`:${product}-prod-upstream-events$`));
    const expectedSetting: Record<string, string> = {
      AWS_REGION: MOTO_REGION,
      DBT_ARTIFACT_BUCKET: parameters.ArtifactBucket,
      DBT_RUN_ROLE_ARN: stack.roles[`${product}-prod-run`] as string,
      DBT_DEPLOY_ROLE_ARN: stack.roles[`${product}-prod-deploy`] as string,
      DBT_REDSHIFT_HOST: parameters.RedshiftHost,
      DBT_REDSHIFT_PORT: '5439',
      DBT_REDSHIFT_DATABASE: 'dev',
      DBT_REDSHIFT_SECRET_ARN: parameters.RedshiftSecretArn,
      MWAA_REQUIREMENTS_S3_URI: `s3://${parameters.ArtifactBucket}/requirements.txt`,
    };

    // The workflows' settings: the README's command (the real AWS CLI) writes the stack's output into
    // infra/github-prod.env, which holds every setting the stack knows, with the stack's values.
    const checkout = await mkdtemp(path.join(os.tmpdir(), 'settings-'));
    try {
      await mkdir(path.join(checkout, 'infra'));
      await execa(
        'bash',
        ['--noprofile', '--norc', '-euo', 'pipefail', '-c', settingsCommand(`${product}-prod`, 'prod')],
        {
          cwd: checkout,
          env: {
            PATH: `${path.dirname(inject('lintPython'))}:${process.env.PATH}`,
            AWS_ENDPOINT_URL: inject('motoEndpoint'),
            AWS_REGION: MOTO_REGION,
            AWS_DEFAULT_REGION: MOTO_REGION,
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
          },
          extendEnv: false,
        },
      );
      const written = await readFile(path.join(checkout, settingsFile('prod')), 'utf8');
      const settings = githubSettings({ iam: false, serverless: false, orchestrator: 'mwaa' });
      expect(written.trimEnd().split('\n')).toEqual(
        settings
          .filter((setting) => setting.stackValue !== undefined)
          .map((setting) => `${setting.name}=${expectedSetting[setting.name]}`),
      );
    } finally {
      await rm(checkout, { recursive: true, force: true });
    }

    // The template's subscriptions, as CloudFormation would make them.
    const subscriptions = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::SNS::Subscription',
    );
    expect(subscriptions).toHaveLength(1);
    for (const subscription of subscriptions) {
      const props = resolve(subscription.Properties as Json, template, parameters, {}) as Record<string, Json>;
      expect(props.TopicArn).toBe(parentTopic);
      await sns.send(
        new SubscribeCommand({
          TopicArn: props.TopicArn as string,
          Protocol: props.Protocol as string,
          Endpoint: stack.outputs.UpstreamQueueArn,
          Attributes: {
            FilterPolicy: JSON.stringify(props.FilterPolicy),
            FilterPolicyScope: props.FilterPolicyScope as string,
          },
        }),
      );
    }

    const publish = (from: string, eventType: string) =>
      sns.send(
        new PublishCommand(
          publishInput(parentTopic as string, {
            subject: `[${from}][prod] ${eventType}`,
            message: JSON.stringify({ default: JSON.stringify({ product: from, event_type: eventType }) }),
            attributes: { product: from, environment: 'prod', event_type: eventType, severity: 'info' },
            groupId: from,
            deduplicationId: `${from}:${eventType}`,
          }),
        ),
      );
    await publish(upstream, 'product.completed');
    await publish(other, 'product.completed');
    await publish(upstream, 'run.failed');

    const arrived = await receive(stack.outputs.UpstreamQueueUrl as string);
    expect(arrived.map((message) => message.attributes)).toEqual([
      { product: upstream, environment: 'prod', event_type: 'product.completed', severity: 'info' },
    ]);
    expect(arrived[0]?.document).toEqual({ product: upstream, event_type: 'product.completed' });
  });
});
