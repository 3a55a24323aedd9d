"""Shared by the contract test, the fuzzer and the benchmark: a database with pipeline output, and
`ypa serve` and the Django REST Framework reference started on free loopback ports."""
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "drf_reference")
# 48 bytes: `ypa serve` refuses an API_JWT_SECRET shorter than 32 (docs/api.md, Authentication).
SECRET = "contract-secret-" + uuid.uuid4().hex


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv, env, check=True):
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


class Dataset:
    """PostgreSQL and ClickHouse databases of one name with datagen output and pipeline runs."""

    def __init__(self, ypa, prefix, days=("2025-04-01", "2025-04-02"), iphones=20, shops=8):
        if "CLICKHOUSE_PORT" not in os.environ:
            sys.exit('CLICKHOUSE_PORT is not set: run eval "$(ypa stack env)" first')
        self.ypa = ypa
        self.name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])
        self.env = dict(os.environ, PGDATABASE=self.name, CLICKHOUSE_DB=self.name)
        run(["psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE " + self.name], self.env)
        run([ypa, "init", "--source-schema"], self.env)
        run([ypa, "init"], self.env)
        run([ypa, "datagen", "--shops", str(shops), "--iphones", str(iphones), "--from", "2025-03-25", "--to",
             days[1], "--seed", "5"], self.env)
        run([ypa, "run_pipeline", "--run-id", "live", "--allow-live", "--from", days[0], "--to", days[1]], self.env)

    def pipeline(self, run_id, day_from, day_to):
        run([self.ypa, "run_pipeline", "--run-id", run_id, "--from", day_from, "--to", day_to], self.env)

    def clickhouse(self, query):
        return run(["clickhouse-client", "--host", os.environ.get("CLICKHOUSE_HOST", "127.0.0.1"), "--port",
                    os.environ["CLICKHOUSE_PORT"], "--query", query], self.env).stdout

    def drop(self):
        run(["psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name],
            self.env, check=False)
        self.clickhouse("DROP DATABASE IF EXISTS " + self.name)


def wait_http(url, proc, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("server exited early (%d): %s" % (proc.returncode, url))
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("server did not answer: " + url)


class Server:
    def __init__(self, argv, env, probe_path, cwd=None):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        # The server's log goes to a file: a pipe nobody reads would block the server once it is full
        # (Django's runserver logs every request).
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=self.log)
        wait_http(self.base + probe_path, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_ypa(ypa, env, extra_env=None, prefix=()):
    """`prefix`: a command the server runs under, e.g. taskset."""
    e = dict(env, API_JWT_SECRET=SECRET)
    e.update(extra_env or {})
    return Server(list(prefix) + [ypa, "serve", "--listen", "127.0.0.1:{port}"], e, "/healthz")


def start_reference(env, prefix=()):
    e = dict(env, API_JWT_SECRET=SECRET)
    return Server(list(prefix) + ["/usr/bin/python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"],
                  e, "/api/overall-bars/", cwd=REFERENCE)


def simplejwt():
    """simplejwt's token classes configured like the reference (the same SECRET_KEY)."""
    sys.path.insert(0, REFERENCE)
    os.environ["API_JWT_SECRET"] = SECRET
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference.settings")
    import django

    django.setup()
    from rest_framework_simplejwt import tokens

    return tokens


def get(base, path, headers=None, method="GET"):
    """One request without following redirects: (status, headers, body)."""
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()
