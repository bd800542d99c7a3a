"""Runs one DAG in-process (dag.test()) from the configured DAGs folder and
writes the run's state and every task's state as JSON (to argv[2])."""

import json
import sys

dag_id, out_file = sys.argv[1], sys.argv[2]
try:  # Airflow 3: the DAG is serialised into the metadata DB before it can run
    from airflow.utils.cli import get_bagged_dag

    dag = get_bagged_dag(None, dag_id)
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

    dag = DagBag().dags[dag_id]
run = dag.test()

from airflow.models.taskinstance import TaskInstance  # noqa: E402
from airflow.utils.session import create_session  # noqa: E402

with create_session() as session:
    instances = (
        session.query(TaskInstance)
        .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run.run_id)
        .all()
    )
    tasks = {each.task_id: str(getattr(each.state, "value", each.state)) for each in instances}
with open(out_file, "w") as out:
    json.dump({"state": str(getattr(run.state, "value", run.state)), "run_id": run.run_id, "tasks": tasks}, out)
