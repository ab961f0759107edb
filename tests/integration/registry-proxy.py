#!/usr/bin/env python3
"""A small HTTP proxy in front of a docker-registry, for the registry tests.

    registry-proxy.py --upstream HOST:PORT --port-file FILE --log FILE MODE...

It listens on 127.0.0.1 (a free port, written to --port-file once it
listens), forwards every request to the upstream registry, and, as MODE
says, misbehaves:

  --drop-blobs          a blob GET without a Range gets half its body, then
                        the connection is closed (ranged GETs are served)
  --corrupt-blob DIGEST that blob's body has one byte changed
  --truncate-blob DIGEST that blob is 100 bytes shorter than it is, whatever
                        is asked (a Range past its end is answered 416)
  --long-blob DIGEST    that blob has 1 MiB of zeros more than it is
  --token USER:PASS     Bearer auth of our own: /token issues tokens (Basic
                        USER:PASS checked when given, "-" for anonymous),
                        every /v2/ request needs a live one
  --token-ttl SECS      how long a token lives (default 300)
  --advertise-ttl SECS  the expires_in the token answer claims (default: the ttl)
  --delay-blobs SECS    wait this long (after the auth check) before each blob GET
  --hostile KIND        manifest GETs are answered badly: huge, html,
                        bad-json, schema1, config-type, redirect-loop,
                        wrong-digest, token-garbage

Every request is logged to --log as "METHOD PATH range=… status=…", and
token grants as "TOKEN scope=…", so that tests can see what happened."""
import argparse
import base64
import http.client
import http.server
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import urllib.parse

ARGS = None
LOG_LOCK = threading.Lock()
TOKENS = {}  # token -> expiry
BLOB_RE = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
MANIFEST_RE = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
REPO_RE = re.compile(r"^/v2/(.+)/(blobs|manifests|tags)/")


def log(line):
    with LOG_LOCK:
        with open(ARGS.log, "a") as f:
            f.write(line + "\n")


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    # -- helpers -----------------------------------------------------------

    def body_in(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.command != "HEAD" or "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        log("%s %s range=%s status=%d" % (self.command, self.path, self.headers.get("Range", "-"), status))

    def upstream(self, method=None, path=None, headers=None, body=None, whole=False):
        conn = http.client.HTTPConnection(ARGS.upstream, timeout=60)
        drop = ("authorization", "connection", "transfer-encoding", "content-length") + (("range",) if whole else ())
        h = {}
        for k, v in self.headers.items():
            if k.lower() not in drop:
                # repeated headers (Accept) become one list
                h[k] = h[k] + ", " + v if k in h else v
        h.update(headers or {})
        data = body if body is not None else self.body_in()
        if data or self.command in ("PUT", "POST", "PATCH"):
            h["Content-Length"] = str(len(data))
        conn.request(method or self.command, path or self.path, body=data or None, headers=h)
        return conn, conn.getresponse()

    def whole_blob(self, path):
        conn, r = self.upstream(method="GET", path=path, whole=True)
        data = r.read()
        conn.close()
        return r.status, data

    # -- auth ----------------------------------------------------------------

    def challenge(self):
        m = REPO_RE.match(self.path)
        action = "pull,push" if self.command in ("PUT", "POST", "PATCH", "DELETE") else "pull"
        scope = ',scope="repository:%s:%s"' % (m.group(1), action) if m else ""
        port = self.server.server_address[1]
        return {"WWW-Authenticate": 'Bearer realm="http://127.0.0.1:%d/token",service="test-registry"%s'
                % (port, scope), "Content-Type": "application/json"}

    def token_ok(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        exp = TOKENS.get(auth[7:])
        return exp is not None and exp > time.time()

    def issue_token(self):
        if ARGS.hostile == "token-garbage":
            return self.reply(200, b"<html>not a token</html>", {"Content-Type": "text/html"})
        user, _, password = ARGS.token.partition(":")
        if user != "-":
            auth = self.headers.get("Authorization", "")
            want = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
            if auth != want:
                log("TOKEN refused")
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}',
                                  {"Content-Type": "application/json"})
        tok = secrets.token_hex(16)
        TOKENS[tok] = time.time() + ARGS.token_ttl
        q = urllib.parse.unquote(self.path.partition("?")[2])
        log("TOKEN %s" % q)
        adv = ARGS.advertise_ttl if ARGS.advertise_ttl is not None else ARGS.token_ttl
        body = json.dumps({"token": tok, "expires_in": adv}).encode()
        return self.reply(200, body, {"Content-Type": "application/json"})

    # -- hostile answers -------------------------------------------------------

    def hostile_manifest(self):
        kind = ARGS.hostile
        if kind == "huge":
            body = b'{"schemaVersion":2,"pad":"' + b"x" * (5 << 20) + b'"}'
            return self.reply(200, body, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        if kind == "html":
            return self.reply(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"})
        if kind == "bad-json":
            return self.reply(200, b'{"schemaVersion": 2, "layers": [',
                              {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        if kind == "schema1":
            body = b'{"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": []}'
            return self.reply(200, body, {"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"})
        if kind == "redirect-loop":
            return self.reply(307, b"", {"Location": self.path})
        conn, r = self.upstream()
        data = r.read()
        conn.close()
        headers = {"Content-Type": r.getheader("Content-Type", "")}
        if kind == "config-type":
            headers["Content-Type"] = "application/vnd.oci.image.config.v1+json"
        if kind == "wrong-digest":
            headers["Docker-Content-Digest"] = "sha256:" + "0" * 64
        return self.reply(r.status, data, headers)

    # -- blobs -----------------------------------------------------------------

    def blob(self, digest):
        if ARGS.delay_blobs and self.command == "GET":
            time.sleep(ARGS.delay_blobs)
        rng = self.headers.get("Range")
        if ARGS.drop_blobs and not rng and self.command == "GET":
            conn, r = self.upstream()
            if r.status != 200:
                data = r.read()
                conn.close()
                return self.reply(r.status, data, {"Content-Type": r.getheader("Content-Type", "")})
            total = int(r.getheader("Content-Length"))
            half = r.read(total // 2)
            conn.close()
            self.send_response(200)
            self.send_header("Content-Length", str(total))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.write(half)
            self.wfile.flush()
            log("GET %s range=- status=200 dropped-after=%d" % (self.path, len(half)))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        special = digest in (ARGS.corrupt_blob, ARGS.truncate_blob, ARGS.long_blob)
        if not special or self.command != "GET":
            return self.forward()
        status, data = self.whole_blob(self.path)
        if status != 200:
            return self.reply(status, data)
        if digest == ARGS.corrupt_blob:
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
        elif digest == ARGS.truncate_blob:
            data = data[:-100]
        else:
            data = data + b"\0" * (1 << 20)
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                return self.reply(416, b"", {"Content-Range": "bytes */%d" % len(data)})
            part = data[start:]
            return self.reply(206, part, {"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data)),
                                          "Content-Type": "application/octet-stream"})
        return self.reply(200, data, {"Content-Type": "application/octet-stream"})

    # -- dispatch --------------------------------------------------------------

    def forward(self):
        conn, r = self.upstream()
        self.send_response(r.status)
        length = None
        for k, v in r.getheaders():
            if k.lower() in ("connection", "transfer-encoding", "keep-alive"):
                continue
            if k.lower() == "content-length":
                length = v
            self.send_header(k, v)
        data = b""
        if length is None:
            data = r.read()
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            if length is None:
                self.wfile.write(data)
            else:
                left = int(length)
                while left > 0:
                    chunk = r.read(min(left, 1 << 16))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
                    if ARGS.throttle and self.path.partition("?")[0].split("/")[-2:-1] == ["blobs"]:
                        time.sleep(len(chunk) / ARGS.throttle)
        conn.close()
        log("%s %s range=%s status=%d" % (self.command, self.path, self.headers.get("Range", "-"), r.status))

    def handle_any(self):
        path = self.path.partition("?")[0]
        if path == "/token":
            return self.issue_token()
        if ARGS.token and not self.token_ok():
            self.body_in()
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token needed"}]}',
                              self.challenge())
        m = MANIFEST_RE.match(path)
        if m and ARGS.hostile and ARGS.hostile != "token-garbage" and self.command == "GET":
            return self.hostile_manifest()
        m = BLOB_RE.match(path)
        if m and self.command in ("GET", "HEAD"):
            return self.blob(m.group(2))
        return self.forward()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--drop-blobs", action="store_true")
    p.add_argument("--corrupt-blob")
    p.add_argument("--truncate-blob")
    p.add_argument("--long-blob")
    p.add_argument("--token")
    p.add_argument("--token-ttl", type=int, default=300)
    p.add_argument("--advertise-ttl", type=int)
    p.add_argument("--hostile")
    p.add_argument("--delay-blobs", type=float, default=0)
    # blob bodies at most this many bytes a second: a transfer slow enough
    # to be watched
    p.add_argument("--throttle", type=float, default=0)
    ARGS = p.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    srv.daemon_threads = True
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
