{#
  Drops the schemas a pull request's CI build made (.github/workflows/pr-cleanup.yml runs it
  when the PR closes): dbt run-operation drop_pr_schemas --args '{pr_number: 7}', with
  DBT_SCHEMA=pr_7_<product>, the schema that PR built in. The schemas are this project's
  own nodes' (its custom schemas append to the PR schema, e.g. pr_7_<product>_audit), read
  from the graph, never a name pattern: another product's PR schemas (pr_7_<product>_v2's)
  and the parents' schemas stay. It refuses to run with any other target schema.
#}
{% macro drop_pr_schemas(pr_number) -%}
  {%- set base = 'pr_' ~ pr_number ~ '_' ~ project_name -%}
  {%- if target.schema != base -%}
    {{ exceptions.raise_compiler_error("drop_pr_schemas(" ~ pr_number ~ ") drops " ~ base ~ "'s schemas only: run it with DBT_SCHEMA=" ~ base ~ " (the target schema is " ~ target.schema ~ ")") }}
  {%- endif -%}
  {%- set wanted = [] -%}
  {%- for node in graph.nodes.values() -%}
    {%- if node.package_name == project_name and (node.schema == base or node.schema.startswith(base ~ '_')) and node.schema not in wanted -%}
      {%- do wanted.append(node.schema) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if base not in wanted -%}
    {%- do wanted.append(base) -%}
  {%- endif -%}
  {%- for schema in wanted | sort -%}
    {%- if adapter.check_schema_exists(target.database, schema) -%}
      {%- do adapter.drop_schema(api.Relation.create(database=target.database, schema=schema)) -%}
      {{ log('dropped schema ' ~ schema, info=true) }}
    {%- else -%}
      {{ log('no schema ' ~ schema ~ ' to drop', info=true) }}
    {%- endif -%}
  {%- endfor -%}
{%- endmacro %}
