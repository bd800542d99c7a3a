"""Clears tasks of a finished DAG run and every task downstream of them, in that run only (what
the Airflow UI's Clear with "Downstream" does, and `airflow tasks clear --task-regex <task>
--downstream`), then runs the run on in-process the way dag.test() runs one (dag.test() itself
would delete the run and start a new one): the cleared tasks run, every other task keeps its
state. argv: dag id, run id, the task ids (comma-separated), output file. Writes as JSON the
run's state and id, every task's state and try number, the cleared tasks and the seconds it
took. Airflow 3 and 2.10."""

import json
import sys
import time

dag_id, run_id, task_ids, out_file = sys.argv[1:5]

from airflow.models.dagrun import DagRun  # noqa: E402
from airflow.utils.session import create_session  # noqa: E402
from airflow.utils.state import DagRunState, TaskInstanceState  # noqa: E402
from sqlalchemy import select  # noqa: E402

try:
    from airflow.sdk.definitions.dag import _run_task as _run_task_3

    AIRFLOW_3 = True
except ImportError:
    AIRFLOW_3 = False


def dags():
    """The DAG file's DAG, whose tasks run, and the stored (serialised) DAG, the one the
    UI clears with and the scheduler schedules with."""
    if AIRFLOW_3:
        from airflow.utils.cli import get_bagged_dag, get_db_dag

        return get_bagged_dag(None, dag_id), get_db_dag(None, dag_id)
    # Airflow 2.10: `dags test` stores no serialised DAG; the DAG processor would.
    from airflow.models.dagbag import DagBag
    from airflow.models.serialized_dag import SerializedDagModel

    dag = DagBag(include_examples=False).dags[dag_id]
    SerializedDagModel.write_dag(dag)
    return dag, DagBag(read_dags_from_db=True).get_dag(dag_id)


def clear_downstream(stored, run, session) -> list[str]:
    """The tasks named and those downstream of them, cleared in this run only; the run goes
    back to queued, as from the UI."""
    named = task_ids.split(",")
    if AIRFLOW_3:
        subset = stored.partial_subset(task_ids=named, include_downstream=True, include_upstream=False)
        cleared = sorted(subset.task_dict)
        stored.clear(task_ids=cleared, run_id=run_id, session=session)
        return cleared
    # Airflow 2.10's UI (www/views.py Airflow.clear): the subset, cleared at the run's logical date.
    subset = stored.partial_subset(task_ids_or_regex=named, include_downstream=True, include_upstream=False)
    cleared = sorted(subset.task_dict)
    subset.clear(task_ids=cleared, start_date=run.execution_date, end_date=run.execution_date, session=session)
    return cleared


def run_task(ti, task, session) -> None:
    """One task, as dag.test() runs it (its `_run_task`)."""
    if AIRFLOW_3:
        _run_task_3(ti=ti, task=task, run_triggerer=True)
        return
    from airflow.models.dag import _run_task, _triggerer_is_healthy

    ti.task = task
    try:  # 2.10's dag.test() logs a failed task and goes on; its state is in the DB
        _run_task(ti=ti, inline_trigger=not _triggerer_is_healthy(), session=session)
    except Exception as error:
        print(f"Task failed; ti={ti}: {error!r}")


def find_run(session):
    return session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))


started = time.monotonic()
dag, stored = dags()
with create_session() as session:
    cleared = clear_downstream(stored, find_run(session), session)

with create_session() as session:
    run = find_run(session)
    run.dag = stored
    # What the scheduler does with a queued run it starts.
    run.state = DagRunState.RUNNING
    session.commit()
    # dag.test()'s loop (DAG.test: airflow.sdk.definitions.dag on 3, airflow.models.dag on 2.10), on this run.
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
            run_task(each, dag.task_dict[each.task_id], session)
    tasks = {
        each.task_id: str(getattr(each.state, "value", each.state))
        for each in run.get_task_instances(session=session)
    }
    tries = {each.task_id: each.try_number for each in run.get_task_instances(session=session)}
    state = str(getattr(run.state, "value", run.state))
with open(out_file, "w") as out:
    report = {"state": state, "run_id": run_id, "tasks": tasks, "tries": tries, "cleared": cleared}
    json.dump({**report, "seconds": time.monotonic() - started}, out)
