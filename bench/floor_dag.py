"""The floor of bench/dag-run.bench.ts: the generated DAG's shape with every task an
EmptyOperator, so a run of it costs only what Airflow spends per task.

The benchmark writes the real DAG's task graph (every task id, its upstream task ids
and its trigger rule, as test/harness/airflow/dagbag_report.py read them from the
generated DAG's DagBag) to floor_graph.json next to this file; this file recreates
each task under the same id, trigger rule and edges. Ids keep their group prefix
("transform.m_1_run"): Airflow allows dots in task ids, and no TaskGroup is needed
for what a task costs to run."""

import json
from datetime import datetime, timezone
from pathlib import Path

from airflow.providers.standard.operators.empty import EmptyOperator

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG

graph = json.loads((Path(__file__).parent / "floor_graph.json").read_text())

with DAG(
    dag_id=graph["dag_id"],
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    tasks = {
        task_id: EmptyOperator(task_id=task_id, trigger_rule=each["trigger_rule"])
        for task_id, each in graph["tasks"].items()
    }
    for task_id, each in graph["tasks"].items():
        for upstream in each["upstream"]:
            tasks[upstream] >> tasks[task_id]
