/**
 * What the product's AWS stack (infra/stack.yaml) and the files that name
 * its resources must agree on, defined once (pure): the topics' and the
 * upstream queue's names, the Airflow Variables the Cosmos DAG reads, the S3
 * prefixes the product deploys to, and the subscription filter that lets
 * only a parent's completion events into the queue. The filter's attribute
 * names and event type come from the message definitions (src/messages),
 * which publish them as SNS message attributes.
 */
import { PRODUCT_COMPLETED, type sender } from '../messages/index.js';

export type TopicKind = 'alerts' | 'events';

/**
 * A product's SNS topic in an environment: `<product>-<environment>-<kind>`. The environment may
 * be CloudFormation's `${Environment}`, for Fn::Sub.
 */
export function topicName(product: string, environment: string, kind: TopicKind): string {
  return `${product}-${environment}-${kind}`;
}

/** The queue that receives the parents' product.completed events: `<product>-<environment>-upstream-events`. */
export function upstreamQueueName(product: string, environment: string): string {
  return `${product}-${environment}-upstream-events`;
}

/** The Airflow Variables the Cosmos DAG reads when its tasks run (templates/mwaa/dags). */
export function airflowVariables(product: string) {
  return {
    alertTopicArn: `${product}_alert_topic_arn`,
    eventTopicArn: `${product}_event_topic_arn`,
    upstreamQueueUrl: `${product}_upstream_queue_url`,
  };
}

/** MWAA's Secrets Manager backend reads Variable `x` from the secret `<prefix>/x`; this is its default prefix. */
export const AIRFLOW_VARIABLES_PREFIX = 'airflow/variables';

/** The object keys a product's deploy writes and its runs read, in the artifact bucket (no leading slash). */
export function s3Prefixes(product: string, environment: string) {
  return {
    /** The Cosmos DAG file (MWAA reads dags/). */
    dag: `dags/${product}_dag.py`,
    /** The DAG's own helpers, which it imports (per product: products in one dags folder may differ in kit version). */
    dagSupport: `dags/${product}_dag_support.py`,
    /** The watcher's build and node tasks, which the DAG imports too. */
    dagWatcher: `dags/${product}_dag_watcher.py`,
    /** The dbt project beside the DAG (see the README's Deploying). */
    project: `dags/dbt/${product}/`,
    /** The MWAA Serverless workflow definition. */
    workflow: `mwaa-serverless/${product}.yaml`,
    /** The prod manifest a run compares against (dbt --state), written by the deploy. */
    state: `state/${product}/${environment}/`,
  };
}

/** The SNS message attributes a subscription filters on; each is a field of every message too. */
const PRODUCT_ATTRIBUTE = 'product' satisfies keyof typeof sender;
const EVENT_TYPE_ATTRIBUTE = 'event_type' satisfies keyof typeof PRODUCT_COMPLETED.schema.shape;

/** A parent's product.completed events, and nothing else it publishes (an SNS filter policy on attributes). */
export function upstreamFilterPolicy(parent: string): Record<string, string[]> {
  return { [PRODUCT_ATTRIBUTE]: [parent], [EVENT_TYPE_ATTRIBUTE]: [PRODUCT_COMPLETED.eventType] };
}

/** A CloudFormation logical id part from a product name: `orders_core` → `OrdersCore`. */
export function logicalName(product: string): string {
  return product
    .split('_')
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
