"""Feeds a product's generated watcher module (<dags>/<product>_dag_watcher.py) a
run_results.json and writes what its build would publish, as JSON (to argv[4]):
each node task's result (node_results) and the XComs they go out in (results_by_xcom),
with the XCom each key's reader asks for (result_xcom). argv: dags folder, product,
a JSON file {run_results, tests_per_model, outlet_uris, node_tasks, build_passed}."""

import importlib
import json
import sys

dags, product, given_file, out_file = sys.argv[1:5]
sys.path.insert(0, dags)
watcher = importlib.import_module(f"{product}_dag_watcher")
with open(given_file) as given_json:
    given = json.load(given_json)
results = watcher.node_results(given["run_results"], given["tests_per_model"], given["outlet_uris"])
xcoms = watcher.result_xcoms(given["node_tasks"])
published = watcher.results_by_xcom(results, xcoms, given["build_passed"])
with open(out_file, "w") as out:
    json.dump(
        {
            "results": results,
            "xcoms": xcoms,
            "published": published,
            "read_from": {key: watcher.result_xcom(key, xcoms) for key in results},
        },
        out,
    )
