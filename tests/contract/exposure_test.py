#!/usr/bin/python3
"""The Host header and pagination links of `ypa serve` (CTest label `contract`): links name the host the
client asked for, only when that host is allowed (API_ALLOWED_HOSTS, else 400 before the answer cache
sees it), and the configured API_BASE_URL behind a reverse proxy; X-Forwarded-Host is never trusted.
Over a real ClickHouse with two pipeline runs, so that /api/runs/?limit=1 has a `next` link.

    eval "$(ypa stack env)"; /usr/bin/python3 tests/contract/exposure_test.py --ypa build/ypa
"""
import argparse
import http.client
import json
import sys
import time

import jwt

import api_common as common

failures = []


def check(label, condition, detail=""):
    print("%-70s %s" % (label, "ok" if condition else "FAILED " + detail))
    if not condition:
        failures.append(label)


def ask(server, path, headers):
    """(status, body) of one GET with exactly these headers (Host included when given)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def next_link(server, path, headers):
    status, body = ask(server, path, headers)
    return status, (json.loads(body).get("next") if status == 200 else body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ypa", required=True)
    args = parser.parse_args()
    data = common.Dataset(args.ypa, "exposure")
    servers = []
    try:
        data.pipeline("bf1", "2025-04-02", "2025-04-02")
        now = int(time.time())
        token = jwt.encode({"token_type": "access", "exp": now + 600, "iat": now, "jti": "exposure", "user_id": 1},
                           common.SECRET, algorithm="HS256")
        auth = {"Authorization": "Bearer " + token}
        path = "/api/runs/?limit=1"

        # The defaults on a loopback address, with the response cache on (1 s) as shipped.
        ypa = common.start_ypa(args.ypa, data.env)
        servers.append(ypa)
        port = ypa.port
        for host in ("127.0.0.1:%d" % port, "localhost:%d" % port, "[::1]:%d" % port):
            status, link = next_link(ypa, path, dict(auth, Host=host))
            check("Host %s: the link names it" % host,
                  status == 200 and link == "http://%s/api/runs/?limit=1&offset=1" % host, "%s %s" % (status, link))
        status, body = ask(ypa, path, dict(auth, Host="evil.example.com"))
        check("Host evil.example.com: 400, Django's body", (status, body) == (400, '{"error":"Bad Request (400)"}'),
              "%s %s" % (status, body))
        status, body = ask(ypa, path, dict(auth, Host="evil.example.com:%d" % port))
        check("Host evil.example.com:port: 400", status == 400, "%s %s" % (status, body))
        # Refused before the cache: asked again by an allowed host, the cached answer names that host.
        status, link = next_link(ypa, path, dict(auth, Host="127.0.0.1:%d" % port))
        check("after refusals, the cached answer still names 127.0.0.1",
              link == "http://127.0.0.1:%d/api/runs/?limit=1&offset=1" % port, "%s %s" % (status, link))
        status, link = next_link(ypa, path, dict(auth, Host="127.0.0.1:%d" % port,
                                                 **{"X-Forwarded-Host": "evil.example.com"}))
        check("X-Forwarded-Host is not trusted", link == "http://127.0.0.1:%d/api/runs/?limit=1&offset=1" % port,
              "%s %s" % (status, link))

        # Behind a reverse proxy: links start with API_BASE_URL whichever allowed Host the proxy sends.
        proxied = common.start_ypa(args.ypa, data.env, {"API_BASE_URL": "https://prices.example.com/ypa/",
                                                        "API_ALLOWED_HOSTS": "prices.example.com,127.0.0.1"})
        servers.append(proxied)
        for host in ("prices.example.com", "127.0.0.1:%d" % proxied.port):
            status, link = next_link(proxied, path, dict(auth, Host=host))
            check("API_BASE_URL, Host %s: the link starts with the base URL" % host,
                  link == "https://prices.example.com/ypa/api/runs/?limit=1&offset=1", "%s %s" % (status, link))
        status, body = ask(proxied, path, dict(auth, Host="localhost:%d" % proxied.port))
        check("API_ALLOWED_HOSTS replaces the defaults: localhost refused", status == 400, "%s %s" % (status, body))
    finally:
        for s in servers:
            s.stop()
        data.drop()
    if failures:
        sys.exit("%d checks failed: %s" % (len(failures), ", ".join(failures)))
    print("all checks passed")


if __name__ == "__main__":
    main()
