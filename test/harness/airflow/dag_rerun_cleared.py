"""Clears tasks of a finished DAG run and every task downstream of them, in that run only (what
the Airflow UI's Clear with "Downstream" does, and `airflow tasks clear --task-regex <task>
--downstream`), then runs the run on in-process the way dag.test() runs one (dag.test() itself
would delete the run and start a new one): the cleared tasks run, every other task keeps its
state. argv: dag id, run id, the task ids (comma-separated), output file. Writes as JSON the
run's state and id, every task's state and try number, the cleared tasks and the seconds it
took. Airflow 3."""

import json
import sys
import time

dag_id, run_id, task_ids, out_file = sys.argv[1:5]

from airflow.models.dagrun import DagRun  # noqa: E402
from airflow.sdk.definitions.dag import _run_task  # noqa: E402
from airflow.utils.cli import get_bagged_dag, get_db_dag  # noqa: E402
from airflow.utils.session import create_session  # noqa: E402
from airflow.utils.state import DagRunState, TaskInstanceState  # noqa: E402
from sqlalchemy import select  # noqa: E402

started = time.monotonic()
# The DAG file's tasks run; the stored DAG is the one the scheduler clears and schedules with.
dag = get_bagged_dag(None, dag_id)
stored = get_db_dag(None, dag_id)
downstream = stored.partial_subset(
    task_ids=task_ids.split(","), include_downstream=True, include_upstream=False
)
cleared = sorted(downstream.task_dict)
stored.clear(task_ids=cleared, run_id=run_id)  # the run goes back to queued, as from the UI

with create_session() as session:
    run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    run.dag = stored
    # What the scheduler does with a queued run it starts.
    run.state = DagRunState.RUNNING
    session.commit()
    # dag.test()'s loop (airflow.sdk.definitions.dag.DAG.test), on this run.
    while run.state == DagRunState.RUNNING:
        if time.monotonic() - started > 600:
            raise TimeoutError(f"{dag_id} {run_id} still running after 600 s")
        session.expire_all()
        schedulable, _ = run.update_state(session=session)
        for each in schedulable:
            if each.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                each.try_number += 1
            each.state = TaskInstanceState.SCHEDULED
        session.commit()
        scheduled = [
            each for each in run.get_task_instances(session=session) if each.state == TaskInstanceState.SCHEDULED
        ]
        if not scheduled:
            time.sleep(1)
        for each in scheduled:
            _run_task(ti=each, task=dag.task_dict[each.task_id], run_triggerer=True)
    tasks = {
        each.task_id: str(getattr(each.state, "value", each.state))
        for each in run.get_task_instances(session=session)
    }
    tries = {each.task_id: each.try_number for each in run.get_task_instances(session=session)}
    state = str(getattr(run.state, "value", run.state))
with open(out_file, "w") as out:
    report = {"state": state, "run_id": run_id, "tasks": tasks, "tries": tries, "cleared": cleared}
    json.dump({**report, "seconds": time.monotonic() - started}, out)
