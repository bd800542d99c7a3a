"""Loads a DAG folder into a DagBag and writes what it found as JSON (to argv[2]):
import errors, parse time, every DAG's tasks with their operator class, upstream
tasks, trigger rule and retries, and the steps Cosmos timed while rendering (loading the
dbt project, building the Airflow tasks). Airflow logs to stdout, hence the file."""

import inspect
import json
import logging
import re
import sys
import time

try:  # Airflow 3.1+
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

folder, out_file = sys.argv[1], sys.argv[2]
# What Airflow does for the DAGs folder (2.x) and a DAG bundle (3.x), so a DAG imports the
# modules beside it: first, as this folder may not be the configured one.
sys.path.insert(0, folder)

# Cosmos logs its own timings per task group ("Cosmos performance (<dag>__<group>) - [...]:
# It took 1.23s to parse the dbt project for DAG using LoadMode.DBT_LS" / "... to build the
# Airflow DAG."): loading the project is the one step that differs between load modes.
COSMOS_STEP = re.compile(r"Cosmos performance \((?P<group>[^)]+)\).*?It took (?P<seconds>[0-9.e+-]+)s to (?P<step>parse the dbt project|build the Airflow DAG)")
cosmos_steps = []


class CosmosTimings(logging.Handler):
    def emit(self, record):
        found = COSMOS_STEP.search(record.getMessage())
        if found:
            cosmos_steps.append(
                {
                    "group": found["group"],
                    "step": "load" if found["step"].startswith("parse") else "build",
                    "seconds": float(found["seconds"]),
                }
            )


logging.getLogger("cosmos").addHandler(CosmosTimings())
# Airflow 3.1+ has no include_examples (AIRFLOW__CORE__LOAD_EXAMPLES decides).
examples = {"include_examples": False} if "include_examples" in inspect.signature(DagBag).parameters else {}
started = time.perf_counter()
bag = DagBag(dag_folder=folder, **examples)
parse_seconds = time.perf_counter() - started

report = {
    "parse_seconds": parse_seconds,
    "import_errors": {path: str(error) for path, error in bag.import_errors.items()},
    "cosmos_steps": cosmos_steps,
    "dags": {
        dag_id: {
            "catchup": dag.catchup,
            "tags": sorted(dag.tags),
            "tasks": {
                each.task_id: {
                    "operator": f"{type(each).__module__}.{type(each).__name__}",
                    # The library class it is, or extends (the generated DAG lightens Cosmos's watcher tasks).
                    "library_operator": next(
                        f"{cls.__module__}.{cls.__name__}"
                        for cls in type(each).__mro__
                        if cls.__module__.startswith(("cosmos.", "airflow."))
                    ),
                    "upstream": sorted(each.upstream_task_ids),
                    "trigger_rule": str(getattr(each.trigger_rule, "value", each.trigger_rule)),
                    "retries": each.retries,
                    "retry_delay_seconds": each.retry_delay.total_seconds(),
                }
                for each in dag.tasks
            },
        }
        for dag_id, dag in bag.dags.items()
    },
}
with open(out_file, "w") as out:
    json.dump(report, out)
