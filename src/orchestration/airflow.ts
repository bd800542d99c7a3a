/**
 * What the generated Airflow files pin. MWAA's image fixes Airflow and
 * Python (its requirements.txt must start with their constraints line);
 * Cosmos is the kit's to pin: the version the orchestration tests run
 * (test/requirements/airflow.txt, checked by a test).
 */
export const MWAA_AIRFLOW_VERSION = '3.0.6';
export const MWAA_PYTHON_VERSION = '3.12';
export const COSMOS_VERSION = '1.15.1';

/** Apache Airflow's constraints file for one Airflow and Python version. */
export function airflowConstraintsUrl(airflow: string, python: string): string {
  return `https://raw.githubusercontent.com/apache/airflow/constraints-${airflow}/constraints-${python}.txt`;
}
