"""Deferrable waits only: every task sits in the triggerer, not in a worker slot. Used by the fault
tests that restart the triggerer. Trigger with conf {"waits": 5, "seconds": 20}."""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.sensors.time_delta import WaitSensor
from airflow.sdk import dag

DEFAULT_ARGS = {"owner": "platform", "retries": 2, "retry_delay": timedelta(seconds=5)}


@dag(
    dag_id="deferred_workload",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["benchmark", "platform"],
    doc_md=__doc__,
)
def deferred_workload():
    for i in range(3):
        WaitSensor(task_id=f"wait_{i}", time_to_wait=timedelta(seconds=20), deferrable=True)


deferred_workload()
