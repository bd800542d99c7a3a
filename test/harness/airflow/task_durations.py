"""Writes, as JSON (to argv[3]), where one DAG run's time went, from the metadata DB
of the configured AIRFLOW_HOME: the run's start and end (argv[1]: the DAG id, argv[2]:
the run id) and each task instance's operator, state, start, end and duration in
seconds. The benchmarks read it after `dag_test_run.py` (bench/dag-run.bench.ts)."""

import json
import sys

from airflow.models.dagrun import DagRun
from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import create_session

dag_id, run_id, out_file = sys.argv[1], sys.argv[2], sys.argv[3]


def _time(moment):
    return moment.isoformat() if moment is not None else None


with create_session() as session:
    run = session.query(DagRun).filter(DagRun.dag_id == dag_id, DagRun.run_id == run_id).one()
    instances = (
        session.query(TaskInstance)
        .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
        .all()
    )
    report = {
        "start_date": _time(run.start_date),
        "end_date": _time(run.end_date),
        "tasks": {
            each.task_id: {
                "operator": each.operator,
                "state": str(getattr(each.state, "value", each.state)),
                "start_date": _time(each.start_date),
                "end_date": _time(each.end_date),
                "duration": each.duration,
            }
            for each in instances
        },
    }
with open(out_file, "w") as out:
    json.dump(report, out)
