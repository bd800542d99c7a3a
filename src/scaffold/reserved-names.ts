/**
 * Words a product name must not be: it becomes a dbt project name, a schema
 * name and a Jinja identifier, so Python keywords, names dbt's Jinja context
 * already uses, and common SQL reserved words are all out.
 */
const PYTHON = `
and as assert async await break class continue def del elif else except false finally for from
global if import in is lambda none nonlocal not or pass raise return true try while with yield`;

const DBT_AND_JINJA = `
dbt adapter api builtins config context env_var exceptions execute flags graph invocation_id log
model modules project_name ref run_query run_started_at schema source statement target this var
test tests macro macros snapshot seed exposure metric audit information_schema pg_catalog`;

const SQL = `
all alter analyse analyze any array asc between both case cast check collate column constraint
create cross current_date current_time current_timestamp current_user default delete desc distinct
do drop end exists fetch foreign full grant group having inner insert intersect into join leading
left like limit natural null offset on only order outer primary references right select
session_user some table then to trailing union unique update user using values view when where
window`;

export const RESERVED_NAMES: ReadonlySet<string> = new Set(
  [PYTHON, DBT_AND_JINJA, SQL].join(' ').split(/\s+/).filter(Boolean),
);
