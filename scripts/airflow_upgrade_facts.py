"""What the installed Airflow knows that an upgrade check needs (used by scripts/upgrade-check.ts).

Reads a JSON list of AIRFLOW__SECTION__OPTION keys on stdin and prints JSON: this Airflow's version, the
migration head of every release (Airflow's own map), its migration files with the release each belongs to,
and which of the keys this version no longer knows or has renamed.
"""
import json
import os
import re
import sys

from airflow import __version__
from airflow.configuration import conf
from airflow.utils import db
import airflow.migrations.versions as versions

keys = json.load(sys.stdin)
known = conf.configuration_description
out = {"version": __version__, "heads": dict(db._REVISION_HEADS_MAP), "migrations": [], "unknown": [], "renamed": []}
for name in sorted(os.listdir(os.path.dirname(versions.__file__))):
    m = re.match(r"^(\d{4})_(\d+)_(\d+)_(\d+)_(.*)\.py$", name)
    if m:
        out["migrations"].append({"file": name, "version": f"{int(m[2])}.{int(m[3])}.{int(m[4])}"})
for key in keys:
    parts = key.split("__")
    if len(parts) < 3 or parts[0] != "AIRFLOW":
        continue
    section, option = parts[1].lower(), "__".join(parts[2:]).lower()
    options = known.get(section, {}).get("options", {})
    # AIRFLOW__X__Y_CMD / _SECRET name option y.
    for suffix in ("_cmd", "_secret"):
        if option.endswith(suffix) and option[: -len(suffix)] in options:
            option = option[: -len(suffix)]
    if (section, option) in conf.inversed_deprecated_options:
        new_section, new_option = conf.inversed_deprecated_options[(section, option)]
        out["renamed"].append({"key": key, "use": f"AIRFLOW__{new_section.upper()}__{new_option.upper()}"})
    elif option not in options:
        out["unknown"].append(key)
print(json.dumps(out))
