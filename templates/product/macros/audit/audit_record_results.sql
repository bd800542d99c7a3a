{#
  on-run-end hook: writes one audit row per node dbt executed in this
  invocation. dbt's Jinja cannot catch a database error, so this macro avoids
  causing one: it creates or migrates the table first, fits every value to
  its column, and splits the INSERT into statements far below Redshift's
  16 MB limit. dbt-run switches the hook off (environment variable
  DBT_PRODUCT_KIT_AUDIT_HOOK=off) and records the same rows itself after dbt
  exits, which also covers runs that crash. An environment variable, not a
  var: dbt re-parses the whole project when --vars change, but reads
  env_var() here only at execution (the `not execute` return comes first), so
  switching between dbt-run and plain dbt keeps partial parsing.
  The var audit_hook_enabled: false switches it off too. Installed as a
  package (a parent product), its hook runs in the child's invocations too:
  there it records nothing (the hook passes its own product name, which is not
  the project being run), as the child's own hook records every node.
#}
{% macro audit_record_results(results, product=none) %}
  {%- if not execute or results | length == 0 -%}
    {{ return('') }}
  {%- endif -%}
  {%- set switch = audit_hook_switch() -%}
  {%- if (env_var(switch.env, 'on') | lower) in switch.off_values
      or (var(switch.var, true) | string | lower) in switch.off_values -%}
    {{ return('') }}
  {%- endif -%}
  {%- if flags.WHICH not in ('run', 'build', 'test', 'seed', 'snapshot', 'retry') -%}
    {{ return('') }}
  {%- endif -%}
  {#- project_name is the project being run; a parent package's hook names the parent. -#}
  {%- if product is not none and product != project_name -%}
    {{ return('') }}
  {%- endif -%}

  {%- set relation = audit_relation('log') -%}
  {%- do audit_ensure_table(relation, 'log') -%}
  {%- set columns = audit_columns() -%}
  {%- set origin = audit_run_origin() -%}
  {%- set invocation = audit_invocation_values(origin) -%}
  {%- set max_statement_bytes = audit_max_statement_bytes() -%}
  {%- set insert_into -%}
    insert into {{ relation }} ({{ columns | map(attribute='name') | join(', ') }}) values
  {%- endset -%}

  {%- set batch = namespace(rows=[], bytes=0, statements=0) -%}
  {%- for result in results -%}
    {%- set row = audit_result_values(result, invocation) -%}
    {%- set literals = [] -%}
    {%- for column in columns -%}
      {%- if column.name not in row -%}
        {{ exceptions.raise_compiler_error('audit column ' ~ column.name ~ ' has no value in audit_result_values') }}
      {%- endif -%}
      {%- do literals.append(audit_literal(row[column.name], column)) -%}
    {%- endfor -%}
    {%- set tuple = '(' ~ literals | join(', ') ~ ')' -%}
    {%- set tuple_bytes = (tuple.encode('utf-8') | length) + 2 -%}
    {%- if batch.rows and batch.bytes + tuple_bytes > max_statement_bytes -%}
      {%- do audit_execute(insert_into ~ '\n' ~ batch.rows | join(',\n')) -%}
      {%- set batch.rows = [] -%}
      {%- set batch.bytes = 0 -%}
      {%- set batch.statements = batch.statements + 1 -%}
    {%- endif -%}
    {%- do batch.rows.append(tuple) -%}
    {%- set batch.bytes = batch.bytes + tuple_bytes -%}
  {%- endfor -%}
  {%- if batch.rows -%}
    {%- do audit_execute(insert_into ~ '\n' ~ batch.rows | join(',\n')) -%}
    {%- set batch.statements = batch.statements + 1 -%}
  {%- endif -%}
  {#- The invocation row as dbt-run writes it, so a run without dbt-run (an orchestrator) has one too. -#}
  {%- do audit_record_invocation(results, invocation, origin) -%}
  {#- One transaction for the DDL, every chunk and the invocation row (audit_execute opened it): all rows or none. -#}
  {%- do adapter.commit() -%}
  {%- do log('audit: recorded ' ~ results | length ~ ' rows in ' ~ relation ~ ' (' ~ batch.statements ~ ' statements)', info=true) -%}
  {{ return('') }}
{% endmacro %}

{# Where the run came from, by the rules of dbt-product-kit's runOrigin (src/audit/origin.ts): the origin variables win over detection. #}
{% macro audit_run_origin() %}
  {%- set names = audit_origin_env() -%}
  {%- set github = env_var('GITHUB_ACTIONS', '') == 'true' -%}
  {%- set airflow = env_var('AIRFLOW_CTX_DAG_ID', '') != '' -%}
  {%- set run_id = env_var(names.run_id, '') or (env_var('GITHUB_RUN_ID', '') if github else (env_var('AIRFLOW_CTX_DAG_RUN_ID', '') if airflow else '')) -%}
  {%- if github -%}
    {%- set actor = env_var('GITHUB_ACTOR', '') -%}
  {%- elif airflow -%}
    {%- set actor = [env_var('AIRFLOW_CTX_DAG_ID', ''), env_var('AIRFLOW_CTX_TASK_ID', '')] | select | join('.') -%}
  {%- else -%}
    {%- set actor = env_var('USER', '') or env_var('LOGNAME', '') -%}
  {%- endif -%}
  {%- set url = env_var(names.url, '') -%}
  {%- if not url and github and env_var('GITHUB_REPOSITORY', '') and env_var('GITHUB_RUN_ID', '') -%}
    {%- set url = (env_var('GITHUB_SERVER_URL', '') or 'https://github.com') ~ '/' ~ env_var('GITHUB_REPOSITORY') ~ '/actions/runs/' ~ env_var('GITHUB_RUN_ID') -%}
  {%- endif -%}
  {{ return({
    'run_source': env_var(names.source, '') or ('github' if github else ('airflow' if airflow else 'local')),
    'run_id': run_id or none,
    'run_url': url or none,
    'git_sha': (env_var(names.git_sha, '') or (env_var('GITHUB_SHA', '') if github else '')) or none,
    'repository': (env_var('GITHUB_REPOSITORY', '') if github else '') or none,
    'git_ref': (env_var('GITHUB_REF_NAME', '') or env_var('GITHUB_REF', '') if github else '') or none,
    'actor': actor or none,
  }) }}
{% endmacro %}

{# Values shared by every node row of this invocation (the invocation row has the rest of the origin too). #}
{% macro audit_invocation_values(origin) %}
  {{ return({
    'invocation_id': invocation_id,
    'product_name': var('product_name', project_name),
    'target_name': target.name,
    'dbt_version': dbt_version,
    'run_source': origin.run_source,
    'run_url': origin.run_url,
    'git_sha': origin.git_sha,
    'model_execution_date': run_started_at.strftime('%Y-%m-%d'),
    'invocation_started_at': run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f'),
    'recorded_by': 'hook',
    'recorded_at': modules.datetime.datetime.now(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f'),
  }) }}
{% endmacro %}

{# One audit row for one entry of dbt's results, keyed by audit column name. #}
{% macro audit_result_values(result, invocation) %}
  {%- set node = result.node -%}
  {%- set timings = {} -%}
  {%- for timing in result.timing -%}
    {%- do timings.update({timing.name: timing}) -%}
  {%- endfor -%}
  {%- set started = (result.timing | first).started_at if result.timing else none -%}
  {%- set completed = (result.timing | last).completed_at if result.timing else none -%}
  {%- set rows_affected = (result.adapter_response or {}).get('rows_affected') -%}
  {#- Config meta over the node's own, as dbt-run merges them; both write JSON with sorted keys. -#}
  {%- set meta = {} -%}
  {%- do meta.update(node.meta or {}) -%}
  {%- do meta.update(node.config.meta or {}) -%}
  {%- set row = {
    'load_id': invocation.invocation_id ~ '.' ~ node.unique_id,
    'database_name': node.database,
    'schema_name': node.schema,
    'name': node.name,
    'resource_type': node.resource_type,
    'status': result.status,
    'execution_time': result.execution_time,
    'rows_affected': rows_affected if rows_affected is number else 0,
    'unique_id': node.unique_id,
    'package_name': node.package_name,
    'materialization': node.config.materialized,
    'relation_name': node.relation_name,
    'started_at': started.strftime('%Y-%m-%d %H:%M:%S.%f') if started else none,
    'completed_at': completed.strftime('%Y-%m-%d %H:%M:%S.%f') if completed else none,
    'compile_seconds': audit_timing_seconds(timings.get('compile')),
    'execute_seconds': audit_timing_seconds(timings.get('execute')),
    'message': result.message,
    'failures': result.failures,
    'thread_id': result.thread_id,
    'tags': tojson(node.tags or [], sort_keys=true),
    'meta': tojson(meta, sort_keys=true),
  } -%}
  {%- do row.update(invocation) -%}
  {{ return(row) }}
{% endmacro %}

{% macro audit_timing_seconds(timing) %}
  {%- if timing is none or timing.started_at is none or timing.completed_at is none -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return((timing.completed_at - timing.started_at).total_seconds()) }}
{% endmacro %}

{#
  Where the audit table is: the audit model's own database, schema and alias,
  so a custom generate_schema_name or alias moves the hook's writes too.
#}
{% macro audit_relation(table='log') %}
  {%- set model = audit_tables()[table].model -%}
  {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model) -%}
  {%- if node is none -%}
    {{ exceptions.raise_compiler_error('the audit model ' ~ model ~ ' is missing from ' ~ project_name ~ ' (models/audit/)') }}
  {%- endif -%}
  {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{# Creates an audit table (log or invocations) when missing; adds the columns a newer kit defines to an older one. #}
{% macro audit_ensure_table(relation, table='log') %}
  {%- set columns = audit_columns() if table == 'log' else audit_invocation_columns() -%}
  {%- set existing = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- if existing is none -%}
    {%- do adapter.create_schema(api.Relation.create(database=relation.database, schema=relation.schema)) -%}
    {%- set ddl -%}
      create table {{ relation }} (
      {%- for column in columns %}
        {{ column.name }} {{ audit_sql_type(column) }}{{ ',' if not loop.last }}
      {%- endfor %}
      ) {{ audit_table_options(table) }}
    {%- endset -%}
    {%- do audit_execute(ddl) -%}
  {%- else -%}
    {%- set present = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
    {%- for column in columns if column.name not in present -%}
      {%- do audit_execute('alter table ' ~ existing ~ ' add column ' ~ column.name ~ ' ' ~ audit_sql_type(column)) -%}
    {%- endfor -%}
  {%- endif -%}
{% endmacro %}

{#
  Runs one audit statement inside dbt's transaction, opening it when needed
  (run_query does not), so the hook's final commit always has one to commit.
#}
{% macro audit_execute(sql) %}
  {%- call statement('audit_record_results', fetch_result=false, auto_begin=true) -%}
    {{ sql }}
  {%- endcall -%}
{% endmacro %}
