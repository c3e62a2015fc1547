"""DAG integrity check: every DAG file imports without errors, within a time budget, and follows the rules
in README ("DAG rules"). Prints one JSON report; exit 1 when any file or DAG breaks a rule.

Usage: python local/dag_integrity.py DAG_FOLDER [--budget-seconds 2.0] [--max-files 400] [--max-mb 20]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--budget-seconds", type=float, default=2.0)
    # Every scheduler, dag-processor and worker checks out the whole folder: keep it small.
    parser.add_argument("--max-files", type=int, default=400)
    parser.add_argument("--max-mb", type=float, default=20.0)
    args = parser.parse_args()

    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
    from airflow.dag_processing.dagbag import DagBag  # noqa: PLC0415 (after env is set)

    report: dict = {"files": [], "problems": []}
    everything = [p for p in Path(args.folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    megabytes = sum(p.stat().st_size for p in everything) / 1e6
    if len(everything) > args.max_files or megabytes > args.max_mb:
        report["problems"].append(
            f"DAG folder too large: {len(everything)} files, {megabytes:.1f} MB (budget {args.max_files} files, {args.max_mb:.0f} MB);"
            " keep data and libraries out of the DAG repository (S3, the image, or a package)"
        )
    for path in sorted(Path(args.folder).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        started = time.perf_counter()
        bag = DagBag(dag_folder=str(path), safe_mode=False)
        seconds = time.perf_counter() - started
        entry = {"file": str(path), "seconds": round(seconds, 3), "dags": sorted(bag.dag_ids)}
        report["files"].append(entry)
        for file, err in bag.import_errors.items():
            first = str(err).strip().splitlines()[-1] if str(err).strip() else "unknown error"
            report["problems"].append(f"{path.name}: import error: {first}")
        if seconds > args.budget_seconds:
            report["problems"].append(f"{path.name}: import took {seconds:.2f} s, over the {args.budget_seconds:.1f} s budget (move work out of top-level code)")
        for dag_id, dag in bag.dags.items():
            if not dag.tags:
                report["problems"].append(f"{path.name}: DAG {dag_id}: no tags (add tags=[...])")
            for t in dag.tasks:
                if t.owner in (None, "", "airflow"):
                    report["problems"].append(f"{path.name}: DAG {dag_id} task {t.task_id}: owner not set (default_args owner)")
                if (t.retries or 0) < 1:
                    report["problems"].append(f"{path.name}: DAG {dag_id} task {t.task_id}: retries must be >= 1 (tasks must survive a worker restart)")
    # One marked line: Airflow logs to stdout too.
    print("DAG_INTEGRITY_REPORT " + json.dumps(report))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
