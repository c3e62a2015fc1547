"""Synthetic workload for benchmarks and fault tests: `tasks` mapped tasks that each run `seconds`.
Trigger with conf, e.g. {"tasks": 25, "seconds": 0}; {"fail": true} makes each try fail after its sleep (the
metrics test needs failed tries)."""
from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

def _journal(event: str) -> None:
    """Appends start/end of each try to a journal when one is configured (the fault tests read it to prove
    no task ran twice at the same time). A no-op in real deployments."""
    path = os.environ.get("PLATFORM_WORKLOAD_JOURNAL")
    if not path:
        return
    ti = get_current_context()["ti"]
    line = json.dumps({"event": event, "run_id": ti.run_id, "map_index": ti.map_index, "try": ti.try_number, "pid": os.getpid(), "host": os.environ.get("HOSTNAME", ""), "t": time.time()})
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


DEFAULT_ARGS = {"owner": "platform", "retries": 3, "retry_delay": timedelta(seconds=5)}


@dag(
    dag_id="platform_workload",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    max_active_runs=64,
    params={"tasks": Param(25, type="integer", minimum=1, maximum=1024), "seconds": Param(0, type="number", minimum=0), "fail": Param(False, type="boolean")},
    tags=["benchmark", "platform"],
    doc_md=__doc__,
)
def platform_workload():
    @task
    def plan(params=None) -> list[int]:
        return list(range(int(params["tasks"])))

    @task(max_active_tis_per_dagrun=1024)
    def work(index: int, params=None) -> int:
        _journal("start")
        time.sleep(float(params["seconds"]))
        _journal("end")
        if params["fail"]:
            raise RuntimeError(f"task {index} fails on purpose (conf fail=true)")
        return index

    work.expand(index=plan())


platform_workload()
