/**
 * The product's infra/stack.yaml as create-dbt-product plans it (no dbt, no
 * disk), parsed, and its IAM policies with CloudFormation's functions
 * resolved for given parameters, for the checks and linters that read
 * policies as AWS evaluates them.
 */
import { parse } from 'yaml';
import { planProductFiles } from '../../src/scaffold/create.js';
import { normaliseOptions, type ScaffoldInput } from '../../src/scaffold/options.js';
import type { ParentProduct } from '../../src/upstream/parent.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Template = {
  Parameters: Record<string, { Default?: string }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, Json> }>;
  Outputs: Record<string, { Value: Json }>;
};

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export function parent(name: string, eventsTopicArn?: string): ParentProduct {
  return {
    url: `https://git.example.com/${name}.git`,
    revision: 'v1',
    sha: 'a'.repeat(40),
    name,
    publicModels: [],
    ...(eventsTopicArn ? { eventsTopicArn } : {}),
  };
}

/** The planned product's files by path. */
export async function planFiles(
  input: Partial<ScaffoldInput> = {},
  parents: ParentProduct[] = [],
): Promise<Map<string, string>> {
  const options = normaliseOptions({ dir: '/tmp/orders', name: 'orders', owner: 'ana@example.com', ...input });
  return new Map((await planProductFiles(options, parents)).map((file) => [file.path, file.content]));
}

export async function renderStack(
  input: Partial<ScaffoldInput> = {},
  parents: ParentProduct[] = [],
): Promise<{ text: string; template: Template }> {
  const text = (await planFiles(input, parents)).get('infra/stack.yaml');
  if (!text) throw new Error('the plan has no infra/stack.yaml');
  return { text, template: parse(text) as Template };
}

/** Every IAM policy document in the template: trust policies, inline and managed policies, the queue's policy. */
export function policies(template: Template): { where: string; resource: string; document: Json }[] {
  const found: { where: string; resource: string; document: Json }[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties;
    if (props.AssumeRolePolicyDocument) {
      found.push({ where: `${id} trust`, resource: id, document: props.AssumeRolePolicyDocument });
    }
    for (const policy of (props.Policies ?? []) as { PolicyName: string; PolicyDocument: Json }[]) {
      found.push({ where: `${id} ${policy.PolicyName}`, resource: id, document: policy.PolicyDocument });
    }
    if (props.PolicyDocument) found.push({ where: id, resource: id, document: props.PolicyDocument });
  }
  return found;
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: Json;
  Principal?: Json;
  Condition?: Record<string, Record<string, Json>>;
}

export function statements(document: Json): Statement[] {
  return (document as unknown as { Statement: Statement[] }).Statement;
}

export const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * A value with Ref, Fn::Sub, Fn::GetAtt and Fn::If resolved for these parameters
 * and conditions; a resource's Ref or Arn is a made-up ARN of its type.
 */
export function resolve(
  value: Json,
  template: Template,
  parameters: Record<string, string>,
  conditions: Record<string, boolean>,
): Json {
  const arnOf = (id: string): string => {
    const resource = template.Resources[id];
    const name = (field: string) => resolve(resource?.Properties[field] ?? id, template, parameters, conditions);
    switch (resource?.Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${name('TopicName')}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name('QueueName')}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${name('RoleName')}`;
      case 'AWS::ECR::Repository':
        return `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name('RepositoryName')}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name('Name')}-AbCdEf`;
      case 'AWS::IAM::OIDCProvider':
        return `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
      default:
        throw new Error(`no ARN for ${id} (${resource?.Type})`);
    }
  };
  const ref = (name: string): string => {
    if (name === 'AWS::AccountId') return ACCOUNT;
    if (name === 'AWS::Region') return REGION;
    if (name === 'AWS::Partition') return 'aws';
    if (name in template.Parameters) {
      const given = parameters[name] ?? template.Parameters[name]?.Default;
      if (given === undefined) throw new Error(`no value for parameter ${name}`);
      return given;
    }
    return arnOf(name);
  };
  if (Array.isArray(value)) {
    return value
      .map((item) => resolve(item, template, parameters, conditions))
      .filter((item) => item !== NO_VALUE) as Json[];
  }
  if (value === null || typeof value !== 'object') return value;
  if ('Ref' in value) return value.Ref === 'AWS::NoValue' ? NO_VALUE : ref(value.Ref as string);
  if ('Fn::Sub' in value) {
    return (value['Fn::Sub'] as string).replace(/\$\{([A-Za-z0-9:]+)\}/g, (_, name: string) => ref(name));
  }
  if ('Fn::GetAtt' in value) return arnOf((value['Fn::GetAtt'] as string[])[0] as string);
  if ('Fn::If' in value) {
    const [condition, yes, no] = value['Fn::If'] as [string, Json, Json];
    if (!(condition in conditions)) throw new Error(`condition ${condition} not given`);
    return resolve(conditions[condition] ? yes : no, template, parameters, conditions);
  }
  return Object.fromEntries(
    Object.entries(value)
      .map(([key, item]) => [key, resolve(item, template, parameters, conditions)] as const)
      .filter(([, item]) => item !== NO_VALUE),
  );
}

/** AWS::NoValue: the property or list item is left out. */
const NO_VALUE = '\u0000no value';
