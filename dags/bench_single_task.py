"""One no-op task: the benchmark's idle-stack latency probe (trigger -> success)."""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="bench_single_task",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "platform", "retries": 1, "retry_delay": timedelta(seconds=5)},
    tags=["benchmark", "platform"],
)
def bench_single_task():
    @task
    def noop() -> None:
        return None

    noop()


bench_single_task()
