/**
 * What every message the kit publishes has in common: who may send it, how
 * it names itself (schema id, version, event type) and how it writes times.
 * Each message is one zod object (the TypeScript type, the JSON Schema in
 * schemas/, the README's field list and the orchestrators' field lists all
 * come from it); a new message is one more definition in ./index.ts.
 */
import { z } from 'zod';

/** Who sends messages: dbt-run itself (wherever it runs), the Cosmos DAG on Airflow, the MWAA Serverless workflow. */
export const PRODUCERS = ['dbt-run', 'airflow', 'mwaa-serverless'] as const;
export type Producer = (typeof PRODUCERS)[number];

/** How a run ended, as the audit's invocation rows say it. */
export const RUN_STATUSES = ['success', 'failed', 'error', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** UTC, written as the audit log writes times, so that a message joins its audit rows as it is. */
export const TIMESTAMP_FORMAT = 'YYYY-MM-DD HH:MM:SS.ffffff';
/** The same, for Python's strftime (the Airflow producers). */
export const PYTHON_TIMESTAMP_FORMAT = '%Y-%m-%d %H:%M:%S.%f';
export const timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);

export const SCHEMA_ID_PREFIX = 'dbt-product-kit/';

type HeaderShape = {
  schema: z.ZodLiteral<string>;
  version: z.ZodLiteral<number>;
  event_type: z.ZodLiteral<string>;
};

export interface MessageDefinition<Schema extends z.ZodObject<HeaderShape> = z.ZodObject<HeaderShape>> {
  /** `run.failed`: also the SNS attribute `event_type` and the end of the schema id. */
  eventType: Schema['shape']['event_type']['value'];
  /** Bumped when a field changes or goes; a new field is not a new version. */
  version: Schema['shape']['version']['value'];
  /** The document's `schema` field: `dbt-product-kit/<event type>`. */
  schemaId: Schema['shape']['schema']['value'];
  description: string;
  schema: Schema;
}

/** The first fields of every message: which schema and version it follows, and its event type. */
export function header<const EventType extends string, const Version extends number>(
  eventType: EventType,
  version: Version,
) {
  return {
    schema: z
      .literal(`${SCHEMA_ID_PREFIX}${eventType}` as `dbt-product-kit/${EventType}`)
      .describe('Which message this is; with `version`, which JSON Schema it follows.'),
    version: z.literal(version).describe('Changes when a field changes or goes; a new field is not a new version.'),
    event_type: z.literal(eventType).describe('Also the SNS message attribute `event_type`, for subscription filters.'),
  };
}

/** Who a message is from, the same in every message (product and environment are SNS attributes too). */
export const sender = {
  product: z
    .string()
    .describe('The data product (dbt project name); also an SNS attribute, which subscriptions and sensors filter on.'),
  environment: z.string().describe('The dbt-product.yml environment that ran; also an SNS attribute.'),
  producer: z
    .enum(PRODUCERS)
    .describe('Who sent it: dbt-run, the Cosmos DAG (airflow) or the MWAA Serverless workflow.'),
};

/** A message's definition, read off its schema (whose header says its event type, version and id). */
export function defineMessage<Schema extends z.ZodObject<HeaderShape>>(schema: Schema): MessageDefinition<Schema> {
  return {
    eventType: schema.shape.event_type.value,
    version: schema.shape.version.value,
    schemaId: schema.shape.schema.value,
    description: schema.description ?? '',
    schema,
  };
}

/** The fields of a message, and of the objects in it, in order (for producers that build documents by hand). */
export function fieldNames(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}
