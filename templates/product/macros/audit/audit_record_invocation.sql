{#-
  The invocation row (dbt_audit_invocations) of a run the hook records: the
  row dbt-run writes after dbt exits (src/audit/rows.ts, invocationRow), from
  what dbt knows at on-run-end. A run under an orchestrator that starts dbt
  itself (Cosmos on MWAA) is then one row, with the orchestrator's run id and
  link, like a dbt-run run. What only the process around dbt knows is left
  null: dbt's exit code is the one the results give (1 when a node failed,
  as dbt exits), and git_dirty is unknown.
-#}
{% macro audit_record_invocation(results, invocation, origin) %}
  {#- A product made before the invocation model existed still records its nodes (upgrade adds the model). -#}
  {%- if graph.nodes.get('model.' ~ project_name ~ '.' ~ audit_tables().invocations.model) is none -%}
    {%- do log('audit: no invocation row (no ' ~ audit_tables().invocations.model ~ ' model: create-dbt-product upgrade adds it)', info=true) -%}
    {{ return('') }}
  {%- endif -%}
  {%- set relation = audit_relation('invocations') -%}
  {%- do audit_ensure_table(relation, 'invocations') -%}
  {#- Counted as dbt-run counts them (countStatuses): the on-run-start/end hooks are not nodes. -#}
  {%- set rules = audit_status_counts() -%}
  {%- set counts = {'other': 0} -%}
  {%- for status in rules.counted -%}
    {%- do counts.update({status: 0}) -%}
  {%- endfor -%}
  {%- set failed = namespace(any=false) -%}
  {%- for result in results if result.node.resource_type != 'operation' -%}
    {%- set status = result.status | string -%}
    {%- set key = rules.counted_as.get(status, status) -%}
    {%- set key = key if key in rules.counted else 'other' -%}
    {%- do counts.update({key: counts[key] + 1}) -%}
    {%- if status in audit_failed_statuses() -%}
      {%- set failed.any = true -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set now = modules.datetime.datetime.now(modules.pytz.utc) -%}
  {%- set started = run_started_at.astimezone(modules.pytz.utc) -%}
  {%- set row = {
    'invocation_id': invocation.invocation_id,
    'product_name': invocation.product_name,
    'target_name': invocation.target_name,
    'command': flags.WHICH,
    'selection': audit_selection() or none,
    'dbt_version': invocation.dbt_version,
    'status': 'failed' if failed.any else 'success',
    'exit_code': 1 if failed.any else 0,
    'started_at': started.strftime('%Y-%m-%d %H:%M:%S.%f'),
    'completed_at': now.strftime('%Y-%m-%d %H:%M:%S.%f'),
    'elapsed_seconds': (now - started).total_seconds(),
    'nodes_total': counts.values() | sum,
    'nodes_success': counts['success'],
    'nodes_error': counts['error'],
    'nodes_skipped': counts['skipped'],
    'nodes_pass': counts['pass'],
    'nodes_fail': counts['fail'],
    'nodes_warn': counts['warn'],
    'nodes_other': counts['other'],
    'error_message': none,
    'run_source': origin.run_source,
    'run_id': origin.run_id,
    'run_url': origin.run_url,
    'repository': origin.repository,
    'git_sha': origin.git_sha,
    'git_dirty': none,
    'git_ref': origin.git_ref,
    'actor': origin.actor,
    'recorded_at': invocation.recorded_at,
  } -%}
  {%- set literals = [] -%}
  {%- for column in audit_invocation_columns() -%}
    {%- if column.name not in row -%}
      {{ exceptions.raise_compiler_error('invocation column ' ~ column.name ~ ' has no value in audit_record_invocation') }}
    {%- endif -%}
    {%- do literals.append(audit_literal(row[column.name], column)) -%}
  {%- endfor -%}
  {%- do audit_execute('insert into ' ~ relation ~ ' (' ~ audit_invocation_columns() | map(attribute='name') | join(', ') ~ ')\nvalues (' ~ literals | join(', ') ~ ')') -%}
{% endmacro %}

{# The selection as dbt-run's invocation row writes it (describeSelection): --select ... --exclude ... --selector ... #}
{% macro audit_selection() %}
  {%- set parts = [] -%}
  {%- for flag in ['select', 'exclude'] -%}
    {%- set value = invocation_args_dict.get(flag) -%}
    {%- if value -%}
      {%- do parts.append('--' ~ flag ~ ' ' ~ ([value] if value is string else value) | join(' ')) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if invocation_args_dict.get('selector') -%}
    {%- do parts.append('--selector ' ~ invocation_args_dict.get('selector')) -%}
  {%- endif -%}
  {{ return(parts | join(' ')) }}
{% endmacro %}
