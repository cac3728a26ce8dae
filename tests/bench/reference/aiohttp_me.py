#!/usr/bin/python3
"""bench_hotpath's Python reference: what a ComfyUI auth extension written in Python does.

One process, aiohttp + sqlite3 (Debian python3-aiohttp). At startup it creates a small schema
with one user and one API token in the SQLite file given on the command line, then serves
GET /mss-login/api/me on 127.0.0.1 (port 0, printed as the first line of stdout): the token from
`Authorization: Bearer <token>` is hashed with SHA-256 and looked up with ONE query joining the
token row with the user row; the answer is the same JSON comfygate gives an ordinary user.

usage: aiohttp_me.py DB_FILE TOKEN
"""
import asyncio
import functools
import hashlib
import json
import signal
import sqlite3
import sys
import time

from aiohttp import web

PERMISSIONS = ["can_access_api", "can_have_api_tokens", "can_manage_extensions", "can_modify_workflows",
               "can_run", "can_upload"]


def open_database(path, token):
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.executescript("""
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, role TEXT NOT NULL,
            groups_json TEXT NOT NULL, mfa_enabled INTEGER NOT NULL DEFAULT 0,
            sfw_check INTEGER NOT NULL DEFAULT 1, disabled INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS api_tokens (
            token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
            created_at INTEGER NOT NULL, expires_at INTEGER, revoked INTEGER NOT NULL DEFAULT 0);
    """)
    db.execute("INSERT OR REPLACE INTO users VALUES ('043929f771399262', 'alice', 'user', '[\"user\"]', 0, 1, 0)")
    db.execute("INSERT OR REPLACE INTO api_tokens VALUES (?, '043929f771399262', ?, NULL, 0)",
               (hashlib.sha256(token.encode()).hexdigest(), int(time.time())))
    return db


COMPACT = functools.partial(json.dumps, separators=(",", ":"))  # comfygate's spacing

LOOKUP = """
    SELECT u.id, u.username, u.role, u.groups_json, u.mfa_enabled, u.sfw_check
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = ? AND t.revoked = 0 AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.disabled = 0
"""


def make_app(db):
    async def me(request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return web.json_response({"error": "missing token"}, status=401)
        digest = hashlib.sha256(header[7:].encode()).hexdigest()
        row = db.execute(LOOKUP, (digest, int(time.time()))).fetchone()
        if row is None:
            return web.json_response({"error": "invalid token"}, status=401)
        user_id, username, role, groups_json, mfa_enabled, sfw_check = row
        body = {
            "authenticated": True,
            "experimental_features": {"mfa": False, "model_isolation": False, "s3": False},
            "groups": json.loads(groups_json),
            "is_admin": role in ("admin", "owner"),
            "is_owner": role == "owner",
            "mfa_enabled": bool(mfa_enabled),
            "permissions": PERMISSIONS,
            "role": role,
            "sfw_check": bool(sfw_check),
            "token_kind": "api_token",
            "user_id": user_id,
            "username": username,
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"}, dumps=COMPACT)

    app = web.Application()
    app.router.add_get("/mss-login/api/me", me)
    return app


async def main(path, token):
    db = open_database(path, token)
    runner = web.AppRunner(make_app(db), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=128)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    db.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
