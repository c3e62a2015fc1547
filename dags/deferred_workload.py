"""Deferrable waits only: every task sits in the triggerer, not in a worker slot. Used by the fault
tests that restart the triggerer and the secret-rotation test. Trigger with conf {"seconds": 20}: how long
each of the three waits, from its start."""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.sensors.time_delta import WaitSensor
from airflow.sdk import Param, dag

DEFAULT_ARGS = {"owner": "platform", "retries": 2, "retry_delay": timedelta(seconds=5)}


@dag(
    dag_id="deferred_workload",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    params={"seconds": Param(20, type="number", minimum=0)},
    # The wait is a timedelta rendered from the run's conf (a plain string would be read as minutes).
    render_template_as_native_obj=True,
    tags=["benchmark", "platform"],
    doc_md=__doc__,
)
def deferred_workload():
    for i in range(3):
        WaitSensor(task_id=f"wait_{i}", time_to_wait="{{ macros.timedelta(seconds=params.seconds) }}", deferrable=True)


deferred_workload()
