#!/usr/bin/env python3
"""Token edges (CTest label `unit`: no database needed). `ypa serve` runs with a secret on a free loopback
port and is asked `OPTIONS /api/runs/` (authenticated, answered without ClickHouse) with tokens built here,
independently of ypa: by PyJWT (Debian's python3-jwt) or by hand with hmac and base64. Each token also goes
to the two references:
- djangorestframework-simplejwt's JWTStatelessUserAuthentication, what the Django application runs
  (PyJWT inside): it authenticates, answers 401 with a body, or raises (a 500 in Django);
- PyJWT alone: jwt.decode(token, secret, algorithms=["HS256"]) plus simplejwt's exp/jti/token_type/user_id.
ypa must accept exactly the tokens simplejwt accepts, answer 401 with simplejwt's body where simplejwt
does, and 401 "Token is invalid or expired" where simplejwt raises: never a 5xx. Two differences are
deliberate and listed per token:
- STRICT_B64: PyJWT's base64 decoder skips characters outside the alphabet and stops at padding, so it
  takes `<signature>=junk` as the signature; ypa accepts only the spelling an encoder writes.
- DATETIME: PyJWT accepts an `exp` after year 9999, or written as a string of digits, which simplejwt then
  cannot turn into a datetime (Django answers 500).
Also: `ypa serve` refuses an empty or short API_JWT_SECRET at start-up (exit 2, one line naming it)."""
import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_common as common  # noqa: E402

# Django's startproject writes 50-character keys; ypa needs at least 32 bytes.
SECRET = "jwt-edges-" + "k7Qx" * 10
INVALID = "Token is invalid or expired"
STRICT_B64 = "strict base64url"
DATETIME = "exp not a datetime"
DROP = object()  # claims(name=DROP): the claim left out


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def by_hand(header_text, payload_text, key=SECRET, digest=hashlib.sha256):
    """A token from JSON texts as written (huge literals, repeated keys), signed with hmac."""
    signing_input = b64(header_text.encode()) + "." + b64(payload_text.encode())
    mac = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return signing_input + "." + b64(mac)


HS256 = '{"alg":"HS256","typ":"JWT"}'


def resign(token):
    """The same header and payload texts (junk included) with a MAC over them: what only the secret's
    holder can make, to see how each decoder reads the segments themselves."""
    signing_input = token.rsplit(".", 1)[0]
    return signing_input + "." + b64(hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest())


def tokens(jwt, simplejwt_tokens, now):
    """(label, token, expected decision, deliberate difference or None)."""
    base = {"token_type": "access", "exp": now + 600, "iat": now - 60, "jti": "edge", "user_id": 42}

    def claims(**changes):
        p = dict(base)
        for k, v in changes.items():
            if v is DROP:
                p.pop(k)
            else:
                p[k] = v
        return p

    def raw(**literals):
        """A payload with some claims written as raw JSON literals."""
        parts = []
        for k, v in base.items():
            parts.append('"%s":%s' % (k, literals.pop(k) if k in literals else json.dumps(v)))
        parts += ['"%s":%s' % (k, v) for k, v in literals.items()]
        return "{" + ",".join(parts) + "}"

    good = jwt.encode(base, SECRET, algorithm="HS256")
    header, payload, signature = good.split(".")
    access = simplejwt_tokens.AccessToken()
    access["user_id"] = 7
    refresh = simplejwt_tokens.RefreshToken()
    refresh["user_id"] = 7
    huge = "1" + "0" * 400
    too_long = "1" * 4301  # Python 3.11 refuses more than 4300 digits in one integer
    cases = [
        ("valid (PyJWT)", good, True, None),
        ("valid (by hand)", by_hand(HS256, json.dumps(base)), True, None),
        ("valid (simplejwt AccessToken)", str(access), True, None),
        ("simplejwt RefreshToken", str(refresh), False, None),
        ("wrong token_type", jwt.encode(claims(token_type="refresh"), SECRET, algorithm="HS256"), False, None),
        ("token_type missing", jwt.encode(claims(token_type=DROP), SECRET, algorithm="HS256"), False, None),
        ("jti missing", jwt.encode(claims(jti=DROP), SECRET, algorithm="HS256"), False, None),
        ("user_id missing", jwt.encode(claims(user_id=DROP), SECRET, algorithm="HS256"), False, None),
        ("exp missing", jwt.encode(claims(exp=DROP), SECRET, algorithm="HS256"), False, None),
        ("expired", jwt.encode(claims(exp=now - 10), SECRET, algorithm="HS256"), False, None),
        ("other key", jwt.encode(base, "another-secret-of-at-least-32-bytes!", algorithm="HS256"), False, None),
        ("alg none, no signature", b64(b'{"alg":"none","typ":"JWT"}') + "." + payload + ".", False, None),
        ("alg none, HS256 MAC", by_hand('{"alg":"none","typ":"JWT"}', json.dumps(base)), False, None),
        ("no alg, HS256 MAC", by_hand('{"typ":"JWT"}', json.dumps(base)), False, None),
        ("HS512, valid MAC", jwt.encode(base, SECRET, algorithm="HS512"), False, None),
        ("HS512 header, HS256 MAC", by_hand('{"alg":"HS512","typ":"JWT"}', json.dumps(base)), False, None),
        ("b64 false, valid MAC", by_hand('{"alg":"HS256","b64":false,"crit":["b64"]}', json.dumps(base)), False, None),
        ("tampered payload", header + "." + b64(json.dumps(claims(user_id=1)).encode()) + "." + signature, False, None),
        ("tampered signature", header + "." + payload + "." + signature[:-2] + ("AA" if signature[-2:] != "AA" else "BA"),
         False, None),
        ("four segments", good + ".e30", False, None),
        ("two segments", header + "." + payload, False, None),
        ("empty segments", "..", False, None),
        ("not base64", "not.a.token", False, None),
        ("nbf in the future", jwt.encode(claims(nbf=now + 600), SECRET, algorithm="HS256"), False, None),
        ("iat in the future", jwt.encode(claims(iat=now + 600), SECRET, algorithm="HS256"), False, None),
        ("nbf in the past", jwt.encode(claims(nbf=now - 600), SECRET, algorithm="HS256"), True, None),
    ]
    body = json.dumps(base)[1:-1]
    cases += [
        ("repeated exp, the last valid", by_hand(HS256, '{"exp":%d,%s}' % (now - 10, body)), True, None),
        ("repeated exp, the last expired", by_hand(HS256, '{%s,"exp":%d}' % (body, now - 10)), False, None),
    ]
    # Trailing junk in each segment, the MAC left as it was (what anyone can send), then with a MAC over the
    # junk (what only the secret's holder can make). PyJWT pads a segment to a multiple of 4 and decodes it
    # with base64.urlsafe_b64decode, which skips characters outside the alphabet and stops after padding:
    # whether the junk is then ignored depends on the segment's length, so these are the ones it takes for
    # this header (36 characters), payload (111) and HS256 signature (43).
    lenient = {("signature", "="), ("signature", "=="), ("signature", "=AAAA"), ("header", "="), ("header", "=="),
               ("header", "!"), ("payload", "="), ("payload", "=="), ("payload", "=AAAA")}
    assert (len(header), len(payload), len(signature)) == (36, 111, 43), (len(header), len(payload), len(signature))
    # ("%3D" reaches ypa as "=": Debian's cpp-httplib percent-decodes header values.)
    for junk in ("=", "==", "=AAAA", "!", "%3D", "*x"):
        for i, name in enumerate(("header", "payload", "signature")):
            segments = [header, payload, signature]
            segments[i] += junk
            token = ".".join(segments)
            if name == "signature":
                cases.append(("%s + %r" % (name, junk), token, False, STRICT_B64 if (name, junk) in lenient else None))
            else:
                cases.append(("%s + %r" % (name, junk), token, False, None))
                cases.append(("%s + %r, MAC over it" % (name, junk), resign(token), False,
                              STRICT_B64 if (name, junk) in lenient else None))
    # Other spellings of the same bytes. 43 characters carry 258 bits for 256: the last one's low 2 bits
    # are unused, and PyJWT takes any value there.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    alt = signature[:-1] + alphabet[alphabet.index(signature[-1]) | 1]
    cases.append(("signature, unused bits set", header + "." + payload + "." + alt, False, STRICT_B64))
    # The standard alphabet's '+' and '/' for '-' and '_': the signature of a token whose signature has them.
    for i in range(1000):
        h, p, s = jwt.encode(claims(jti="edge-%d" % i), SECRET, algorithm="HS256").split(".")
        if "-" in s or "_" in s:
            cases.append(("signature with '+' and '/'", h + "." + p + "." + s.replace("-", "+").replace("_", "/"),
                          False, STRICT_B64))
            break

    # Numeric claims: huge, negative, floats, strings, other JSON types.
    for claim, literal, accepted, note in [
        ("exp", huge, False, DATETIME),  # PyJWT: far in the future; simplejwt: year out of range
        ("exp", "-" + huge, False, None),
        ("exp", too_long, False, None),
        ("exp", "1e400", False, None),  # float infinity: int() raises OverflowError
        ("exp", "-1e400", False, None),
        ("exp", "1e300", False, DATETIME),
        ("exp", "%d.5" % (now + 600), True, None),
        ("exp", "253402300799", True, None),  # 9999-12-31 23:59:59, the last second a datetime holds
        ("exp", "253402300800", False, DATETIME),
        ("exp", json.dumps(str(now + 600)), False, DATETIME),
        ("exp", json.dumps(huge), False, DATETIME),
        ("exp", "true", False, None),
        ("exp", "null", False, None),
        ("exp", "[]", False, None),
        ("exp", "{}", False, None),
        ("iat", huge, False, None),
        ("iat", "-" + huge, True, None),
        ("iat", "-" + too_long, False, None),
        ("iat", "1e400", False, None),
        ("iat", "-1e400", False, None),
        ("iat", "-1e300", True, None),
        ("iat", "%d.5" % (now - 60), True, None),
        ("iat", "-1", True, None),
        ("iat", "true", True, None),
        ("iat", json.dumps(str(now - 60)), False, None),  # a string compared with a number: TypeError
        ("iat", json.dumps(huge), False, None),
        ("iat", "null", False, None),
        ("iat", '"x"', False, None),
        ("nbf", huge, False, None),
        ("nbf", "-" + huge, True, None),
        ("nbf", "-" + too_long, False, None),
        ("nbf", "1e400", False, None),
        ("nbf", "-1e400", False, None),
        ("nbf", "-1e300", True, None),
        ("nbf", "%d.9" % now, True, None),  # int() truncates to now
        ("nbf", "-1", True, None),
        ("nbf", json.dumps(str(now - 60)), True, None),  # int("...") works
        ("nbf", json.dumps(" -1_000 "), True, None),
        ("nbf", json.dumps(str(now + 600)), False, None),
        ("nbf", json.dumps(huge), False, None),
        ("nbf", json.dumps("-" + huge), True, None),
        ("nbf", json.dumps("-" + too_long), False, None),
        ("nbf", json.dumps("1__0"), False, None),
        ("nbf", json.dumps("0x10"), False, None),
        ("nbf", json.dumps(""), False, None),
        ("nbf", "false", True, None),
        ("nbf", "[]", False, None),
    ]:
        short = literal if len(literal) < 24 else literal[:12] + "...(%d chars)" % len(literal)
        cases.append(("%s = %s" % (claim, short), by_hand(HS256, raw(**{claim: literal})), accepted, note))
    cases += [
        ("huge number elsewhere", by_hand(HS256, raw(extra=huge)), True, None),
        ("1e400 elsewhere", by_hand(HS256, raw(extra="1e400")), True, None),
        ("too long integer elsewhere", by_hand(HS256, raw(extra=too_long)), False, None),
        ("huge number in the header", by_hand('{"alg":"HS256","typ":"JWT","x":%s}' % huge, json.dumps(base)),
         True, None),
    ]
    return cases



def simplejwt_reference(secret):
    """simplejwt's stateless authenticator, configured like the Django application (USE_TZ, HS256)."""
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY=secret, USE_TZ=True, USE_I18N=False,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        SIMPLE_JWT={"SIGNING_KEY": secret, "ALGORITHM": "HS256"})
    django.setup()
    from rest_framework import exceptions
    from rest_framework_simplejwt import authentication, tokens

    class Request:
        def __init__(self, header):
            self.META = {"HTTP_AUTHORIZATION": header}

    def decide(token):
        """("accept", None) | ("401", body) | ("raise", exception name)."""
        try:
            user = authentication.JWTStatelessUserAuthentication().authenticate(Request("Bearer " + token))
        except exceptions.AuthenticationFailed as e:
            return "401", json.loads(json.dumps(e.detail))
        except Exception as e:  # Django answers 500
            return "raise", type(e).__name__
        return ("accept", None) if user else ("anonymous", None)

    return tokens, decide


def pyjwt_accepts(jwt, token):
    try:
        p = jwt.decode(token, SECRET, algorithms=["HS256"])
    except Exception:
        return False
    return "exp" in p and "jti" in p and p.get("token_type") == "access" and "user_id" in p


def start_with_secret(ypa, env, secret):
    """Starts `ypa serve` with API_JWT_SECRET=secret: ("exited", code, stderr) or ("listening", None, stderr)
    once /healthz answers; the server is stopped either way."""
    port = common.free_port()
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([ypa, "serve", "--listen", "127.0.0.1:%d" % port], env=dict(env, API_JWT_SECRET=secret),
                            stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                err.seek(0)
                return "exited", proc.returncode, err.read()
            try:
                common.get("http://127.0.0.1:%d" % port, "/healthz")
                return "listening", None, ""
            except OSError:
                time.sleep(0.05)
        return "neither exited nor listening in 60 s", None, ""
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)
        err.close()


def start_refusals(ypa, env):
    """An empty or short API_JWT_SECRET: exit 2 before listening, one line that names the variable; 32 bytes
    (the minimum) starts."""
    failures = []
    for label, secret in [("empty", ""), ("of 31 bytes", "s" * 31), ("of 8 bytes", "insecure")]:
        state, code, stderr = start_with_secret(ypa, env, secret)
        lines = stderr.strip().splitlines()
        ok = state == "exited" and code == 2 and len(lines) == 1 and "API_JWT_SECRET" in lines[0]
        print("%-4s a secret %s: %s %s %s" % ("ok" if ok else "FAIL", label, state, "" if code is None else code,
                                             stderr.strip()[:200]))
        if not ok:
            failures.append("secret " + label)
    state, code, stderr = start_with_secret(ypa, env, "b" * 32)
    print("%-4s a secret of 32 bytes: %s %s" % ("ok" if state == "listening" else "FAIL", state, stderr.strip()[:200]))
    if state != "listening":
        failures.append("secret of 32 bytes")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ypa", required=True)
    args = ap.parse_args()
    import jwt

    # No database: ClickHouse and PostgreSQL point at closed ports, which no request here reaches.
    env = dict(os.environ, CLICKHOUSE_HOST="127.0.0.1", CLICKHOUSE_PORT=str(common.free_port()),
               PGHOST="127.0.0.1", PGPORT=str(common.free_port()), API_JWT_SECRET=SECRET)
    env.pop("DATABASE_URL", None)
    failures = start_refusals(args.ypa, env)

    simplejwt_tokens, simplejwt_decide = simplejwt_reference(SECRET)
    server = common.Server([args.ypa, "serve", "--listen", "127.0.0.1:{port}"], env, "/healthz")
    try:
        now = int(time.time())
        for label, token, expected, note in tokens(jwt, simplejwt_tokens, now):
            status, headers, raw_body = common.get(server.base, "/api/runs/",
                                                   {"Authorization": "Bearer " + token}, method="OPTIONS")
            ypa_accepts = status == 200
            ref, ref_detail = simplejwt_decide(token)
            problems = []
            if status not in (200, 401):
                problems.append("ypa answered %d" % status)
            if ypa_accepts != expected:
                problems.append("ypa %s it" % ("accepted" if ypa_accepts else "refused"))
            ref_expected = ("accept",) if expected or note == STRICT_B64 else ("401", "raise")
            if ref not in ref_expected:
                problems.append("simplejwt: %s %s" % (ref, ref_detail))
            pyjwt = pyjwt_accepts(jwt, token)
            if pyjwt != (expected or note in (STRICT_B64, DATETIME)):
                problems.append("PyJWT %s it" % ("accepted" if pyjwt else "refused"))
            if status == 401:
                body = json.loads(raw_body)
                want = ref_detail if ref == "401" else {
                    "detail": "Given token not valid for any token type", "code": "token_not_valid",
                    "messages": [{"token_class": "AccessToken", "token_type": "access", "message": INVALID}]}
                if body != want:
                    problems.append("body %s, simplejwt's %s" % (raw_body.decode(), json.dumps(want)))
                if headers.get("www-authenticate") != 'Bearer realm="api"':
                    problems.append("WWW-Authenticate %r" % headers.get("www-authenticate"))
            reference = ref if ref != "401" else "401 " + ref_detail.get("messages", [{}])[0].get(
                "message", ref_detail.get("detail"))
            print("%-4s %-42s ypa %d  simplejwt %-40s%s" % ("FAIL" if problems else "ok", label[:42], status,
                                                          reference[:40], ("  [%s]" % note) if note else ""))
            for p in problems:
                print("       " + p)
            if problems:
                failures.append(label)
    finally:
        server.stop()
    if failures:
        print("\n%d failures: %s" % (len(failures), ", ".join(failures)))
        return 1
    print("\nall tokens answered as simplejwt does (differences as listed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
