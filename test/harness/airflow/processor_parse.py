"""Parses a DAG folder (argv[1]) as Airflow's scheduler does, with one run of
`airflow dag-processor --num-runs 1`, and writes as JSON (to argv[2]) what Airflow
recorded: each DAG's parse duration (DagModel.last_parse_duration, the figure the
UI shows: the file's processor process from its start, forked after the manager
pre-imports the file's airflow.* modules, to its serialised DAGs) and the import
errors. Airflow 3 only."""

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

folder, out_file = sys.argv[1], sys.argv[2]
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = folder

started = datetime.now(timezone.utc)
processor = subprocess.run(
    [sys.executable, "-m", "airflow", "dag-processor", "--num-runs", "1"],
    capture_output=True,
    text=True,
)
if processor.returncode != 0:
    # No report file: the harness then shows this error with the helper's output.
    raise RuntimeError(
        f"airflow dag-processor failed ({processor.returncode}):\n{processor.stdout[-3000:]}\n{processor.stderr[-3000:]}"
    )

from airflow.models.dag import DagModel  # noqa: E402  (after DAGS_FOLDER is set)
from airflow.models.errors import ParseImportError  # noqa: E402
from airflow.utils.session import create_session  # noqa: E402

with create_session() as session:
    report = {
        "dags": {
            each.dag_id: {
                "parse_seconds": each.last_parse_duration,
                # A DAG this run did not parse keeps an older time: the caller checks it.
                "parsed_this_run": each.last_parsed_time is not None and each.last_parsed_time >= started,
            }
            for each in session.query(DagModel)
        },
        "import_errors": {each.filename: each.stacktrace for each in session.query(ParseImportError)},
    }
with open(out_file, "w") as out:
    json.dump(report, out)
