#!/usr/bin/python3
"""A client of comfygate written the way its users write theirs: Python `requests`, one
Session (keep-alive connection pool) per user, strict about what comes back.

It walks every route family (kernel, MSS-Login, SwarmUI, ComfyUI through comfy-proxy,
model-download, Comfy Cloud) with a success and a refusal that carries a body, each refusal
followed by another request on the same connection, and checks on every response:
the status, a reason phrase that belongs to it, X-Request-Id, no Transfer-Encoding (and no
body) on 204/304, no body on HEAD, the JSON content type and shape, and that a keep-alive
connection the server did not announce closing is still usable (a desync or a silent close
shows up as a fresh connection for the next request).

Configuration comes from the environment (see README.md next to this file). Exits 1 at the
first failed check naming the route; prints "N passed, 0 failed" when all pass.
Run with /usr/bin/python3 (Debian's python3-requests).
"""

import base64
import json
import os
import re
import sys
import time
import uuid

import requests
import urllib3.connection

REASONS = {
    200: ("OK",),
    201: ("Created",),
    202: ("Accepted",),
    204: ("No Content",),
    206: ("Partial Content",),
    302: ("Found",),
    304: ("Not Modified",),
    400: ("Bad Request",),
    401: ("Unauthorized",),
    403: ("Forbidden",),
    404: ("Not Found",),
    405: ("Method Not Allowed",),
    409: ("Conflict",),
    413: ("Content Too Large", "Payload Too Large", "Request Entity Too Large"),
    422: ("Unprocessable Content", "Unprocessable Entity"),
    429: ("Too Many Requests",),
    500: ("Internal Server Error",),
    502: ("Bad Gateway",),
    503: ("Service Unavailable",),
}

# A keep-alive connection idle for less than this must still be usable (the gateway keeps
# them for http.keep_alive_seconds, 10 s by default), unless a Keep-Alive header says less.
REUSE_WINDOW_SECONDS = 2.0

# A 2x2 RGB PNG, made for this test.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4oaEBRAwQCgAhLgRhHuBtwgAAAABJRU5ErkJggg==")

# Every TCP connection urllib3 opens, counted, so that an unannounced drop of a keep-alive
# connection (which urllib3 repairs silently) can be told from a reuse.
_connects = 0
_original_new_conn = urllib3.connection.HTTPConnection._new_conn


def _counting_new_conn(self, *args, **kwargs):
    global _connects
    _connects += 1
    return _original_new_conn(self, *args, **kwargs)


urllib3.connection.HTTPConnection._new_conn = _counting_new_conn


class CheckFailed(Exception):
    pass


class Eq:
    """A shape that matches exactly one value."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return json.dumps(self.value)


class Any:
    def __repr__(self):
        return "any"


def describe(spec):
    if isinstance(spec, type):
        return spec.__name__
    if isinstance(spec, tuple):
        return " or ".join(describe(s) for s in spec)
    return repr(spec)


def check_shape(route, value, spec, where="body"):
    """Fails unless `value` matches `spec`: a type, a tuple of alternatives, Eq(v), Any(),
    {key: spec} (those keys at least) or [spec] (a list whose items all match)."""
    if isinstance(spec, tuple):
        for alternative in spec:
            try:
                check_shape(route, value, alternative, where)
                return
            except CheckFailed:
                pass
        raise CheckFailed(f"{route}: {where} is {json.dumps(value)[:200]}, expected {describe(spec)}")
    if isinstance(spec, Any):
        return
    if isinstance(spec, Eq):
        if value != spec.value or type(value) is not type(spec.value):
            raise CheckFailed(f"{route}: {where} is {json.dumps(value)[:200]}, expected {spec!r}")
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise CheckFailed(f"{route}: {where} is {json.dumps(value)[:200]}, expected an object")
        for key, inner in spec.items():
            if key not in value:
                raise CheckFailed(f"{route}: {where} has no {key!r}: {json.dumps(value)[:300]}")
            check_shape(route, value[key], inner, f"{where}.{key}")
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise CheckFailed(f"{route}: {where} is {json.dumps(value)[:200]}, expected a list")
        for index, item in enumerate(value):
            check_shape(route, item, spec[0], f"{where}[{index}]")
        return
    if spec is None:
        spec = type(None)
    matches = isinstance(value, spec)
    if spec in (int, float) and isinstance(value, bool):
        matches = False
    if spec is float and isinstance(value, int) and not isinstance(value, bool):
        matches = True
    if not matches:
        raise CheckFailed(f"{route}: {where} is {json.dumps(value)[:200]}, expected {describe(spec)}")


def reuse_window(keep_alive):
    """How long an idle connection must stay usable, shortened by a `Keep-Alive: timeout=N` hint."""
    match = re.search(r"timeout=(\d+)", keep_alive)
    return min(REUSE_WINDOW_SECONDS, int(match.group(1)) - 0.5) if match else REUSE_WINDOW_SECONDS


def ensure(route, condition, message):
    if not condition:
        raise CheckFailed(f"{route}: {message}")


class Result:
    def __init__(self, route, response, body):
        self.route = route
        self.response = response
        self.status = response.status_code
        self.headers = response.headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise CheckFailed(f"{self.route}: the body is not JSON: {self.body[:200]!r}")


class Client:
    """One user: one requests.Session, so one keep-alive connection reused request after request."""

    def __init__(self, run, name, headers=None):
        self.run = run
        self.name = name
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies, no .netrc: straight to the gateway
        self.session.headers.update(headers or {})
        self.last = None  # (route, announced Connection: close, monotonic end time, reuse window)

    def authorize(self, token):
        self.session.headers["Authorization"] = "Bearer " + token

    def call(self, method, path, status, *, json_body=None, data=None, files=None, headers=None, params=None,
             expect="json", shape=None):
        """One request; checks the framing and `expect` ("json", "empty", "bytes", "any")
        and, for JSON, `shape`. Returns a Result."""
        route = f"{method} {path} [{self.name}]"
        connects_before = _connects
        started = time.monotonic()
        try:
            response = self.session.request(method, self.run.base + path, json=json_body, data=data, files=files,
                                            headers=headers, params=params, timeout=30, allow_redirects=False)
            body = response.content
        except requests.RequestException as error:
            previous = f"; the previous request on this connection: {self.last[0]}" if self.last else ""
            if status in (204, 304) and isinstance(error, requests.exceptions.ChunkedEncodingError):
                previous += f" (a {status} sent with Transfer-Encoding: chunked?)"
            raise CheckFailed(f"{route}: {type(error).__name__}: {error}{previous}")
        reused = self.run.record(lambda: self.check_reuse(route, _connects - connects_before, started))
        closing = "close" in response.headers.get("Connection", "").lower()
        self.last = (f"{route} -> {response.status_code}", closing, time.monotonic(),
                     reuse_window(response.headers.get("Keep-Alive", "")))

        result = Result(route, response, body)
        if self.run.record(lambda: self.check_answer(result, method, status, expect, shape)) and reused:
            self.run.passed += 1
        return result

    def check_answer(self, result, method, status, expect, shape):
        self.check_framing(result, method, status)
        route, response = result.route, result.response
        if expect == "json":
            ensure(route, response.headers.get("Content-Type", "").startswith("application/json"),
                   f"Content-Type is {response.headers.get('Content-Type')!r}, expected application/json")
            value = result.json()
            if shape is not None:
                check_shape(route, value, shape)
        elif expect == "empty":
            ensure(route, result.body == b"", f"expected an empty body, got {result.body[:200]!r}")

    def check_reuse(self, route, new_connections, started):
        if self.last is None or new_connections == 0:
            return
        previous, closing, ended, window = self.last
        if not closing and started - ended < window:
            raise CheckFailed(
                f"{route}: needed a new connection: the keep-alive connection of the previous request "
                f"({previous}) was closed or had unread bytes on it, though that response did not say "
                f"Connection: close (request framing desync?)")

    @staticmethod
    def check_framing(result, method, status):
        route, response = result.route, result.response
        ensure(route, response.status_code == status,
               f"status {response.status_code}, expected {status}; body: {result.body[:300]!r}")
        reasons = REASONS.get(status, ())
        ensure(route, response.reason in reasons,
               f"reason phrase {response.reason!r} for status {status}, expected {' or '.join(map(repr, reasons))}")
        ensure(route, "X-Request-Id" in response.headers, "no X-Request-Id header")
        encoding = response.headers.get("Transfer-Encoding")
        if status in (204, 304):
            ensure(route, encoding is None, f"a {status} must not carry Transfer-Encoding (got {encoding!r})")
            ensure(route, response.headers.get("Content-Length", "0") == "0",
                   f"a {status} with Content-Length {response.headers.get('Content-Length')}")
            ensure(route, result.body == b"", f"a {status} with a body: {result.body[:100]!r}")
        if encoding is not None:
            ensure(route, "Content-Length" not in response.headers, "both Transfer-Encoding and Content-Length")
        if method == "HEAD":
            ensure(route, result.body == b"", f"a body on HEAD: {result.body[:100]!r}")


class Run:
    def __init__(self):
        self.base = os.environ["GATEWAY_URL"].rstrip("/")
        self.user = os.environ["GATEWAY_USER"]
        self.user_password = os.environ["GATEWAY_USER_PASSWORD"]
        self.admin = os.environ["GATEWAY_ADMIN"]
        self.admin_password = os.environ["GATEWAY_ADMIN_PASSWORD"]
        self.api_token = os.environ["GATEWAY_API_TOKEN"]
        self.checkpoint = os.environ.get("GATEWAY_CHECKPOINT", "sd15.safetensors")
        self.civitai_version = os.environ.get("GATEWAY_CIVITAI_VERSION", "1001")
        self.civitai_key = os.environ.get("GATEWAY_CIVITAI_KEY", "tok-ok")
        self.cloud_source_url = os.environ["GATEWAY_CLOUD_SOURCE_URL"]
        self.passed = 0
        self.failed = 0
        # GATEWAY_KEEP_GOING=1: report every failed check and go on (a family whose steps
        # cannot go on is abandoned) instead of stopping at the first one.
        self.keep_going = os.environ.get("GATEWAY_KEEP_GOING") == "1"
        self.tag = "py-" + uuid.uuid4().hex[:8]
        self.anonymous = Client(self, "anonymous")
        self.alice = Client(self, self.user)
        self.ada = Client(self, self.admin)
        self.cloud = Client(self, "api token", {"X-API-Key": self.api_token})
        self.alice_id = None

    def record(self, check):
        """Runs a check; True when it passed. A failure stops the run unless keep_going."""
        try:
            check()
            return True
        except CheckFailed as failure:
            if not self.keep_going:
                raise
            self.failed += 1
            print(f"FAILED {failure}", file=sys.stderr)
            return False

    # ---- kernel -------------------------------------------------------------------------

    def kernel(self):
        anon = self.anonymous
        anon.call("GET", "/healthz", 200, shape={"status": Eq("ok")})
        anon.call("HEAD", "/healthz", 200, expect="empty")
        anon.call("GET", "/readyz", 200, shape={"status": Eq("ready")})
        spec = anon.call("GET", "/openapi.json", 200, shape={"openapi": str, "paths": dict}).json()
        ensure("GET /openapi.json", spec["openapi"].startswith("3"), f"openapi {spec['openapi']!r}")
        for path in ("/healthz", "/login", "/mss-login/api/me", "/prompt", "/api/assets/download"):
            ensure("GET /openapi.json", path in spec["paths"], f"no {path} in paths")
        anon.call("HEAD", "/openapi.json", 200, expect="empty")
        for path in ("/healthz", "/prompt", "/mss-login/api/model-download/sources", "/API/GetNewSession",
                     "/no/such/route"):
            anon.call("OPTIONS", path, 200, expect="empty")
        # Refusals with a body, each followed by another request on the same connection.
        refused = anon.call("POST", "/healthz", 405, json_body={"probe": "x" * 64}, shape={"error": str})
        ensure("POST /healthz", "GET" in refused.headers.get("Allow", ""), f"Allow {refused.headers.get('Allow')!r}")
        anon.call("GET", "/healthz", 200, shape={"status": Eq("ok")})
        anon.call("PUT", "/no/such/route", 404, data=b"some bytes the server need not read", shape={"error": str})
        anon.call("GET", "/readyz", 200, shape={"status": Eq("ready")})

    # ---- auth / MSS-Login ---------------------------------------------------------------

    LOGIN = {"message": Eq("Login successful"), "jwt_token": str, "redirect_url": str, "expires_at": (int, str)}
    ME = {"username": str, "user_id": (str, int), "role": str, "groups": [str], "is_admin": bool, "is_owner": bool,
          "authenticated": Eq(True), "mfa_enabled": bool, "sfw_check": bool, "token_kind": str,
          "permissions": [str], "experimental_features": (dict, list)}

    def auth(self):
        alice, ada = self.alice, self.ada
        alice.call("POST", "/login", 401, json_body={"username": self.user, "password": "not the password"},
                   shape={"error": Eq("Invalid credentials")})
        login = alice.call("POST", "/login", 200, json_body={"username": self.user, "password": self.user_password},
                           shape=self.LOGIN)
        ensure("POST /login", "jwt_token" in login.response.cookies, "no jwt_token cookie")
        alice.session.cookies.clear()  # from here on the Bearer header alone says who this is
        alice.authorize(login.json()["jwt_token"])

        form = ada.call("POST", "/login", 200, data={"username": self.admin, "password": self.admin_password},
                        shape=self.LOGIN)
        ada.session.cookies.clear()
        ada.authorize(form.json()["jwt_token"])

        me = alice.call("GET", "/mss-login/api/me", 200, shape=dict(self.ME, username=Eq(self.user),
                                                                     is_admin=Eq(False))).json()
        self.alice_id = str(me["user_id"])
        ada.call("GET", "/mss-login/api/me", 200, shape=dict(self.ME, username=Eq(self.admin), is_admin=Eq(True)))
        self.anonymous.call("GET", "/mss-login/api/me", 200, shape={"authenticated": Eq(False)})

        # A user without can_have_api_tokens is refused; the connection carries on.
        alice.call("POST", "/mss-login/generate_token", 403, json_body={"label": self.tag}, shape={"error": str})
        alice.call("GET", "/mss-login/api/me", 200, shape={"username": Eq(self.user)})

        created = ada.call("POST", "/mss-login/generate_token", 200, json_body={"label": self.tag, "expire_hours": 1},
                           shape={"message": Eq("API token created."), "jwt_token": str, "expires_in_hours": int})
        token = created.json()["jwt_token"]
        ensure("POST /mss-login/generate_token", token.startswith("cgt_"), f"token {token[:8]!r}...")
        holder = Client(self, "new api token")
        holder.authorize(token)
        holder.call("GET", "/mss-login/api/me", 200, shape={"username": Eq(self.admin), "authenticated": Eq(True)})

        tokens = ada.call("GET", "/mss-login/api/tokens", 200, shape={"tokens": [
            {"token_hash_prefix": str, "label": str, "created_iso": str, "expires_iso": (str, None),
             "last_used_iso": (str, None)}]}).json()["tokens"]
        mine = [t for t in tokens if t["label"] == self.tag]
        ensure("GET /mss-login/api/tokens", len(mine) == 1, f"{len(mine)} tokens labelled {self.tag}")
        ada.call("DELETE", "/mss-login/api/tokens", 404, json_body={"token_hash_prefix": "0123456789abcdef"},
                 shape={"error": str})
        ada.call("DELETE", "/mss-login/api/tokens", 200, json_body={"token_hash_prefix": mine[0]["token_hash_prefix"]},
                 shape={"message": Eq("Token revoked.")})
        holder.call("GET", "/mss-login/api/tokens", 401, shape={"error": str})

        # /logout ends the session it is called with.
        leaving = Client(self, self.user + " (logout)")
        session = leaving.call("POST", "/login", 200, json_body={"username": self.user,
                                                                  "password": self.user_password},
                               shape=self.LOGIN).json()["jwt_token"]
        leaving.session.cookies.clear()
        leaving.authorize(session)
        leaving.call("GET", "/logout", 200, shape={"message": Eq("Logged out")})
        leaving.call("GET", "/mss-login/api/tokens", 401, shape={"error": str})

    # ---- SwarmUI ------------------------------------------------------------------------

    def swarm(self):
        swarm = Client(self, self.user + " (SwarmUI)")
        swarm.call("POST", "/API/Login", 200, json_body={"username": self.user, "password": self.user_password},
                   shape={"success": Eq("true")})
        ensure("POST /API/Login", "swarm_token" in swarm.session.cookies, "no swarm_token cookie")
        # A cookie-authenticated change needs this server's Origin.
        new_session = swarm.call("POST", "/API/GetNewSession", 200, json_body={}, headers={"Origin": self.base},
                                 shape={"session_id": str, "user_id": Eq(self.user), "output_append_user": bool,
                                        "version": str, "server_id": str, "permissions": [str]}).json()
        ensure("POST /API/GetNewSession", len(new_session["session_id"]) == 40, "session_id is not 40 characters")
        # The session_id is the credential from here on: a plain client, no cookie, names in any case.
        api = Client(self, self.user + " (SwarmUI session)")
        api.call("POST", "/API/listmyauthtokens", 200, json_body={"session_id": new_session["session_id"]},
                 shape={"tokens": [{"id": str, "created": int, "last_active": int, "user_agent": str,
                                    "origin_address": str, "is_current": bool}]})
        api.call("POST", "/API/ListMyAuthTokens", 400, json_body={},
                 shape={"error": str, "error_id": Eq("basic_api")})
        api.call("POST", "/API/NoSuchRoute", 400, json_body={"session_id": new_session["session_id"]},
                 shape={"error": Eq("Unknown API route"), "error_id": Eq("bad_route")})
        api.call("GET", "/API/ListMyAuthTokens", 302, expect="empty")
        api.call("POST", "/API/ListMyAuthTokens", 400, data=b'{"session_id": "x"}',
                 headers={"Content-Type": "text/plain"}, shape={"error": str, "error_id": Eq("basic_api")})
        swarm.call("POST", "/API/RegisterBasic", 403, json_body={"username": "mallory", "password": "x" * 20},
                   headers={"Origin": self.base}, shape={"error": str, "error_id": Eq("registration_failed")})
        self.anonymous.call("POST", "/API/GetNewSession", 401, json_body={"session_id": "0" * 40},
                            shape={"error": str, "error_id": str})
        self.anonymous.call("GET", "/healthz", 200, shape={"status": Eq("ok")})
        swarm.call("POST", "/API/Logout", 200, json_body={"session_id": new_session["session_id"]},
                   shape={"success": Eq("true")})

    # ---- ComfyUI through comfy-proxy ----------------------------------------------------

    def graph(self, prefix):
        return {
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": self.checkpoint}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse at dusk", "clip": ["4", 1]}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
            "3": {"class_type": "KSampler",
                  "inputs": {"seed": 7, "steps": 4, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal",
                             "denoise": 1, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                             "latent_image": ["5", 0]}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
            "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": prefix, "images": ["8", 0]}},
        }

    def comfy(self):
        anon, alice, ada = self.anonymous, self.alice, self.ada
        anon.call("GET", "/object_info", 401, shape={"error": str})
        anon.call("HEAD", "/object_info", 401, expect="empty")
        anon.call("GET", "/healthz", 200, shape={"status": Eq("ok")})
        anon.call("POST", "/prompt", 401, json_body={"prompt": self.graph(self.tag)}, shape={"error": str})
        anon.call("GET", "/healthz", 200, shape={"status": Eq("ok")})

        nodes = alice.call("GET", "/object_info", 200, shape={"KSampler": {
            "input": {"required": dict}, "output": list, "name": Eq("KSampler"), "category": str}}).json()
        ensure("GET /object_info", "CheckpointLoaderSimple" in nodes, "no CheckpointLoaderSimple")
        alice.call("HEAD", "/object_info", 200, expect="empty")
        alice.call("GET", "/api/object_info/KSampler", 200, shape={"KSampler": {"name": Eq("KSampler")}})
        stats = alice.call("GET", "/system_stats", 200, shape={"system": dict, "devices": [dict]}).json()
        ensure("GET /system_stats", "argv" not in stats["system"], "system.argv shown to a user")
        ada.call("GET", "/api/system_stats", 200, shape={"system": {"argv": [str]}, "devices": list})
        alice.call("GET", "/prompt", 200, shape={"exec_info": {"queue_remaining": int}})

        upload = alice.call("POST", "/upload/image", 200,
                            files={"image": (f"{self.tag}.png", PNG, "image/png")},
                            data={"subfolder": "clients", "type": "input"},
                            shape={"name": Eq(f"{self.tag}.png"), "subfolder": Eq(f"{self.alice_id}/clients"),
                                   "type": Eq("input")}).json()
        viewed = alice.call("GET", "/view", 200, expect="bytes",
                            params={"filename": upload["name"], "subfolder": upload["subfolder"], "type": "input"})
        ensure("GET /view (upload)", viewed.body == PNG, "the uploaded image came back different")

        # A refused prompt (ComfyUI's validation error) with its body, then a good one.
        bad = {"1": {"class_type": "NoSuchNode", "inputs": {}}}
        alice.call("POST", "/prompt", 400, json_body={"prompt": bad},
                   shape={"error": {"type": Eq("invalid_prompt"), "message": str, "details": str,
                                    "extra_info": dict}, "node_errors": dict})
        queued = alice.call("POST", "/prompt", 200, json_body={"prompt": self.graph(self.tag), "client_id": self.tag},
                            shape={"prompt_id": str, "number": (int, float), "node_errors": Eq({})}).json()
        prompt_id = queued["prompt_id"]
        alice.call("GET", "/queue", 200, shape={"queue_running": list, "queue_pending": list})
        image = self.wait_for_image(prompt_id)
        history = alice.call("GET", "/history", 200, shape=dict).json()
        ensure("GET /history", prompt_id in history, "the finished prompt is not in the history")
        jobs = alice.call("GET", "/api/jobs", 200, shape={
            "jobs": [{"id": str, "status": str}],
            "pagination": {"offset": int, "limit": (int, None), "total": int, "has_more": bool}}).json()["jobs"]
        ensure("GET /api/jobs", any(j["id"] == prompt_id and j["status"] == "completed" for j in jobs),
               f"no completed job {prompt_id}")
        alice.call("GET", f"/api/jobs/{prompt_id}", 200, shape={"id": Eq(prompt_id), "status": Eq("completed")})
        alice.call("GET", "/api/jobs/no-such-job", 404, shape={"error": Eq("Job not found")})

        view = {"filename": image["filename"], "subfolder": image["subfolder"], "type": image["type"]}
        output = alice.call("GET", "/view", 200, expect="bytes", params=view)
        ensure("GET /view", output.body.startswith(b"\x89PNG\r\n\x1a\n"), "the output is not a PNG")
        ensure("GET /view", output.headers.get("Content-Type") == "image/png",
               f"Content-Type {output.headers.get('Content-Type')!r}")
        alice.call("HEAD", "/view", 200, expect="empty", params=view)
        alice.call("GET", "/view", 404, expect="empty", params={"filename": "missing.png", "type": "output"})
        alice.call("POST", "/interrupt", 200, json_body={}, expect="empty")

        # Settings and userdata: each user has their own, kept by the gateway (userdata module).
        alice.call("POST", "/settings/Comfy.Locale", 200, json_body="fr", expect="empty")
        alice.call("GET", "/settings/Comfy.Locale", 200, shape=Eq("fr"))
        alice.call("GET", "/api/settings", 200, shape={"Comfy.Locale": Eq("fr")})
        others = ada.call("GET", "/settings", 200, shape=dict).json()
        ensure("GET /settings", "Comfy.Locale" not in others, "another user's setting is visible")

        name = f"workflows%2F{self.tag}.json"
        workflow = json.dumps({"nodes": [], "links": [], "version": 0.4, "extra": {"client": self.tag}})
        alice.call("POST", f"/api/userdata/{name}", 200, data=workflow, headers={"Content-Type": "application/json"},
                   shape=str)
        stored = alice.call("GET", f"/api/userdata/{name}", 200, expect="bytes")
        ensure(f"GET /api/userdata/{name}", stored.body == workflow.encode(), "the workflow came back different")
        alice.call("GET", "/api/userdata", 200, params={"dir": "workflows"}, shape=[str])
        ada.call("GET", f"/api/userdata/{name}", 404, expect="any")
        alice.call("DELETE", f"/api/userdata/{name}", 204, expect="empty")
        alice.call("GET", f"/api/userdata/{name}", 404, expect="any")

    def wait_for_image(self, prompt_id):
        deadline = time.monotonic() + 60
        while True:
            history = self.alice.call("GET", f"/history/{prompt_id}", 200, shape=dict).json()
            entry = history.get(prompt_id)
            if entry and entry.get("status", {}).get("completed"):
                check_shape(f"GET /history/{prompt_id}", entry, {
                    "status": {"status_str": Eq("success"), "completed": Eq(True), "messages": list},
                    "outputs": {"9": {"images": [{"filename": str, "subfolder": str, "type": Eq("output")}]}}})
                return entry["outputs"]["9"]["images"][0]
            ensure(f"GET /history/{prompt_id}", time.monotonic() < deadline, "the prompt did not finish in 60 s")
            time.sleep(0.1)

    # ---- model-download -----------------------------------------------------------------

    def downloads(self):
        alice, ada = self.alice, self.ada
        base = "/mss-login/api/model-download"
        ada.call("GET", f"{base}/sources", 200, shape={
            "sources": [str], "sources_with_keys": [str],
            "capabilities": {"sources": list, "destination_types": list, "limits": dict, "experimental": dict,
                             "civitai_hosts": list, "default_civitai_host": str, "requires_api_key": dict}})
        folders = ada.call("GET", f"/api{base}/folders", 200,
                           shape={"folders": [str], "default_folder": Eq("checkpoints")}).json()
        ensure(f"GET /api{base}/folders", "loras" in folders["folders"], "no loras folder")
        ada.call("PUT", f"{base}/api-keys", 200, json_body={"source": "civitai", "api_key": self.civitai_key},
                 shape={"status": Eq("ok"), "source": Eq("civitai")})
        request = {"source": "civitai", "model_version_id": self.civitai_version, "folder_type": "loras"}
        alice.call("POST", f"{base}/download", 403, json_body=request,
                   shape={"error": Eq("permission can_download_models required")})
        alice.call("GET", "/mss-login/api/me", 200, shape={"username": Eq(self.user)})
        ada.call("POST", f"{base}/download", 400, json_body=dict(request, folder_type="../etc"), shape={"error": str})
        queued = ada.call("POST", f"{base}/download", 200, json_body=request,
                          shape={"status": Eq("queued"), "job_id": str, "stats": dict}).json()
        job_id = queued["job_id"]
        deadline = time.monotonic() + 60
        while True:
            job = ada.call("GET", f"{base}/jobs/{job_id}", 200, shape={"job": {
                "job_id": Eq(job_id), "source": Eq("civitai"), "status": str, "bytes_done": int,
                "progress_pct": (int, float), "can_cancel": bool}, "stats": dict}).json()["job"]
            if job["status"] in ("completed", "failed", "cancelled"):
                break
            ensure(f"GET {base}/jobs/{job_id}", time.monotonic() < deadline, "the download did not end in 60 s")
            time.sleep(0.1)
        check_shape(f"GET {base}/jobs/{job_id}", job, {"status": Eq("completed"), "destination": str, "sha256": str})
        ensure(f"GET {base}/jobs/{job_id}", job["destination"].startswith("loras/"), f"destination {job['destination']}")
        jobs = ada.call("GET", f"{base}/jobs", 200, shape={"jobs": [{"job_id": str}], "stats": dict}).json()["jobs"]
        ensure(f"GET {base}/jobs", any(j["job_id"] == job_id for j in jobs), "the job is not listed")
        ada.call("GET", f"{base}/jobs/no-such-job", 404, shape={"error": Eq("Job not found")})

    # ---- Comfy Cloud asset import ---------------------------------------------------------

    def cloud_import(self):
        cloud = self.cloud
        cloud.call("POST", "/api/assets/download", 400, json_body={"source_url": "https://downloads.invalid/x.bin"},
                   shape={"code": Eq("invalid_source_url"), "message": str})
        created = cloud.call("POST", "/api/assets/download", 202,
                             json_body={"source_url": self.cloud_source_url, "tags": ["models", "vae"],
                                        "user_metadata": {"client": self.tag}},
                             shape={"task_id": str, "status": Eq("created"), "message": str}).json()
        task_id = created["task_id"]
        deadline = time.monotonic() + 60
        while True:
            task = cloud.call("GET", f"/api/tasks/{task_id}", 200, shape={
                "id": Eq(task_id), "task_name": Eq("task:download_file"), "status": str,
                "payload": {"source_url": Eq(self.cloud_source_url)}, "create_time": str}).json()
            if task["status"] in ("completed", "failed", "cancelled"):
                break
            ensure(f"GET /api/tasks/{task_id}", time.monotonic() < deadline, "the task did not end in 60 s")
            time.sleep(0.1)
        check_shape(f"GET /api/tasks/{task_id}", task, {
            "status": Eq("completed"),
            "result": {"success": Eq(True), "file_path": str, "hash": str, "asset_id": str, "filename": str}})
        cloud.call("GET", "/api/tasks/00000000000000000000000000000000", 404,
                   shape={"code": Eq("not_found"), "message": str})
        self.anonymous.call("GET", f"/api/tasks/{task_id}", 401, shape={"code": str, "message": str})

    # ---- policies (admin) ----------------------------------------------------------------

    DRY_RUN = {"hook": str, "decision": str, "reason": str, "failed": bool, "error": str, "fail_mode": str,
               "generation": int, "counters": list, "notifications": list, "http_calls": list, "tags": list,
               "duration_ms": (int, float)}

    def policies(self):
        ada, alice = self.ada, self.alice
        listing = ada.call("GET", "/mss-login/api/admin/policies", 200,
                           shape={"generation": int, "hooks": [{"name": str, "fail_mode": str, "handlers": int}]}).json()
        hooks = {hook["name"] for hook in listing["hooks"]}
        for hook in ("prompt", "login", "model", "queue", "upload", "token", "register", "event"):
            ensure("GET /mss-login/api/admin/policies", hook in hooks, f"hook {hook} not listed")
        # The shipped prompt.lua caps steps: a dry run shows the verdict without running a prompt.
        denied = ada.call("POST", "/mss-login/api/admin/policies/dry-run", 200, shape=self.DRY_RUN, json_body={
            "hook": "prompt", "subject": {"username": self.user, "role": "user", "groups": []},
            "request": {"workflow": {"3": {"class_type": "KSampler", "inputs": {"steps": 100000}}}}}).json()
        ensure("POST /mss-login/api/admin/policies/dry-run", denied["decision"] == "deny" and denied["reason"],
               f"expected a deny with a reason, got {denied!r}")
        ada.call("POST", "/mss-login/api/admin/policies/dry-run", 200, shape=dict(self.DRY_RUN, decision=Eq("allow")),
                 json_body={"hook": "prompt", "subject": {"username": self.user, "role": "user"},
                            "request": {"workflow": {}}})
        # Refusals carrying a body, each followed by a request on the same connection.
        ada.call("POST", "/mss-login/api/admin/policies/dry-run", 400, data=b'{"hook": ',
                 headers={"Content-Type": "application/json"}, shape={"error": str})
        ada.call("POST", "/mss-login/api/admin/policies/dry-run", 400, json_body={"hook": "no-such-hook"},
                 shape={"error": str})
        alice.call("POST", "/mss-login/api/admin/policies/dry-run", 403, json_body={"hook": "prompt"},
                   shape={"error": str})
        alice.call("GET", "/mss-login/api/me", 200, shape=dict(self.ME, username=Eq(self.user)))
        ada.call("GET", "/mss-login/api/admin/policies", 200, shape={"generation": int})

    # ---- web console and its admin routes ------------------------------------------------

    def console(self):
        ada, alice, anonymous = self.ada, self.alice, self.anonymous
        page = anonymous.call("GET", "/console/", 200, expect="any")
        ensure("GET /console/", page.headers.get("Content-Type", "").startswith("text/html"),
               f"Content-Type {page.headers.get('Content-Type')!r}")
        policy = page.headers.get("Content-Security-Policy", "")
        for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
            ensure("GET /console/", directive in policy, f"no {directive} in the CSP {policy!r}")
        etag = page.headers.get("ETag")
        ensure("GET /console/", etag, "no ETag")
        anonymous.call("GET", "/console/", 304, expect="empty", headers={"If-None-Match": etag})
        anonymous.call("GET", "/console/tokens", 200, expect="any")  # a page of the client's router
        # requests decodes %2e (unreserved) but keeps the dot segments: the server sees
        # /console/../../etc/passwd and refuses the path itself.
        anonymous.call("GET", "/console/%2e%2e/%2e%2e/etc/passwd", 400, shape={"error": str})
        # A refusal that carries a body, then the next request on the same connection.
        anonymous.call("POST", "/console/app.js", 405, data=b'{"x": 1}', headers={"Content-Type": "application/json"},
                       shape={"error": str})
        anonymous.call("GET", "/console/app.js", 200, expect="any")

        audit = ada.call("GET", "/mss-login/api/admin/audit", 200, params={"limit": 5},
                         shape={"entries": [{"id": (int, str), "at": str, "actor": str, "action": str}]}).json()
        ensure("GET /mss-login/api/admin/audit", len(audit["entries"]) <= 5, f"{len(audit['entries'])} entries")
        ada.call("GET", "/mss-login/api/admin/audit", 400, params={"limit": "0"},
                 shape={"error": str, "code": Eq("invalid_parameter"), "parameter": Eq("limit")})
        ada.call("GET", "/mss-login/api/admin/audit", 400, params={"since": "yesterday"},
                 shape={"error": str, "code": Eq("invalid_parameter"), "parameter": Eq("since")})
        alice.call("GET", "/mss-login/api/admin/audit", 403, shape={"error": str})
        ada.call("GET", "/mss-login/api/permissions", 200,
                 shape={"permissions": [{"id": str, "description": str, "group": str, "default_roles": list}]})
        alice.call("GET", "/mss-login/api/permissions", 403, shape={"error": str})

    def main(self):
        for family in (self.kernel, self.auth, self.swarm, self.comfy, self.downloads, self.cloud_import, self.policies,
                       self.console, self.logout):
            try:
                family()
            except Exception as error:  # in keep-going mode a family that cannot go on is abandoned
                if not self.keep_going:
                    raise
                self.failed += 1
                print(f"FAILED {family.__name__} abandoned: {type(error).__name__}: {error}", file=sys.stderr)

    def logout(self):
        self.ada.call("GET", "/logout", 200, shape={"message": Eq("Logged out")})


def main():
    try:
        run = Run()
    except KeyError as missing:
        print(f"gateway_client.py: environment variable {missing} is not set", file=sys.stderr)
        return 2
    try:
        run.main()
    except CheckFailed as failure:
        print(f"FAILED {failure}", file=sys.stderr)
        run.failed += 1
    print(f"{run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
