"""Loads a DAG folder into a DagBag and writes what it found as JSON (to argv[2]):
import errors, parse time, and every DAG's tasks with their operator class,
upstream tasks and trigger rule. Airflow logs to stdout, hence the file."""

import inspect
import json
import sys
import time

try:  # Airflow 3.1+
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

folder, out_file = sys.argv[1], sys.argv[2]
# Airflow 3.1+ has no include_examples (AIRFLOW__CORE__LOAD_EXAMPLES decides).
examples = {"include_examples": False} if "include_examples" in inspect.signature(DagBag).parameters else {}
started = time.perf_counter()
bag = DagBag(dag_folder=folder, **examples)
parse_seconds = time.perf_counter() - started

report = {
    "parse_seconds": parse_seconds,
    "import_errors": {path: str(error) for path, error in bag.import_errors.items()},
    "dags": {
        dag_id: {
            "catchup": dag.catchup,
            "tags": sorted(dag.tags),
            "tasks": {
                each.task_id: {
                    "operator": f"{type(each).__module__}.{type(each).__name__}",
                    "upstream": sorted(each.upstream_task_ids),
                    "trigger_rule": str(getattr(each.trigger_rule, "value", each.trigger_rule)),
                }
                for each in dag.tasks
            },
        }
        for dag_id, dag in bag.dags.items()
    },
}
with open(out_file, "w") as out:
    json.dump(report, out)
