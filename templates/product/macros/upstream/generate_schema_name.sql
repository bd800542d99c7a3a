{#
  Where dbt puts (and where ref() finds) each node. A parent product's models,
  installed as a package, live in the parent's own schema, not in this
  product's target schema: the var upstream_schemas names it per parent
  (DBT_UPSTREAM_<PARENT>_SCHEMA overrides it), and custom schemas append to it
  as dbt's default does (e.g. <parent schema>_raw). Every other node gets
  dbt's default.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- set upstream = var('upstream_schemas', {}) or {} -%}
  {%- if node is not none and node.package_name in upstream -%}
    {%- set base = env_var('DBT_UPSTREAM_' ~ (node.package_name | upper) ~ '_SCHEMA', upstream[node.package_name]) -%}
    {{ base ~ ('_' ~ (custom_schema_name | trim) if custom_schema_name else '') }}
  {%- else -%}
    {{ default__generate_schema_name(custom_schema_name, node) }}
  {%- endif -%}
{%- endmacro %}
