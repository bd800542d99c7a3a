"""An Airflow DAG file that loads every dag-factory YAML workflow next to it,
as MWAA Serverless reads the workflows (the tests copy it into a DAGs folder).
It names airflow and dag: the DagBag's safe mode skips files that do not."""

from pathlib import Path

from dagfactory import load_yaml_dags

load_yaml_dags(globals_dict=globals(), dags_folder=str(Path(__file__).parent))
