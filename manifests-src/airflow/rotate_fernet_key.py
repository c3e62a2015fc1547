"""Re-encrypts every connection, variable and trigger with the first Fernet key: ``airflow rotate-fernet-key``,
less one failure of Airflow 3.3.

The Execution API stores the kwargs of a trigger that a worker deferred as plain JSON (workers hold no Fernet
key, and the API encrypts only what the client already encrypted). Airflow's own command calls Fernet's
``rotate`` on those rows, which raises ``InvalidToken``; the command runs in one transaction, so while any task
is deferred it rotates nothing. Here such rows are left as they are (there is nothing to re-encrypt) and the rest
is Airflow's own command.

Run it where the database and both keys are, a scheduler pod (docs/runbook.md, "Rotate secrets")::

    kubectl -n airflow exec -i deploy/airflow-scheduler -- python - < manifests-src/airflow/rotate_fernet_key.py
"""
from __future__ import annotations

import sys

from airflow.models.trigger import Trigger

_rotate = Trigger.rotate_fernet_key


def _rotate_encrypted_only(self: Trigger) -> None:
    if self.encrypted_kwargs.startswith("{"):
        return
    _rotate(self)


Trigger.rotate_fernet_key = _rotate_encrypted_only

if __name__ == "__main__":
    from airflow.__main__ import main

    sys.argv = ["airflow", "rotate-fernet-key"]
    main()
    print("rotate-fernet-key: connections, variables and encrypted triggers re-encrypted with the first key")
