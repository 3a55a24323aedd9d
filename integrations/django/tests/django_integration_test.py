#!/usr/bin/env python3
"""ypa_django in a real Django project (Debian's python3-django and python3-celery) against the stack in the
environment (eval "$(ypa stack env)"; CTest label integration):

- the package is installed with pip into a folder of its own and added to a project made by
  `django-admin startproject`, whose settings.py holds the connection settings (DATABASES, CLICKHOUSE_*);
- manage.py runs with decoy PG*, CLICKHOUSE_* and DATABASE_URL in its environment, so a command that
  took anything from there instead of from the settings would read or write the wrong databases;
- YPA_BINARY is a wrapper that logs each start of ypa, so the tests see whether ypa ran at all;
- rows are compared with clickhouse-client, and runs with the ones that plain `ypa` writes.

Usage: eval "$(ypa stack env)"; /usr/bin/python3 integrations/django/tests/django_integration_test.py --ypa build/ypa
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"
YPA = None  # --ypa
DAY = "2025-01-02"
# Decoys for the variables that the settings must set: nothing answers on port 1.
DECOYS = {"PGHOST": "127.0.0.1", "PGPORT": "1", "PGDATABASE": "decoy_db", "PGUSER": "decoy_user",
          "DATABASE_URL": "postgresql://decoy_user@127.0.0.1:1/decoy_db", "CLICKHOUSE_HOST": "127.0.0.1",
          "CLICKHOUSE_PORT": "1", "CLICKHOUSE_DB": "decoy_db", "CLICKHOUSE_USER": "decoy_user",
          "PGCONNECT_TIMEOUT": "3"}


def run(argv, env, check=True, cwd=None, timeout=600):
    r = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


class DjangoProject(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if "CLICKHOUSE_PORT" not in os.environ or "PGPORT" not in os.environ:
            raise RuntimeError('CLICKHOUSE_PORT or PGPORT is not set: run eval "$(ypa stack env)" first')
        cls.name = "ypa_django_" + uuid.uuid4().hex[:10]
        cls.tmp = tempfile.mkdtemp(prefix="ypa-django-test-")
        cls.stack_env = dict(os.environ, PGDATABASE=cls.name, CLICKHOUSE_DB=cls.name)
        cls.stack_env.pop("DATABASE_URL", None)
        # Both sides on the CPU: the GPU backend agrees with it to 1e-9, and the rows are compared exactly.
        cls.stack_env["PIPELINE_DEVICE"] = "cpu"
        run(["psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE " + cls.name], cls.stack_env)
        cls.ypa("init", "--source-schema")
        cls.ypa("init")
        cls.ypa("datagen", "--shops", "5", "--iphones", "6", "--from", "2025-01-01", "--to", DAY, "--seed", "7")
        cls.ypa("run_pipeline", "--run-id", "seed_run", "--from", DAY, "--to", DAY)
        cls.iphones = [int(x) for x in cls.psql('SELECT id FROM "AppleStockChecker_iphone" ORDER BY id').split()]
        cls.shops = [int(x) for x in cls.psql('SELECT id FROM "AppleStockChecker_secondhandshop" ORDER BY id').split()]
        cls.install_package()
        cls.make_project()

    @classmethod
    def tearDownClass(cls):
        run(["psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % cls.name],
            cls.stack_env, check=False)
        cls.clickhouse("DROP DATABASE IF EXISTS " + cls.name)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # Setup ------------------------------------------------------------------------------------------------

    @classmethod
    def ypa(cls, *args, check=True):
        return run([YPA] + list(args), cls.stack_env, check=check)

    @classmethod
    def psql(cls, sql):
        return run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", cls.name, "-c", sql], cls.stack_env).stdout

    @classmethod
    def clickhouse(cls, query):
        return run(["clickhouse-client", "--host", os.environ.get("CLICKHOUSE_HOST", "127.0.0.1"), "--port",
                    os.environ["CLICKHOUSE_PORT"], "--user", os.environ.get("CLICKHOUSE_USER", "default"),
                    "--password", os.environ.get("CLICKHOUSE_PASSWORD", ""), "--query", query],
                   cls.stack_env).stdout

    @classmethod
    def install_package(cls):
        # From a copy, so that the build leaves nothing in the repository; no index: Debian's packages only.
        source = os.path.join(cls.tmp, "src")
        shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
        cls.site = os.path.join(cls.tmp, "site")
        run([PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
             "--target", cls.site, source], dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
        assert os.path.exists(os.path.join(cls.site, "ypa_django", "management", "commands", "run_pipeline.py"))

    @classmethod
    def make_project(cls):
        cls.project = os.path.join(cls.tmp, "project")
        os.makedirs(cls.project)
        run(["/usr/bin/django-admin", "startproject", "proj", cls.project], dict(os.environ))
        cls.calls = os.path.join(cls.tmp, "ypa-calls.log")
        wrapper = os.path.join(cls.tmp, "ypa-wrapper")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\nexec %s "$@"\n' % (cls.calls, os.path.abspath(YPA)))
        os.chmod(wrapper, 0o755)
        open(cls.calls, "w").close()
        e = os.environ
        settings = textwrap.dedent("""
            INSTALLED_APPS += ["ypa_django"]
            DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": {name!r},
                                      "HOST": {host!r}, "PORT": {port!r}, "USER": {user!r},
                                      "PASSWORD": {password!r}}}}}
            CLICKHOUSE_HOST = {ch_host!r}
            CLICKHOUSE_PORT = {ch_port}
            CLICKHOUSE_DB = {name!r}
            CLICKHOUSE_USER = {ch_user!r}
            CLICKHOUSE_PASSWORD = {ch_password!r}
            PIPELINE_DEVICE = "cpu"
            PIPELINE_BATCH_DAYS = 1
            YPA_BINARY = {wrapper!r}
            CELERY_BROKER_URL = "memory://"
            CELERY_TASK_ALWAYS_EAGER = True
            CELERY_TASK_EAGER_PROPAGATES = True
            LOGGING = {{"version": 1, "disable_existing_loggers": False,
                       "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
                       "root": {{"handlers": ["console"], "level": "INFO"}}}}
            """).format(name=cls.name, host=e.get("PGHOST", ""), port=e["PGPORT"], user=e.get("PGUSER", ""),
                        password=e.get("PGPASSWORD", ""), ch_host=e.get("CLICKHOUSE_HOST", "127.0.0.1"),
                        ch_port=int(e["CLICKHOUSE_PORT"]), ch_user=e.get("CLICKHOUSE_USER", "default"),
                        ch_password=e.get("CLICKHOUSE_PASSWORD", ""), wrapper=wrapper)
        proj = os.path.join(cls.project, "proj")
        with open(os.path.join(proj, "settings.py"), "a") as f:
            f.write(settings)
        # Celery as its documentation sets it up in a Django project.
        with open(os.path.join(proj, "celery.py"), "w") as f:
            f.write(textwrap.dedent("""
                from celery import Celery
                app = Celery("proj")
                app.config_from_object("django.conf:settings", namespace="CELERY")
                app.autodiscover_tasks()
                """))
        with open(os.path.join(proj, "__init__.py"), "a") as f:
            f.write("from .celery import app as celery_app\n")
        variants = {
            "settings_no_name": 'DATABASES = {"default": dict(DATABASES["default"], NAME="")}',
            "settings_bad_port": 'DATABASES = {"default": dict(DATABASES["default"], PORT="54x2")}',
            "settings_no_binary": 'YPA_BINARY = "/nonexistent/ypa"',
            "settings_mapping": textwrap.dedent("""
                DATABASES = {"default": dict(DATABASES["default"], PASSWORD="s3cret",
                             OPTIONS={"sslmode": "disable", "application_name": "ypa_django_test"})}
                FEATURE_WINDOWS_MIN = [120, 900]
                CLICKHOUSE_SECURE = False
                PIPELINE_TZ = "Asia/Tokyo"
                API_JWT_SECRET = "not for ypa_django"
                """),
        }
        for module, text in variants.items():
            with open(os.path.join(proj, module + ".py"), "w") as f:
                f.write("from .settings import *  # noqa\n" + text + "\n")
        cls.manage_env = {"PATH": e.get("PATH", "/usr/bin:/bin"), "HOME": e.get("HOME", "/tmp"),
                          "LANG": "C.UTF-8", "PYTHONPATH": cls.site, "DJANGO_SETTINGS_MODULE": "proj.settings"}
        cls.manage_env.update(DECOYS)

    # Helpers ----------------------------------------------------------------------------------------------

    def manage(self, *args, settings=None, timeout=600):
        argv = [PYTHON, "manage.py"] + list(args) + (["--settings", settings] if settings else [])
        return run(argv, self.manage_env, check=False, cwd=self.project, timeout=timeout)

    def shell(self, code, settings=None):
        return self.manage("shell", "-c", textwrap.dedent(code), settings=settings)

    def ypa_calls(self):
        with open(self.calls) as f:
            return [line.rstrip("\n") for line in f]

    def dump(self, run_id, table):
        """A run's rows in key order, without run_id and inserted_at, deduplicated (FINAL)."""
        columns = self.clickhouse(
            "SELECT arrayStringConcat(groupArray(name), ', ') FROM system.columns WHERE database = '%s' AND "
            "table = '%s' AND name NOT IN ('run_id', 'inserted_at')" % (self.name, table)).strip()
        order = "iphone_id, shop_id, bucket" if table == "price_aligned" else "scope, bucket"
        return self.clickhouse("SELECT %s FROM %s.%s FINAL WHERE run_id = '%s' ORDER BY %s FORMAT TSV"
                               % (columns, self.name, table, run_id, order))

    def buckets(self, run_id, table):
        out = self.clickhouse("SELECT DISTINCT toString(bucket) FROM %s.%s FINAL WHERE run_id = '%s'"
                              % (self.name, table, run_id))
        return set(out.split("\n")) - {""}

    # Management commands ----------------------------------------------------------------------------------

    def test_run_pipeline_writes_the_rows_of_ypa(self):
        flags = ["--from", DAY, "--to", DAY, "--iphone-ids", ",".join(map(str, self.iphones[:4])),
                 "--align", "floor", "--batch-days", "1"]
        self.ypa("run_pipeline", "--run-id", "direct_run", *flags)
        before = len(self.ypa_calls())
        r = self.manage("run_pipeline", "--run-id", "django_run", *flags)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.ypa_calls()), before + 1)
        # ypa's own output comes through: its summary on stdout, its log lines on stderr.
        self.assertIn("run django_run: done", r.stdout)
        self.assertIn("info run django_run:", r.stderr)
        for table in ("price_aligned", "features_wide"):
            direct, django = self.dump("direct_run", table), self.dump("django_run", table)
            self.assertGreater(len(direct.splitlines()), 100, table)
            self.assertEqual(len(django.splitlines()), len(direct.splitlines()), table)
            self.assertEqual(django, direct, table)
        # --iphone-ids and --align floor reached ypa: only those iPhones, and floor alignment's diffs >= 0.
        ids = self.clickhouse("SELECT DISTINCT iphone_id FROM %s.price_aligned WHERE run_id = 'django_run' "
                              "ORDER BY iphone_id" % self.name).split()
        self.assertEqual([int(x) for x in ids], self.iphones[:4])
        self.assertEqual(self.clickhouse("SELECT min(alignment_diff_sec) >= 0 FROM %s.price_aligned WHERE "
                                         "run_id = 'django_run'" % self.name).strip(), "1")

    def test_promote_run_without_confirm_refuses_like_ypa(self):
        direct = self.ypa("promote_run", "--from", "seed_run", "--to", "live_copy", check=False)
        self.assertEqual(direct.returncode, 1)
        r = self.manage("promote_run", "--from", "seed_run", "--to", "live_copy")
        self.assertEqual(r.returncode, direct.returncode, r.stderr)
        self.assertEqual(r.stdout, direct.stdout)  # the plan, streamed
        message = direct.stdout.strip().splitlines()[-1]
        self.assertIn("--confirm", message)
        self.assertEqual(r.stderr.strip().splitlines()[-1], "CommandError: " + message)
        self.assertEqual(self.buckets("live_copy", "price_aligned"), set())
        # From code: call_command raises the CommandError with ypa's line and exit status.
        r = self.shell("""
            from django.core.management import CommandError, call_command
            try:
                call_command("promote_run", "--from", "seed_run", "--to", "live_copy")
            except CommandError as e:
                print("RAISED", e.returncode, e)
            """)
        self.assertEqual(r.stdout.strip().splitlines()[-1], "RAISED %d %s" % (direct.returncode, message))

    def test_ypa_error_becomes_command_error_with_its_exit_code(self):
        args = ["run_pipeline", "--run-id", "bad_dates", "--from", "2025-13-01", "--to", DAY]
        direct = self.ypa(*args, check=False)
        self.assertEqual(direct.returncode, 2)
        line = direct.stderr.strip().splitlines()[-1]
        self.assertTrue(line.startswith("ypa: error: ") and "--from" in line, line)
        r = self.manage(*args)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip().splitlines(), ["CommandError: " + line])  # once, not twice

    def test_bad_flag_is_djangos_usage_error(self):
        before = len(self.ypa_calls())
        r = self.manage("run_pipeline", "--run-id", "x", "--no-such-flag", "1")
        self.assertIn(r.returncode, (1, 2))
        self.assertIn("usage: manage.py run_pipeline", r.stderr)
        self.assertIn("unrecognized arguments: --no-such-flag", r.stderr)
        r = self.manage("drop_run", "--confirm")
        self.assertIn(r.returncode, (1, 2))
        self.assertIn("the following arguments are required: --run-id", r.stderr)
        self.assertEqual(len(self.ypa_calls()), before)

    def test_list_runs_prints_the_runs(self):
        expected = set(self.clickhouse(
            "SELECT DISTINCT run_id FROM %s.price_aligned UNION ALL SELECT DISTINCT run_id FROM %s.features_wide"
            % (self.name, self.name)).split())
        self.assertIn("seed_run", expected)
        r = self.manage("list_runs")
        self.assertEqual(r.returncode, 0, r.stderr)
        printed = {line.split()[0] for line in r.stdout.splitlines()[1:] if line.strip()}
        self.assertEqual(printed, expected)
        r = self.manage("list_runs", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"seed_run"', r.stdout)
        json.loads(r.stdout)

    def test_output_streams_while_ypa_runs(self):
        # A ypa that prints a line and then waits for the test to have read it: buffered output would never
        # arrive before ypa exits, and ypa would give up after 60 s with exit 3.
        go = os.path.join(self.tmp, "go")
        slow = os.path.join(self.tmp, "slow-ypa")
        with open(slow, "w") as f:
            f.write('#!/bin/sh\necho "first line"\necho "log line" >&2\ni=0\n'
                    'while [ ! -e %s ]; do i=$((i+1)); [ $i -gt 1200 ] && exit 3; sleep 0.05; done\n'
                    'echo "second line"\n' % go)
        os.chmod(slow, 0o755)
        with open(os.path.join(self.project, "proj", "settings_slow.py"), "w") as f:
            f.write("from .settings import *  # noqa\nYPA_BINARY = %r\n" % slow)
        proc = subprocess.Popen([PYTHON, "manage.py", "list_runs", "--settings", "proj.settings_slow"],
                                env=self.manage_env, cwd=self.project, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            self.assertTrue(ready, "no output within 60 s while ypa runs")
            self.assertEqual(proc.stdout.readline(), "first line\n")
            self.assertIsNone(proc.poll())
            open(go, "w").close()
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out, "second line\n")
        self.assertIn("log line", err)

    # Settings ---------------------------------------------------------------------------------------------

    def assert_one_line_naming(self, r, setting):
        lines = r.stderr.strip().splitlines()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("CommandError: ") and setting in lines[0], lines[0])

    def test_bad_settings_are_named_before_ypa_starts(self):
        before = len(self.ypa_calls())
        r = self.manage("list_runs", settings="proj.settings_no_name")
        self.assert_one_line_naming(r, "DATABASES['default']['NAME']")
        r = self.manage("run_pipeline", "--run-id", "x", "--from", DAY, "--to", DAY, settings="proj.settings_bad_port")
        self.assert_one_line_naming(r, "DATABASES['default']['PORT']")
        self.assertIn("54x2", r.stderr)
        r = self.shell("""
            from ypa_django.tasks import incremental_pipeline
            try:
                incremental_pipeline.delay().get()
            except Exception as e:
                print("ERROR", type(e).__name__, e)
            """, settings="proj.settings_bad_port")
        self.assertIn("ERROR SettingsError DATABASES['default']['PORT']", r.stdout, r.stderr)
        r = self.manage("list_runs", settings="proj.settings_no_binary")
        self.assert_one_line_naming(r, "YPA_BINARY '/nonexistent/ypa'")
        self.assertEqual(len(self.ypa_calls()), before)

    def test_environment_from_settings(self):
        r = self.shell("""
            import json
            from ypa_django.runner import ypa_environment
            print(json.dumps(ypa_environment()))
            """, settings="proj.settings_mapping")
        self.assertEqual(r.returncode, 0, r.stderr)
        env = json.loads(r.stdout)
        e = os.environ
        expected = {"PGDATABASE": self.name, "PGHOST": e["PGHOST"], "PGPORT": e["PGPORT"], "PGUSER": e["PGUSER"],
                    "PGPASSWORD": "s3cret", "PGSSLMODE": "disable", "PGAPPNAME": "ypa_django_test",
                    "CLICKHOUSE_HOST": e.get("CLICKHOUSE_HOST", "127.0.0.1"), "CLICKHOUSE_PORT": e["CLICKHOUSE_PORT"],
                    "CLICKHOUSE_DB": self.name, "CLICKHOUSE_SECURE": "0", "FEATURE_WINDOWS_MIN": "120,900",
                    "PIPELINE_TZ": "Asia/Tokyo", "PIPELINE_DEVICE": "cpu", "PIPELINE_BATCH_DAYS": "1"}
        self.assertEqual({k: env.get(k) for k in expected}, expected)
        self.assertNotIn("DATABASE_URL", env)  # ypa would prefer it to DATABASES
        self.assertNotIn("API_JWT_SECRET", env)
        self.assertEqual(env["PGCONNECT_TIMEOUT"], "3")  # the process's own variables stay

    # Celery -------------------------------------------------------------------------------------------------

    def add_source_rows(self, day, first, last):
        """One valid record per shop and iPhone a minute before each bucket from first to last (HH:MM)."""
        self.psql("""INSERT INTO "AppleStockChecker_purchasingshoppricerecord"
                       (shop_id, iphone_id, price_new, price_grade_a, price_grade_b, recorded_at)
                     SELECT s.id, i.id, 100000 + 10 * s.id + i.id, NULL, NULL, t - interval '1 minute'
                     FROM "AppleStockChecker_secondhandshop" s, "AppleStockChecker_iphone" i,
                          generate_series(timestamptz '%sT%s:00+09:00', timestamptz '%sT%s:00+09:00',
                                          interval '15 minutes') t""" % (day, first, day, last))

    def celery_call(self, **kwargs):
        r = self.shell("""
            import json
            from ypa_django.tasks import incremental_pipeline
            print("RESULT " + json.dumps(incremental_pipeline.delay(**%r).get()))
            """ % kwargs)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        results = [line[len("RESULT "):] for line in r.stdout.splitlines() if line.startswith("RESULT ")]
        self.assertEqual(len(results), 1, r.stdout)
        return json.loads(results[0]), r

    def test_celery_task_runs_one_incremental_cycle_of_live(self):
        self.ypa("run_pipeline", "--run-id", "live", "--allow-live", "--from", DAY, "--to", DAY)
        day = "2025-01-03"
        self.add_source_rows(day, "08:00", "12:00")
        before = {t: self.buckets("live", t) for t in ("price_aligned", "features_wide")}
        self.assertEqual(len(before["price_aligned"]), 96)
        calls = len(self.ypa_calls())
        result, r = self.celery_call(to=day + "T12:00")
        self.assertEqual(result, {"status": "done", "run_id": "live"})
        self.assertEqual(self.ypa_calls()[calls:],
                         ["run_pipeline --run-id live --mode incremental --to=%sT12:00" % day])
        # The default --since is 2 hours: the 8 buckets 10:15 .. 12:00, and nothing else changes.
        new = {"%s %02d:%02d:00" % (day, m // 60, m % 60) for m in range(10 * 60 + 15, 12 * 60 + 1, 15)}
        for table in ("price_aligned", "features_wide"):
            self.assertEqual(self.buckets("live", table), before[table] | new, table)
        expected_rows = len(self.shops) * len(self.iphones) * len(new)
        got = self.clickhouse("SELECT count() FROM %s.price_aligned FINAL WHERE run_id = 'live' AND "
                              "toDate(bucket) = '%s'" % (self.name, day)).strip()
        self.assertEqual(int(got), expected_rows)
        self.assertIn("info run live:", r.stderr)  # ypa's log lines reach the task's logger

    def test_celery_task_raises_ypas_error(self):
        direct = self.ypa("run_pipeline", "--run-id", "live", "--mode", "incremental", "--since", "7m", check=False)
        self.assertEqual(direct.returncode, 2)
        r = self.shell("""
            from ypa_django.runner import YpaFailed
            from ypa_django.tasks import incremental_pipeline
            try:
                incremental_pipeline.delay(since="7m").get()
            except YpaFailed as e:
                print("RAISED", e.returncode, e)
            """)
        self.assertEqual(r.stdout.strip().splitlines()[-1],
                         "RAISED 2 " + direct.stderr.strip().splitlines()[-1], r.stderr)
        # The lock went with the failed cycle: the next one runs.
        result, _ = self.celery_call(to="2025-01-03T12:00")
        self.assertEqual(result["status"], "done")

    def test_celery_overlapping_cycles_do_not_both_run(self):
        import psycopg2  # Debian's python3-psycopg2
        holder = psycopg2.connect(dbname=self.name)  # PG* of the stack for the rest
        holder.autocommit = True
        calls = len(self.ypa_calls())
        with holder.cursor() as cur:
            # The lock the documentation names (docs/django.md), held as a running cycle holds it.
            cur.execute("SELECT pg_advisory_lock(hashtext('ypa.incremental_pipeline:live'))")
        try:
            result, r = self.celery_call(to="2025-01-03T12:00")
        finally:
            holder.close()
        self.assertEqual(result["status"], "skipped", result)
        self.assertIn("ypa.incremental_pipeline:live", result["reason"])
        self.assertIn("incremental_pipeline skipped", r.stderr)
        self.assertEqual(self.ypa_calls()[calls:], [])
        # Once the other cycle is over, the next one runs.
        result, _ = self.celery_call(to="2025-01-03T12:00")
        self.assertEqual(result["status"], "done")
        self.assertEqual(len(self.ypa_calls()), calls + 1)


def main():
    global YPA
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ypa", required=True, help="the ypa binary")
    args, rest = parser.parse_known_args()
    YPA = os.path.abspath(args.ypa)
    started = time.time()
    program = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    print("%.1f s" % (time.time() - started))
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
