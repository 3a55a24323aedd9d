#!/usr/bin/env python3
"""Login, refresh and compare endpoints of `ypa serve` against their references (CTest label `contract`,
needs `ypa stack`: eval "$(ypa stack env)").

A database of its own: `ypa init --source-schema` (with Django's auth_user), datagen, runs `live` and `v2`.
Django itself (Debian's python3-django, python3-djangorestframework-simplejwt) runs in this process on the
same PostgreSQL database:
- it creates the accounts with its own User model and make_password (active, inactive, unusable), and
  checks the hash `ypa init --demo-user` wrote; argon2 and md5 hashes are written by hand (only the
  prefix matters: the hasher libraries are not installed);
- simplejwt's TokenObtainPairView and TokenRefreshView, served by Django's test client, are the oracle:
  every request goes to both, and status and body must be equal (tokens: the same claims, in the same
  order, with the same types, apart from jti and a second of clock);
- tokens from ypa must be accepted by simplejwt's JWTAuthentication (user looked up in auth_user) and by
  ypa's own /api/runs/.
Then: repeated failures get DRF's 429 body and Retry-After; the server logs one line naming an unknown
hasher; /api/runs/compare/ answers what `ypa compare_runs --json` prints for the same arguments, and
bad arguments get 400/404 and change nothing."""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import types
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_common as common  # noqa: E402

PASSWORD = "correct horse battery"
DEMO_PASSWORD = "demo-p\u00e4ss word"
failures = []


class Raw(str):
    """A request body sent as written, not JSON-encoded."""


def check(ok, label, detail=""):
    print("%-4s %s%s" % ("ok" if ok else "FAIL", label, ("  " + detail) if (detail and not ok) else ""))
    if not ok:
        failures.append(label)


def django_setup(dataset):
    from django.conf import settings

    urls = types.ModuleType("login_test_urls")
    sys.modules["login_test_urls"] = urls
    settings.configure(
        SECRET_KEY=common.SECRET, USE_TZ=True, USE_I18N=False, DEBUG=False, ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="login_test_urls", MIDDLEWARE=[],
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        # The default list without Argon2 and bcrypt, whose libraries are not installed: Django then refuses
        # those hashes (check_password False) instead of failing with a server error.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                          "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher"],
        DATABASES={alias: {"ENGINE": "django.db.backends.postgresql", "NAME": name,
                           "USER": os.environ.get("PGUSER", ""), "HOST": os.environ.get("PGHOST", ""),
                           "PORT": os.environ.get("PGPORT", ""), "PASSWORD": os.environ.get("PGPASSWORD", "")}
                   for alias, name in [("default", dataset.name), ("migrated", dataset.name + "_dj")]},
        REST_FRAMEWORK={"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]},
        SIMPLE_JWT={"SIGNING_KEY": common.SECRET, "ALGORITHM": "HS256"})
    import django

    django.setup()
    from django.urls import path
    from rest_framework_simplejwt import views

    urls.urlpatterns = [path("api/token/", views.TokenObtainPairView.as_view()),
                        path("api/token/refresh/", views.TokenRefreshView.as_view())]


def post(base, path, body, content_type):
    headers = {} if content_type is None else {"Content-Type": content_type}
    host, port = base.split("//")[1].split(":")
    import http.client

    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("POST", path, body=body.encode() if isinstance(body, str) else body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def oracle_post(client, path, body, content_type):
    kwargs = {} if content_type is None else {"content_type": content_type}
    r = client.generic("POST", path, body.encode() if isinstance(body, str) else body, **kwargs)
    return r.status_code, r


def claims(token):
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


def same_token_shape(ours, theirs):
    """Claims in the same order with the same types; values equal apart from jti and a second of clock."""
    a, b = claims(ours), claims(theirs)
    if list(a) != list(b):
        return "claims %s, simplejwt's %s" % (list(a), list(b))
    for k in a:
        if type(a[k]) is not type(b[k]):
            return "%s is %s, simplejwt's %s" % (k, type(a[k]).__name__, type(b[k]).__name__)
        if k in ("exp", "iat") and abs(a[k] - b[k]) > 2:
            return "%s %s, simplejwt's %s" % (k, a[k], b[k])
        if k not in ("exp", "iat", "jti") and a[k] != b[k]:
            return "%s %r, simplejwt's %r" % (k, a[k], b[k])
    return None


def compare_with_oracle(label, server, client, path, body, content_type, tokens=False):
    status, headers, raw = post(server.base, path, body, content_type)
    ref_status, ref = oracle_post(client, path, body, content_type)
    ours = json.loads(raw) if raw else None
    theirs = json.loads(ref.content) if ref.content else None
    problems = []
    if status != ref_status:
        problems.append("status %d, simplejwt %d" % (status, ref_status))
    if tokens and status == 200 and ref_status == 200:
        if list(ours) != list(theirs):
            problems.append("keys %s, simplejwt's %s" % (list(ours), list(theirs)))
        for k in ours:
            why = same_token_shape(ours[k], theirs[k])
            if why:
                problems.append(k + ": " + why)
    elif ours != theirs:
        problems.append("body %s, simplejwt's %s" % (raw.decode(), ref.content.decode()))
    if status == 401 and headers.get("www-authenticate") != ref.get("WWW-Authenticate"):
        problems.append("WWW-Authenticate %r, simplejwt's %r" % (headers.get("www-authenticate"),
                                                                 ref.get("WWW-Authenticate")))
    check(not problems, "%s: ypa %d, simplejwt %d" % (label, status, ref_status), "; ".join(problems))
    return status, ours


def schema_cases(dataset):
    """ypa's auth_user has the columns Django's own migrations create (names, order, types, lengths, NULLs)."""
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", "auth", database="migrated", verbosity=0)
    query = ("SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns "
             "WHERE table_name = 'auth_user' ORDER BY ordinal_position")
    shapes = []
    for alias in ("default", "migrated"):
        with connections[alias].cursor() as cursor:
            cursor.execute(query)
            shapes.append(cursor.fetchall())
    check(shapes[0] == shapes[1] and len(shapes[0]) == 11, "auth_user of `ypa init --source-schema` is Django's",
          "ypa %s\nDjango %s" % tuple(shapes))


def login_cases(dataset, ypa):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password
    from django.test import Client
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    User = get_user_model()
    alice = User.objects.create_user("alice", password=PASSWORD)
    User.objects.create_user("inactive", password=PASSWORD, is_active=False)
    User.objects.create_user("argon", password=PASSWORD)
    User.objects.filter(username="argon").update(password="argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA")
    User.objects.create_user("md5user", password=PASSWORD)
    User.objects.filter(username="md5user").update(password="md5$salt$0123456789abcdef0123456789abcdef")
    nopass = User.objects.create_user("nopass")
    nopass.set_unusable_password()
    nopass.save()

    # The demo account: `ypa init --demo-user`, password on stdin; Django's own check_password accepts it.
    r = subprocess.run([ypa, "init", "--source-schema", "--demo-user", "demo"], env=dataset.env,
                       input=DEMO_PASSWORD + "\n", capture_output=True, text=True)
    check(r.returncode == 0 and "account demo in auth_user: created" in r.stdout, "ypa init --demo-user creates it",
          r.stdout + r.stderr)
    demo = User.objects.get(username="demo")
    check(check_password(DEMO_PASSWORD, demo.password) and demo.password.startswith("pbkdf2_sha256$600000$")
          and demo.is_active and not demo.is_staff, "Django's check_password accepts the demo account's hash",
          demo.password)
    r = subprocess.run([ypa, "init", "--source-schema", "--demo-user", "demo"], env=dataset.env,
                       input=DEMO_PASSWORD + "\n", capture_output=True, text=True)
    check("demo in auth_user: unchanged" in r.stdout and User.objects.get(username="demo").password == demo.password,
          "a second run changes nothing", r.stdout + r.stderr)
    r = subprocess.run([ypa, "init", "--source-schema", "--demo-user", "demo"], env=dataset.env, input="",
                       capture_output=True, text=True)
    check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--demo-user" in r.stderr
          and User.objects.get(username="demo").password == demo.password,
          "no password on stdin: exit 2, one line, nothing changed", r.stderr)

    server = common.Server([ypa, "serve", "--listen", "127.0.0.1:{port}"],
                           dict(dataset.env, API_JWT_SECRET=common.SECRET, API_LOGIN_MAX_FAILURES="1000"), "/healthz")
    client = Client()
    try:
        good = json.dumps({"username": "alice", "password": PASSWORD})
        status, pair = compare_with_oracle("right password (JSON)", server, client, "/api/token/", good,
                                           "application/json", tokens=True)
        if status == 200:
            for kind, token in pair.items():
                check(RefreshToken(token)["user_id"] == alice.id if kind == "refresh" else
                      AccessToken(token)["user_id"] == alice.id, "simplejwt's %sToken accepts ypa's %s token"
                      % (kind.capitalize(), kind))

            class Request:
                META = {"HTTP_AUTHORIZATION": "Bearer " + pair["access"]}

            user, _ = JWTAuthentication().authenticate(Request())
            check(user.pk == alice.pk, "simplejwt's JWTAuthentication finds alice from ypa's access token")
            code, _, _ = common.get(server.base, "/api/runs/", {"Authorization": "Bearer " + pair["access"]})
            check(code == 200, "ypa's /api/runs/ accepts ypa's access token", str(code))

            # Refresh: the new access token against simplejwt's TokenRefreshView on the same refresh token.
            refreshed_status, refreshed = compare_with_oracle(
                "refresh", server, client, "/api/token/refresh/", json.dumps({"refresh": pair["refresh"]}),
                "application/json", tokens=True)
            if refreshed_status == 200:
                access = refreshed["access"]
                check(AccessToken(access)["user_id"] == alice.id, "simplejwt accepts the refreshed access token")
                code, _, _ = common.get(server.base, "/api/runs/", {"Authorization": "Bearer " + access})
                check(code == 200, "ypa accepts the refreshed access token", str(code))
                check(claims(access)["iat"] == claims(pair["refresh"])["iat"],
                      "the refreshed token keeps the refresh token's iat, as simplejwt copies it")
            compare_with_oracle("refresh with an access token", server, client, "/api/token/refresh/",
                                json.dumps({"refresh": pair["access"]}), "application/json")
        for label, body, ctype in [
            ("right password, surrounding spaces (CharField trims)",
             json.dumps({"username": " alice ", "password": " %s " % PASSWORD}), "application/json"),
            ("right password (form)", urllib.parse.urlencode({"username": "alice", "password": PASSWORD}),
             "application/x-www-form-urlencoded"),
        ]:
            compare_with_oracle(label, server, client, "/api/token/", body, ctype, tokens=True)
        boundary = "----ypa-login-test"
        multipart = "".join("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, k, v)
                            for k, v in [("username", "alice"), ("password", PASSWORD)]) + "--%s--\r\n" % boundary
        compare_with_oracle("right password (multipart)", server, client, "/api/token/", multipart,
                            "multipart/form-data; boundary=" + boundary, tokens=True)

        for label, body, ctype in [
            ("wrong password", {"username": "alice", "password": "wrong"}, "application/json"),
            ("unknown user", {"username": "nobody", "password": PASSWORD}, "application/json"),
            ("inactive user", {"username": "inactive", "password": PASSWORD}, "application/json"),
            ("argon2 hash", {"username": "argon", "password": PASSWORD}, "application/json"),
            ("md5 hash", {"username": "md5user", "password": PASSWORD}, "application/json"),
            ("unusable password", {"username": "nopass", "password": ""}, "application/json"),
            ("unusable password, some text", {"username": "nopass", "password": "x"}, "application/json"),
            ("user name in another case", {"username": "ALICE", "password": PASSWORD}, "application/json"),
            ("no fields", {}, "application/json"),
            ("blank fields", {"username": "", "password": "  "}, "application/json"),
            ("null and a number", {"username": None, "password": 5}, "application/json"),
            ("a list and an object", {"username": ["alice"], "password": {"a": 1}}, "application/json"),
            ("booleans", {"username": True, "password": False}, "application/json"),
            ("a float password", {"username": "alice", "password": 1.5}, "application/json"),
            ("a null character", {"username": "al\u0000ice", "password": PASSWORD}, "application/json"),
            ("a list body", [], "application/json"),
            ("a string body", "alice", "application/json"),
            ("a null body", None, "application/json"),
            ("empty form", Raw(""), "application/x-www-form-urlencoded"),
            ("form without password", Raw("username=alice"), "application/x-www-form-urlencoded"),
            ("form with blank password", Raw("username=alice&password="), "application/x-www-form-urlencoded"),
            ("form, repeated key: the last counts", Raw("username=bob&username=alice&password=wrong"),
             "application/x-www-form-urlencoded"),
            ("empty JSON body", Raw(""), "application/json"),
            ("text/plain", Raw("username=alice"), "text/plain"),
            ("malformed JSON: truncated", Raw('{"username": "alice", '), "application/json"),
            ("malformed JSON: single quotes", Raw("{'username': 'alice'}"), "application/json"),
            ("malformed JSON: no colon", Raw('{"username" "alice"}'), "application/json"),
            ("malformed JSON: no comma", Raw('{"username": "alice" "password": "x"}'), "application/json"),
            ("malformed JSON: trailing comma", Raw('{"username": "alice",}'), "application/json"),
            ("malformed JSON: extra data", Raw('{"username": "alice"} x'), "application/json"),
            ("malformed JSON: missing value", Raw('{"username": }'), "application/json"),
            ("malformed JSON: unterminated string", Raw('{"username": "al'), "application/json"),
            ("malformed JSON: control character", Raw('{"username": "a\tb"}'),
             "application/json"),
            ("malformed JSON: bad escape", Raw('{"username": "a\\qb"}'), "application/json"),
            ("malformed JSON: bad \\u escape", Raw('{"username": "\\u12"}'), "application/json"),
            ("malformed JSON: leading zero", Raw('{"username": 01}'), "application/json"),
            ("malformed JSON: NaN", Raw('{"username": NaN}'), "application/json"),
            ("malformed JSON: lines and non-ASCII", Raw('{\n  "username": "\u00e9l\u00e8ve",\n  "password" x}'),
             "application/json"),
            ("malformed JSON: array trailing comma", Raw('[1,]'), "application/json"),
            ("malformed JSON: only spaces", Raw('   '), "application/json"),
        ]:
            text = str(body) if isinstance(body, Raw) else json.dumps(body)
            compare_with_oracle(label, server, client, "/api/token/", text, ctype)

        for label, body in [("refresh: garbage", {"refresh": "not.a.token"}), ("refresh: missing", {}),
                            ("refresh: blank", {"refresh": " "}), ("refresh: number", {"refresh": 5})]:
            compare_with_oracle(label, server, client, "/api/token/refresh/", json.dumps(body), "application/json")
        import jwt as pyjwt

        now = int(time.time())
        expired = pyjwt.encode({"token_type": "refresh", "exp": now - 5, "iat": now - 100, "jti": "x",
                                "user_id": alice.id}, common.SECRET, algorithm="HS256")
        compare_with_oracle("refresh: expired", server, client, "/api/token/refresh/",
                            json.dumps({"refresh": expired}), "application/json")
        # Deliberate difference (newer simplejwt's rule, not 5.2's): an inactive account gets no new token.
        inactive_refresh = str(RefreshToken.for_user(User.objects.get(username="inactive")))
        status, headers, raw = post(server.base, "/api/token/refresh/", json.dumps({"refresh": inactive_refresh}),
                                    "application/json")
        check(status == 401 and json.loads(raw) == {"detail": "No active account found with the given credentials",
                                                    "code": "no_active_account"},
              "refresh for an inactive account: 401 no_active_account", "%d %s" % (status, raw))

        code, headers, raw = common.get(server.base, "/api/token/")
        ref = client.get("/api/token/")
        check(code == ref.status_code == 405 and json.loads(raw) == json.loads(ref.content)
              and headers.get("allow") == ref.get("Allow"), "GET /api/token/: 405 as simplejwt",
              "%d %s %s / %d %s %s" % (code, raw, headers.get("allow"), ref.status_code, ref.content, ref.get("Allow")))
        code, _, _ = common.get(server.base, "/api/token/", {"Authorization": "Bearer nonsense"}, method="OPTIONS")
        check(code == 200, "OPTIONS /api/token/ needs no token", str(code))
    finally:
        server.log.seek(0)
        log = server.log.read().decode(errors="replace")
        server.stop()
    for hasher in ("argon2", "md5"):
        lines = [l for l in log.splitlines() if '"%s"' % hasher in l]
        check(len(lines) == 1 and "pbkdf2_sha256" in lines[0], "the server logs one line naming %s" % hasher,
              log[-2000:])
    lines = [l for l in log.splitlines() if "no usable password" in l]
    # (The blank password of "unusable password" is refused as a 400 before any account is read.)
    check(len(lines) == 1, "the server logs the login on an unusable password", log[-2000:])
    check(PASSWORD not in log and "wrong" not in log, "no password in the log")


def throttle_cases(dataset, ypa):
    from rest_framework.exceptions import Throttled

    server = common.Server([ypa, "serve", "--listen", "127.0.0.1:{port}"],
                           dict(dataset.env, API_JWT_SECRET=common.SECRET, API_LOGIN_MAX_FAILURES="3",
                                API_LOGIN_WINDOW_S="60"), "/healthz")
    try:
        wrong = json.dumps({"username": "alice", "password": "wrong"})
        right = json.dumps({"username": "alice", "password": PASSWORD})
        codes = [post(server.base, "/api/token/", wrong, "application/json")[0] for _ in range(3)]
        check(codes == [401, 401, 401], "three failures: 401 each", str(codes))
        status, headers, raw = post(server.base, "/api/token/", right, "application/json")
        wait = int(headers.get("retry-after", "0"))
        check(status == 429 and 55 <= wait <= 60 and json.loads(raw) == {"detail": str(Throttled(wait=wait).detail)},
              "the fourth attempt, right password too: 429 with DRF's body and Retry-After",
              "%d %s %s" % (status, headers.get("retry-after"), raw))
        status, _, _ = post(server.base, "/api/token/refresh/", json.dumps({"refresh": "x"}), "application/json")
        check(status == 401, "refresh is not throttled by failed logins", str(status))
    finally:
        server.stop()


def compare_cases(dataset, ypa):
    dataset.pipeline("v2", "2025-04-02", "2025-04-02")
    server = common.Server([ypa, "serve", "--listen", "127.0.0.1:{port}"],
                           dict(dataset.env, API_JWT_SECRET=common.SECRET), "/healthz")
    import jwt as pyjwt

    now = int(time.time())
    token = pyjwt.encode({"token_type": "access", "exp": now + 600, "iat": now, "jti": "c", "user_id": 1},
                         common.SECRET, algorithm="HS256")
    auth = {"Authorization": "Bearer " + token}

    def api(query, headers=auth):
        code, _, raw = common.get(server.base, "/api/runs/compare/?" + query, headers)
        return code, json.loads(raw)

    def runs():
        return common.run([ypa, "list_runs", "--json"], dataset.env).stdout

    try:
        for scope, frm, to in [("iphone:3", "2025-04-01", "2025-04-02"), ("cohort:top", "2025-04-01", "2025-04-02"),
                               ("iphone:5", "2025-04-02T09:00", "2025-04-02T12:45")]:
            query = urllib.parse.urlencode({"base": "live", "target": "v2", "scope": scope, "from": frm, "to": to})
            started = time.monotonic()
            code, body = api(query)
            seconds = time.monotonic() - started
            cli = common.run([ypa, "compare_runs", "--base", "live", "--target", "v2", "--scope", scope, "--from", frm,
                              "--to", to, "--json"], dataset.env, check=False)
            expected = json.loads(cli.stdout)
            for j in (body, expected):
                j.pop("elapsed_ms", None)
            rows = sum(t.get("rows_base", 0) for t in expected["tables"])
            check(code == 200 and body == expected and rows > 0,
                  "compare %s %s..%s equals compare_runs --json (%d base rows, %.0f ms)" % (scope, frm, to, rows,
                                                                                             seconds * 1000),
                  "%d %s\nCLI: %s" % (code, json.dumps(body)[:400], cli.stdout[:400]))
        before = runs()
        for label, query, want_code, want in [
            ("missing everything", "", 400,
             {"base": ["This field is required."], "target": ["This field is required."],
              "scope": ["This field is required."], "from": ["This field is required."],
              "to": ["This field is required."]}),
            ("bad run id", "base=li-ve&target=v2&scope=iphone:3&from=2025-04-01&to=2025-04-02", 400,
             {"base": ["Enter a valid run id: 1 to 64 letters, digits or underscores."]}),
            ("unknown run", "base=live&target=nope&scope=iphone:3&from=2025-04-01&to=2025-04-02", 404, None),
            ("bad date", "base=live&target=v2&scope=iphone:3&from=2025-13-01&to=2025-04-02", 400, None),
            ("off the grid", "base=live&target=v2&scope=iphone:3&from=2025-04-01T09:07&to=2025-04-02", 400, None),
            ("from after to", "base=live&target=v2&scope=iphone:3&from=2025-04-03&to=2025-04-02", 400, None),
            ("too wide", "base=live&target=v2&scope=iphone:3&from=2024-01-01&to=2025-04-02", 400, None),
            ("bad tolerance", "base=live&target=v2&scope=iphone:3&from=2025-04-01&to=2025-04-02&tolerance=-1", 400,
             {"tolerance": ["Enter a number >= 0."]}),
        ]:
            code, body = api(query)
            ok = code == want_code and (want is None or body == want)
            if want is None and code == 400:
                ok = ok and all(isinstance(v, list) for v in body.values())
            if code == 404:
                ok = ok and "nope" in body.get("detail", "")
            check(ok, "compare, %s: %d" % (label, code), json.dumps(body))
        code, _ = api("base=live&target=v2&scope=iphone:3&from=2025-04-01&to=2025-04-02", headers={})
        check(code == 401, "compare without a token: 401", str(code))
        check(runs() == before, "bad requests changed no run")
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ypa", required=True)
    args = ap.parse_args()
    dataset = common.Dataset(args.ypa, "login")
    common.run(["psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE %s_dj" % dataset.name], dataset.env)
    try:
        django_setup(dataset)
        schema_cases(dataset)
        login_cases(dataset, args.ypa)
        throttle_cases(dataset, args.ypa)
        compare_cases(dataset, args.ypa)
    finally:
        from django.db import connections

        connections.close_all()
        dataset.drop()
        common.run(["psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s_dj WITH (FORCE)" % dataset.name],
                   dataset.env, check=False)
    if failures:
        print("\n%d failures: %s" % (len(failures), ", ".join(failures)))
        return 1
    print("\nall login, refresh and compare answers as their references")
    return 0


if __name__ == "__main__":
    sys.exit(main())
