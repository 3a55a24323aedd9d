"""Runs the `ypa` binary with an environment built from Django's settings and streams its output.

Only translation happens here: DATABASES[YPA_DATABASE] becomes libpq's PG* variables, ypa's own
settings (CLICKHOUSE_*, PIPELINE_*, ...) pass through under their names, and ypa checks every value
itself. What this module checks is what only it reads: the DATABASES entry and YPA_BINARY.
"""
import os
import shutil
import signal
import subprocess
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# DATABASES keys -> libpq's variables (https://www.postgresql.org/docs/current/libpq-envars.html).
DATABASE_KEYS = (("NAME", "PGDATABASE"), ("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                 ("PASSWORD", "PGPASSWORD"))
# DATABASES OPTIONS that Django hands to libpq and that libpq also reads from the environment.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL", "connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME",
    "options": "PGOPTIONS", "passfile": "PGPASSFILE", "service": "PGSERVICE",
    "target_session_attrs": "PGTARGETSESSIONATTRS", "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
}
# Settings that pass through to ypa unchanged: the names ypa reads (docs/configuration.md).
PASSED_PREFIXES = ("CLICKHOUSE_", "PIPELINE_", "YPA_TABLE_")
PASSED_NAMES = ("FEATURE_WINDOWS_MIN", "OUTLIER_BAND", "BOLL_K", "BACKUP_KEEP")
# ypa's one-line error on stderr (docs/cli.md, exit codes).
ERROR_PREFIX = "ypa: error: "


class SettingsError(ImproperlyConfigured):
    """A Django setting that cannot be translated for ypa; the message is one line naming it."""


class YpaFailed(Exception):
    """ypa exited non-zero; `message` is its one-line answer and `returncode` its exit status."""

    def __init__(self, message, returncode):
        super().__init__(message, returncode)  # both in args: Celery's result backends pickle it
        self.message = message
        self.returncode = returncode

    def __str__(self):
        return self.message


def database_alias():
    return getattr(settings, "YPA_DATABASE", "default")


def _database_environment():
    alias = database_alias()
    databases = getattr(settings, "DATABASES", {})
    if alias not in databases:
        raise SettingsError(f"DATABASES[{alias!r}] is not set: ypa reads the price records from that database "
                            f"(YPA_DATABASE names another)")
    db = databases[alias]
    where = f"DATABASES[{alias!r}]"
    engine = db.get("ENGINE", "")
    if "postgres" not in engine and "postgis" not in engine:
        raise SettingsError(f"{where}['ENGINE'] {engine!r}: ypa reads PostgreSQL only")
    if not db.get("NAME"):
        raise SettingsError(f"{where}['NAME'] is not set: ypa needs the PostgreSQL database's name")
    env = {}
    for key, variable in DATABASE_KEYS:
        value = db.get(key)
        if value is None or value == "":
            continue  # as in Django's own connection, libpq then uses its environment and defaults
        value = str(value)
        if key == "PORT":
            # libpq takes one port per host, comma-separated, as Django's HOST/PORT may hold.
            ports = value.split(",")
            if not all(p.strip().isdigit() and 1 <= int(p) <= 65535 for p in ports):
                raise SettingsError(f"{where}['PORT'] {value!r}: not a port number (1-65535)")
        env[variable] = value
    for option, value in (db.get("OPTIONS") or {}).items():
        if option in LIBPQ_OPTIONS and value is not None:
            env[LIBPQ_OPTIONS[option]] = str(value)
    return env


def _setting_value(name, value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return ",".join(str(v) for v in value)  # FEATURE_WINDOWS_MIN = [120, 900, 1800]
    raise SettingsError(f"settings.{name}: a {type(value).__name__} is not a value ypa reads "
                        f"(a string, number, boolean or list of them)")


def ypa_environment(base=None):
    """The environment ypa runs with: `base` (the process's by default) with DATABASE_URL removed, libpq's
    variables from DATABASES and ypa's settings on top. Raises SettingsError naming a bad setting."""
    env = dict(os.environ if base is None else base)
    # ypa prefers DATABASE_URL to the PG* variables; in a Django project DATABASES is the source of truth.
    env.pop("DATABASE_URL", None)
    env.update(_database_environment())
    for name in dir(settings):
        if not name.isupper():
            continue
        if name.startswith(PASSED_PREFIXES) or name in PASSED_NAMES:
            value = getattr(settings, name)
            if value is not None:
                env[name] = _setting_value(name, value)
    return env


def ypa_binary():
    """YPA_BINARY, else `ypa` on PATH."""
    configured = getattr(settings, "YPA_BINARY", None)
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise SettingsError(f"YPA_BINARY {configured!r}: not an executable file")
        return configured
    found = shutil.which("ypa")
    if not found:
        raise SettingsError("YPA_BINARY is not set and there is no ypa on PATH: install ypa (docs/packaging.md) "
                            "or set YPA_BINARY to its path")
    return found


def prepare(args):
    """The argv and environment of one ypa call; raises SettingsError before anything is started."""
    return [ypa_binary()] + list(args), ypa_environment()


def run(argv, env, on_stdout, on_stderr):
    """Runs ypa, handing each line of its stdout and stderr (without the newline) to the callbacks as it
    arrives. Raises YpaFailed on a non-zero exit; ypa's `ypa: error: ...` line is then the message and is
    not handed to on_stderr (the caller shows it once, with the exit status)."""
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", bufsize=1)
    held = []  # ypa's error lines
    last_stdout = ""

    def pump_stderr():
        for line in proc.stderr:
            line = line.rstrip("\n")
            if line.startswith(ERROR_PREFIX):
                held.append(line)
            else:
                on_stderr(line)

    reader = threading.Thread(target=pump_stderr, daemon=True)
    reader.start()
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.strip():
                last_stdout = line
            on_stdout(line)
        code = proc.wait()
    except BaseException:
        # Interrupted (Ctrl-C, a worker shutting down): stop ypa too; a rerun repairs what it left.
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait()
        raise
    finally:
        reader.join()
        proc.stdout.close()
        proc.stderr.close()
    command = os.path.basename(argv[0]) + (" " + argv[1] if len(argv) > 1 else "")
    if code == 0:
        for line in held:
            on_stderr(line)
        return
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        raise YpaFailed(f"{command} was stopped by signal {name}", 128 - code)
    # The error line (exit 2); else the answer a "no" (exit 1) ends its output with, e.g. a dry run's.
    message = held[-1] if held else (last_stdout or f"{command} exited with status {code}")
    raise YpaFailed(message, code)
