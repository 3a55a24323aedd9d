"""The Celery task of the design document's live mode: one incremental cycle of a run (default `live`),
`ypa run_pipeline --run-id live --mode incremental`, scheduled by Celery beat every 15 minutes.

Two beats may overlap (a slow cycle, a worker that caught up late). A cycle first takes the PostgreSQL
advisory lock pg_try_advisory_lock(hashtext('ypa.incremental_pipeline:<run id>')) on a connection of its
own to the Django database; a second cycle that finds the lock taken skips, logs it and returns
{"status": "skipped", ...} without starting ypa. The lock goes with that connection, so a worker that dies
mid-cycle frees it.
"""
from celery import shared_task
from celery.utils.log import get_task_logger
from django.db import connections

from ypa_django import runner

logger = get_task_logger(__name__)
LOCK_PREFIX = "ypa.incremental_pipeline:"


def _lock_connection():
    """A new psycopg2 connection with Django's own parameters for the database ypa reads."""
    wrapper = connections[runner.database_alias()]
    conn = wrapper.get_new_connection(wrapper.get_connection_params())
    conn.autocommit = True  # a session lock, without a transaction left open for the whole cycle
    return conn


@shared_task(queue="pipeline")
def incremental_pipeline(run_id="live", since=None, to=None, device=None):
    """One incremental cycle of `run_id`; the arguments are `ypa run_pipeline`'s --since, --to, --device
    (unset: ypa's defaults, 2h up to the latest closed bucket on PIPELINE_DEVICE)."""
    args = ["run_pipeline", "--run-id", run_id, "--mode", "incremental"]
    for flag, value in (("--since", since), ("--to", to), ("--device", device)):
        if value is not None:
            args.append(f"{flag}={value}")
    argv, env = runner.prepare(args)  # bad settings fail here, before the lock and before ypa
    key = LOCK_PREFIX + run_id
    conn = _lock_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
            if not cur.fetchone()[0]:
                reason = f"another incremental_pipeline of run {run_id!r} is running (advisory lock {key!r} is held)"
                logger.warning("incremental_pipeline skipped: %s", reason)
                return {"status": "skipped", "run_id": run_id, "reason": reason}
        logger.info("incremental_pipeline of run %r: %s", run_id, " ".join(args))
        try:
            runner.run(argv, env, logger.info, logger.info)
        except runner.YpaFailed as e:
            logger.error("incremental_pipeline of run %r failed (exit %d): %s", run_id, e.returncode, e.message)
            raise
        return {"status": "done", "run_id": run_id}
    finally:
        conn.close()  # ends the session, which releases its advisory lock
