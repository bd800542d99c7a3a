/**
 * What templates/product/infra/stack.yaml.hbs needs, from the definitions in
 * ./facts.ts (pure). Names that depend on the environment carry
 * CloudFormation's `${Environment}`, so the template uses them in Fn::Sub;
 * JSON values are written as JSON, which YAML reads as it is.
 */
import {
  AIRFLOW_VARIABLES_PREFIX,
  airflowVariables,
  logicalName,
  s3Prefixes,
  topicName,
  upstreamFilterPolicy,
  upstreamQueueName,
} from './facts.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not JavaScript's.
const ENV = '${Environment}';
const SHOWN_ENV = '<environment>';

export interface InfraTemplateFacts {
  /** The environments a stack may be for (dbt-product.yml's deployed ones). */
  environments: string[];
  alertsTopic: string;
  eventsTopic: string;
  queue: string;
  /** The same names as the README shows them, the environment written `<environment>`. */
  shown: { alertsTopic: string; eventsTopic: string; queue: string };
  /** The prod names, for the MWAA Serverless files (its workflow runs as prod), and prod's state, which CI defers to. */
  prod: { alertsTopic: string; eventsTopic: string; queue: string; state: string };
  variablesPrefix: string;
  /** The DAG's Airflow Variables: logical id, Variable name, the resource whose ARN or URL (Ref) it holds, and its output. */
  variables: { logical: string; name: string; resource: string; output: string }[];
  prefixes: ReturnType<typeof s3Prefixes>;
  parents: {
    name: string;
    logical: string;
    /** The stack parameter holding the parent's events topic ARN. */
    parameter: string;
    /** From dbt-product.yml when the parent declared a real one. */
    defaultTopicArn: string;
    /** The subscription's filter policy, as JSON. */
    filterPolicy: string;
  }[];
}

export function infraTemplateFacts(
  product: string,
  environments: readonly string[],
  parents: readonly { name: string; eventsTopicArn?: string | undefined }[],
): InfraTemplateFacts {
  const variables = airflowVariables(product);
  return {
    environments: [...environments],
    alertsTopic: topicName(product, ENV, 'alerts'),
    eventsTopic: topicName(product, ENV, 'events'),
    queue: upstreamQueueName(product, ENV),
    shown: {
      alertsTopic: topicName(product, SHOWN_ENV, 'alerts'),
      eventsTopic: topicName(product, SHOWN_ENV, 'events'),
      queue: upstreamQueueName(product, SHOWN_ENV),
    },
    prod: {
      alertsTopic: topicName(product, 'prod', 'alerts'),
      eventsTopic: topicName(product, 'prod', 'events'),
      queue: upstreamQueueName(product, 'prod'),
      state: s3Prefixes(product, 'prod').state,
    },
    variablesPrefix: AIRFLOW_VARIABLES_PREFIX,
    variables: [
      {
        logical: 'AlertTopicArnVariable',
        name: variables.alertTopicArn,
        resource: 'AlertsTopic',
        output: 'AlertsTopicArn',
      },
      {
        logical: 'EventTopicArnVariable',
        name: variables.eventTopicArn,
        resource: 'EventsTopic',
        output: 'EventsTopicArn',
      },
      {
        logical: 'UpstreamQueueUrlVariable',
        name: variables.upstreamQueueUrl,
        resource: 'UpstreamQueue',
        output: 'UpstreamQueueUrl',
      },
    ],
    prefixes: s3Prefixes(product, ENV),
    parents: parents.map((parent) => ({
      name: parent.name,
      logical: logicalName(parent.name),
      parameter: `Parent${logicalName(parent.name)}EventsTopicArn`,
      defaultTopicArn: parent.eventsTopicArn ?? '',
      filterPolicy: JSON.stringify(upstreamFilterPolicy(parent.name)),
    })),
  };
}
