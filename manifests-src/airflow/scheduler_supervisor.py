"""`airflow scheduler`, restarted inside the same process when its loop dies (a database failover).

Airflow's scheduler loop exits on the first database error (and, seen after a failover, on ORM errors that
follow it). Exiting means a container restart with the kubelet's growing back-off and a fresh Python start
(tens of seconds under a CPU limit), and the tasks the dead scheduler had queued wait for another
scheduler's orphan check. Here the same `airflow scheduler` command runs again as soon as the database
answers, with the lost job marked failed so the new job adopts its tasks at once. More than MAX_RESTARTS
in WINDOW_SECONDS, or a database that stays away, still exits: then the kubelet restarts the pod.
"""
from __future__ import annotations

import logging
import sys
import time

from sqlalchemy import text, update
from sqlalchemy.exc import SQLAlchemyError

from airflow import settings
from airflow.__main__ import main
from airflow.cli.commands import scheduler_command
from airflow.jobs.job import Job
from airflow.utils import timezone
from airflow.utils.state import JobState

log = logging.getLogger("airflow.scheduler_supervisor")
MAX_RESTARTS, WINDOW_SECONDS = 5, 600
jobs: list[Job] = []


def _job() -> Job:
    """The scheduler command's Job, remembered so a lost one can be marked failed."""
    job = Job()
    jobs.append(job)
    return job


def _database_back(timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            settings.Session.remove()
            settings.engine.dispose()
            with settings.engine.begin() as conn:
                conn.execute(text("SELECT 1"))
                if jobs and jobs[-1].id is not None:
                    conn.execute(
                        update(Job)
                        .where(Job.id == jobs[-1].id, Job.state == JobState.RUNNING)
                        .values(state=JobState.FAILED, end_date=timezone.utcnow())
                    )
            return True
        except SQLAlchemyError:
            time.sleep(1)
    return False


def _run_surviving(args, run=scheduler_command._run_scheduler_job) -> None:
    restarts: list[float] = []
    while True:
        try:
            return run(args)
        except Exception as e:  # SystemExit (SIGTERM) and KeyboardInterrupt pass through
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < WINDOW_SECONDS] + [now]
            if len(restarts) > MAX_RESTARTS:
                raise
            log.warning("scheduler loop died (%s: %s); restarting the scheduler in this process", type(e).__name__, str(e).splitlines()[0][:200] if str(e) else "")
            if not _database_back(WINDOW_SECONDS):
                raise


scheduler_command.Job = _job
scheduler_command._run_scheduler_job = _run_surviving
sys.argv = ["airflow", "scheduler", *sys.argv[1:]]
main()
