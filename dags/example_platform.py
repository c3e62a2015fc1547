"""Example pipeline that exercises the whole platform: XCom between Celery tasks, a deferrable wait
(handled by the triggerer, not a worker slot) and dynamic task mapping."""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.sensors.time_delta import WaitSensor
from airflow.sdk import dag, task

DEFAULT_ARGS = {"owner": "platform", "retries": 2, "retry_delay": timedelta(seconds=10)}


@dag(
    dag_id="example_platform",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["example", "platform"],
    doc_md=__doc__,
)
def example_platform():
    @task
    def extract() -> list[int]:
        # Returned values travel to the next tasks through XCom in the metadata DB.
        return [3, 1, 4, 1, 5]

    @task
    def square(value: int) -> int:
        return value * value

    @task
    def total(values: list[int]) -> int:
        result = sum(values)
        if result != 52:
            raise ValueError(f"expected 52, got {result}")
        return result

    wait = WaitSensor(task_id="wait_deferred", time_to_wait=timedelta(seconds=5), deferrable=True)
    squares = square.expand(value=extract())
    wait >> squares
    total(squares)


example_platform()
