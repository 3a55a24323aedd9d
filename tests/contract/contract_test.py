#!/usr/bin/python3
"""Contract test (CTest label `contract`): `ypa serve` and the Django REST Framework reference in
drf_reference/ answer the same requests over the same ClickHouse tables; status, body (byte for byte)
and the auth/redirect headers must be equal, apart from the host in URLs. Any 5xx from `ypa serve` fails,
503 included, whatever the reference answers: ClickHouse is up, so it is a bug, not an outage. The data requests are asked twice
of `ypa serve`: as they are, and with a browser's `Accept-Encoding: gzip, deflate, br`, where answers of
200 bytes or more must come gzipped (as Django's GZipMiddleware would send them) and decode, with
Python's gzip module, to the reference's JSON.

    eval "$(ypa stack env)"; /usr/bin/python3 tests/contract/contract_test.py --ypa build/ypa
"""
import argparse
import gzip
import json
import sys
import time

import jwt

import api_common as common


def requests(slug, scope):
    """(path, expectation note). Covers filters, ordering, pagination edges, empty results, bad input."""
    return [
        # overall-bars: filters, ordering, pagination
        "/api/overall-bars/",
        "/api/overall-bars/?iphone=3&limit=5",
        "/api/overall-bars/?iphone=3&limit=5&offset=5",
        "/api/overall-bars/?iphone=3&limit=5&offset=3",
        "/api/overall-bars/?iphone__in=1,2,5&ordering=-bucket&limit=7&offset=14",
        "/api/overall-bars/?iphone=3&ordering=-mean,iphone&limit=4",
        "/api/overall-bars/?ordering=shop_count,-iphone,unknown&limit=3&offset=2",
        "/api/overall-bars/?ordering=nonsense&limit=3",
        "/api/overall-bars/?bucket__gte=2025-04-02T10:00:00%2B09:00&bucket__lte=2025-04-02T11:00&limit=50",
        "/api/overall-bars/?bucket__gte=2025-04-02&iphone=4&limit=2",
        "/api/overall-bars/?bucket__gte=2025-04-01T15:00:00Z&bucket__lte=2025-04-01T16:00:00.5Z&iphone=2",
        "/api/overall-bars/?iphone=3.0&limit=1",
        "/api/overall-bars/?iphone=3.5",
        "/api/overall-bars/?iphone=99999",
        "/api/overall-bars/?iphone__in=&limit=2",
        "/api/overall-bars/?iphone__in=,&limit=2",
        "/api/overall-bars/?limit=0",
        "/api/overall-bars/?limit=-3&offset=-1",
        "/api/overall-bars/?limit=abc&offset=x",
        "/api/overall-bars/?limit=20000&iphone=1",
        "/api/overall-bars/?limit=2&offset=1000000",
        "/api/overall-bars/?limit=%201_0%20&offset=%2B5&iphone=1",
        "/api/overall-bars/?iphone=3&limit=2&extra=keep%20me&z=%E6%9D%B1%E4%BA%AC",
        "/api/overall-bars/?run_id=nosuchrun",
        "/api/overall-bars/?run_id=bf1&iphone=2&limit=3",
        # bad parameters
        "/api/overall-bars/?iphone=abc",
        "/api/overall-bars/?iphone__in=1,x,3",
        "/api/overall-bars/?bucket__gte=yesterday&bucket__lte=2025-13-01",
        "/api/overall-bars/?bucket__gte=2025-02-30",
        "/api/overall-bars/?run_id=bad-id&iphone=NaN",
        "/api/overall-bars/?run_id=" + "x" * 65,
        # points
        "/api/overall-bars/points/?iphone=3",
        "/api/overall-bars/points/?iphone=3&bucket__gte=2025-04-02T00:00&bucket__lte=2025-04-02T06:00",
        "/api/overall-bars/points/?iphone=424242",
        "/api/overall-bars/points/?iphone=zz",
        # cohorts
        "/api/cohort-bars/?limit=5",
        "/api/cohort-bars/?cohort__slug=%s&ordering=-bucket&limit=3&offset=3" % slug,
        "/api/cohort-bars/?cohort__slug__in=%s,none&ordering=n_models,-cohort&limit=4" % slug,
        "/api/cohort-bars/?cohort__slug=%20%20&limit=2",
        "/api/cohort-bars/?cohort__slug=missing",
        "/api/cohort-bars/points/?cohort__slug=%s&bucket__lte=2025-04-01T03:00" % slug,
        "/api/cohort-bars/points/?cohort__slug=missing",
        # features
        "/api/features/?limit=10",
        "/api/features/?scope=%s&name=ema_120&limit=5&offset=2" % scope,
        "/api/features/?scope=%s&name__in=sma_900,boll_up_120,wma_1800&ordering=-value&limit=6" % scope,
        "/api/features/?scope__in=%s,iphone:4&name=boll_width_1800&ordering=scope,-bucket&limit=4" % scope,
        "/api/features/?name=ema_121",
        "/api/features/?name__in=ema_120,nope",
        "/api/features/?name__in=,&limit=3",
        "/api/features/?name=ema_120&name__in=sma_120",
        "/api/features/points/?scope=%s&name=ema_900&bucket__lte=2025-04-01T05:00" % scope,
        # purchasing-time-analyses
        "/api/purchasing-time-analyses/?limit=3",
        "/api/purchasing-time-analyses/?shop=2&iphone=1&limit=4&offset=4",
        "/api/purchasing-time-analyses/?shop__in=1,3&iphone__in=2&ordering=price_new,-shop&limit=5",
        "/api/purchasing-time-analyses/?Timestamp_Time__gte=2025-04-02T12:00&Timestamp_Time__lte=2025-04-02T12:15"
        "&iphone=5&ordering=Timestamp_Time",
        "/api/purchasing-time-analyses/?shop=abc&Timestamp_Time__gte=bad",
        "/api/purchasing-time-analyses/?shop=777",
        "/api/purchasing-time-analyses/compact/?iphone=7&limit=4&offset=8",
        "/api/purchasing-time-analyses/compact/?shop__in=4,5&ordering=-price_a&limit=3",
        # shop-health
        "/api/shop-health/?limit=5",
        "/api/shop-health/?shop=2&limit=4&offset=4",
        "/api/shop-health/?shop__in=1,3&ordering=-records_read,shop&limit=5",
        "/api/shop-health/?bucket__gte=2025-04-02T12:00&bucket__lte=2025-04-02T15:00&ordering=-filtered_share",
        "/api/shop-health/?ordering=-price_ratio_median,last_recorded_at&limit=3",
        "/api/shop-health/?ordering=-updated_at,iphones&limit=2&offset=7",
        "/api/shop-health/?run_id=bf1&shop=4&limit=3",
        "/api/shop-health/?shop=abc&bucket__gte=bad",
        "/api/shop-health/?shop__in=1,x",
        "/api/shop-health/?shop=777",
        # routing
        "/api/overall-bars?iphone=3&limit=1",
        # Large answers, thousands of floats each: the same bytes, not only the same values.
        "/api/overall-bars/?limit=10000&ordering=-dispersion",
        "/api/features/points/?scope=iphone:3",
        "/api/purchasing-time-analyses/?limit=10000",
        "/api/nothing-here/",
    ]


def normalise(body, base):
    text = body.decode("utf-8")
    try:
        return json.loads(text.replace(base, "http://HOST"))
    except ValueError:
        return text


BROWSER_ENCODINGS = "gzip, deflate, br"


def decoded(answer):
    """The body of a ypa answer to BROWSER_ENCODINGS, and what is wrong with its encoding."""
    status, headers, body = answer
    problems = []
    if "accept-encoding" not in headers.get("vary", "").lower():
        problems.append("Vary %r lacks Accept-Encoding" % headers.get("vary"))
    encoding = headers.get("content-encoding")
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding is not None:
        problems.append("Content-Encoding %r, asked for %r" % (encoding, BROWSER_ENCODINGS))
    if encoding != "gzip" and len(body) >= 200:
        problems.append("%d bytes not gzipped" % len(body))
    if encoding == "gzip" and len(body) < 200:
        problems.append("%d bytes gzipped (under 200)" % len(body))
    return (status, headers, body), problems


def compare(label, ypa, ref, path, headers=None, method="GET", browser=False):
    a = common.get(ypa.base, path, dict(headers or {}, **({"Accept-Encoding": BROWSER_ENCODINGS} if browser else {})),
                   method)
    b = common.get(ref.base, path, headers, method)
    problems = []
    if browser:
        a, problems = decoded(a)
    if a[0] >= 500:
        problems.append("server error %d while ClickHouse is up" % a[0])
    if a[0] != b[0]:
        problems.append("status %d vs reference %d" % (a[0], b[0]))
    if a[0] == b[0] and a[0] != 301 and normalise(a[2], ypa.base) != normalise(b[2], ref.base):
        problems.append("body differs:\n  ypa: %s\n  ref: %s" % (a[2][:600], b[2][:600]))
    elif a[0] == b[0] and a[0] != 301:
        text_a = a[2].replace(ypa.base.encode(), b"http://HOST")
        text_b = b[2].replace(ref.base.encode(), b"http://HOST")
        if text_a != text_b:
            at = next((i for i, (x, y) in enumerate(zip(text_a, text_b)) if x != y), min(len(text_a), len(text_b)))
            problems.append("same JSON, other bytes, from byte %d:\n  ypa: %s\n  ref: %s" % (
                at, text_a[max(0, at - 40):at + 60], text_b[max(0, at - 40):at + 60]))
    for h in ("www-authenticate", "location", "allow"):
        if a[1].get(h) != b[1].get(h):
            problems.append("header %s: %r vs reference %r" % (h, a[1].get(h), b[1].get(h)))
    print("%s %s %s %d" % ("ok  " if not problems else "FAIL", label, path[:110], a[0]))
    for p in problems:
        print("     " + p)
    return not problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ypa", required=True)
    args = parser.parse_args()
    data = common.Dataset(args.ypa, "contract")
    ypa = ref = None
    try:
        data.pipeline("bf1", "2025-04-02", "2025-04-02")
        slug = data.clickhouse("SELECT substring(scope, 8) FROM %s.features_wide WHERE scope LIKE 'cohort:%%' "
                               "ORDER BY scope LIMIT 1" % data.name).strip()
        ypa = common.start_ypa(args.ypa, data.env, {"API_CACHE_MS": "0"})
        ref = common.start_reference(data.env)
        tokens = common.simplejwt()
        access = tokens.AccessToken()
        access["user_id"] = 42
        auth = {"Authorization": "Bearer %s" % access}

        ok = 0
        total = 0
        for browser in (False, True):
            for path in requests(slug, "iphone:3"):
                total += 1
                ok += compare("data (gzip)" if browser else "data", ypa, ref, path, auth, browser=browser)

        # Authentication: simplejwt's own tokens, good and bad, and malformed headers.
        refresh = tokens.RefreshToken()
        refresh["user_id"] = 42
        now = int(time.time())
        payload = {"token_type": "access", "exp": now + 300, "iat": now, "jti": "abc", "user_id": "7"}
        cases = {
            "access (string user_id)": jwt.encode(payload, common.SECRET, algorithm="HS256"),
            "expired": jwt.encode(dict(payload, exp=now - 10), common.SECRET, algorithm="HS256"),
            "other key": jwt.encode(payload, "not-the-secret", algorithm="HS256"),
            "refresh": str(refresh),
            "HS512": jwt.encode(payload, common.SECRET, algorithm="HS512"),
            "no exp": jwt.encode({k: v for k, v in payload.items() if k != "exp"}, common.SECRET, algorithm="HS256"),
            "no jti": jwt.encode({k: v for k, v in payload.items() if k != "jti"}, common.SECRET, algorithm="HS256"),
            "no user_id": jwt.encode({k: v for k, v in payload.items() if k != "user_id"}, common.SECRET,
                                     algorithm="HS256"),
            "garbage": "not.a.token",
        }
        auth_results = {}
        for label, token in cases.items():
            total += 1
            good = compare("auth " + label, ypa, ref, "/api/overall-bars/?limit=1",
                           {"Authorization": "Bearer " + token})
            ok += good
            auth_results[label] = common.get(ypa.base, "/api/overall-bars/?limit=1",
                                             {"Authorization": "Bearer " + token})[0]
        for label, headers in {"no header": {}, "basic": {"Authorization": "Basic dXNlcjpwdw=="},
                               "three parts": {"Authorization": "Bearer a b"},
                               "empty bearer": {"Authorization": "Bearer"}}.items():
            total += 1
            ok += compare("auth " + label, ypa, ref, "/api/cohort-bars/?limit=1", headers)
        total += 1
        ok += compare("method", ypa, ref, "/api/features/", auth, method="POST")

        print("\n%d of %d requests answered the same" % (ok, total))
        expect = {"access (string user_id)": 200, "expired": 401, "other key": 401, "refresh": 401}
        for label, status in expect.items():
            if auth_results.get(label) != status:
                print("FAIL ypa answered %s with %s, expected %d" % (label, auth_results.get(label), status))
                ok -= 1
        simplejwt_status = common.get(ypa.base, "/api/overall-bars/?limit=1", auth)[0]
        print("simplejwt AccessToken accepted by ypa serve: %s" % (simplejwt_status == 200))
        if simplejwt_status != 200:
            ok -= 1
        return 0 if ok == total else 1
    finally:
        for server in (ypa, ref):
            if server:
                server.stop()
        data.drop()


if __name__ == "__main__":
    sys.exit(main())
