{#-
  SQL building blocks of the audit log, dispatched per adapter:
  `default__` serves DuckDB and Postgres, `redshift__` serves Redshift.
-#}

{# The SQL type of an audit column (see audit_columns: each column carries its types). #}
{% macro audit_sql_type(column) %}
  {{ return(adapter.dispatch('audit_sql_type')(column)) }}
{% endmacro %}

{% macro default__audit_sql_type(column) %}
  {{ return(column.sql_types.default) }}
{% endmacro %}

{% macro redshift__audit_sql_type(column) %}
  {{ return(column.sql_types.redshift) }}
{% endmacro %}

{#
  A SQL literal for one value of an audit column. Every value that reaches
  the audit SQL goes through here: numbers are written only when they are
  numbers, text is fitted to the column's byte limit and quoted.
#}
{% macro audit_literal(value, column) %}
  {{ return(adapter.dispatch('audit_literal')(value, column)) }}
{% endmacro %}

{% macro default__audit_literal(value, column) %}
  {#- Postgres (standard_conforming_strings on) and DuckDB read backslash literally: double quotes only. -#}
  {{ return(audit_quote(value, column, escape_backslash=false)) }}
{% endmacro %}

{% macro redshift__audit_literal(value, column) %}
  {#- Redshift reads backslash as an escape inside '...': double it too, as QUOTE_LITERAL does. -#}
  {{ return(audit_quote(value, column, escape_backslash=true)) }}
{% endmacro %}

{% macro audit_quote(value, column, escape_backslash) %}
  {%- if value is none or value is undefined -%}
    {{ return('null') }}
  {%- endif -%}
  {%- if column.type in ('bigint', 'float') -%}
    {%- if value is number and (value | string | lower) not in ('nan', 'inf', '-inf') -%}
      {%- if column.type == 'bigint' -%}
        {{ return(value | int | string) }}
      {%- endif -%}
      {#- Python's repr round-trips; a bare literal would be read as DECIMAL first by DuckDB and lose the last digit. -#}
      {{ return("cast('" ~ value ~ "' as " ~ audit_sql_type(column) ~ ")") }}
    {%- endif -%}
    {{ return('null') }}
  {%- endif -%}
  {%- set text = value | string -%}
  {%- if column.max_bytes is not none -%}
    {%- set text = audit_fit_text(text, column.max_bytes) -%}
  {%- endif -%}
  {%- if escape_backslash -%}
    {%- set text = text.replace('\\', '\\\\') -%}
  {%- endif -%}
  {%- set quoted = "'" ~ text.replace("'", "''") ~ "'" -%}
  {%- if column.type in ('timestamp', 'date') -%}
    {{ return('cast(' ~ quoted ~ ' as ' ~ column.type ~ ')') }}
  {%- endif -%}
  {{ return(quoted) }}
{% endmacro %}

{#
  Fits text into max_bytes of UTF-8, ending it with a visible marker when it
  had to cut, never splitting a character. NUL is dropped: no warehouse we
  write to stores it in text. Mirrors fitText() in dbt-product-kit.
#}
{% macro audit_fit_text(text, max_bytes) %}
  {%- set text = text.replace('\x00', '') -%}
  {%- set encoded = text.encode('utf-8') -%}
  {%- if encoded | length <= max_bytes -%}
    {{ return(text) }}
  {%- endif -%}
  {%- set marker = audit_truncation_marker(encoded | length) -%}
  {#- A limit smaller than the marker: cut without it (as fitText does), never past the limit. -#}
  {%- if (marker | length) > max_bytes -%}
    {{ return(encoded[:max_bytes].decode('utf-8', 'ignore')) }}
  {%- endif -%}
  {{ return(encoded[:max_bytes - (marker | length)].decode('utf-8', 'ignore') ~ marker) }}
{% endmacro %}

{# Table options of an audit table (log or invocations): Redshift distribution and sort keys, nothing elsewhere. #}
{% macro audit_table_options(table='log') %}
  {{ return(adapter.dispatch('audit_table_options')(table)) }}
{% endmacro %}

{% macro default__audit_table_options(table) %}
  {{ return('') }}
{% endmacro %}

{% macro redshift__audit_table_options(table) %}
  {{ return(audit_tables()[table].redshift_options) }}
{% endmacro %}
