#!/usr/bin/python3
"""Saves, lists, loads, moves and deletes a workflow through the gateway's userdata routes with
Python `requests` (one Session, keep-alive), the way ComfyUI tools do. Exits 1 on the first
failed check; prints "userdata client: ok" when all pass."""

import json
import os
import sys
from urllib.parse import quote

import requests

BASE = os.environ["GATEWAY_URL"]
AUTH = {"Authorization": os.environ["GATEWAY_AUTH"]}
OTHER = {"Authorization": os.environ["GATEWAY_OTHER_AUTH"]}


def check(condition, what):
    if not condition:
        print("FAILED: " + what)
        sys.exit(1)


def file_url(path):
    return BASE + "/api/userdata/" + quote(path, safe="")


s = requests.Session()
workflow = {"nodes": [{"id": 1, "type": "KSampler"}], "links": [], "version": 0.4}
r = s.post(file_url("workflows/py client.json"), data=json.dumps(workflow), headers=AUTH)
check(r.status_code == 200 and r.json() == "workflows/py client.json", "save: %s %s" % (r.status_code, r.text))
r = s.get(BASE + "/api/userdata", params={"dir": "workflows", "recurse": "true", "full_info": "true"}, headers=AUTH)
check(r.status_code == 200, "list: %s" % r.status_code)
entries = {e["path"]: e for e in r.json()}
check("py client.json" in entries and entries["py client.json"]["size"] == len(json.dumps(workflow)), "list: %s" % r.text)
r = s.get(file_url("workflows/py client.json"), headers=AUTH)
check(r.status_code == 200 and r.json() == workflow, "load: %s %s" % (r.status_code, r.text))
r = s.get(file_url("workflows/py client.json"), headers=OTHER)
check(r.status_code == 404, "other user: %s" % r.status_code)
r = s.post(file_url("workflows/py client.json") + "?overwrite=false", data="{}", headers=AUTH)
check(r.status_code == 409 and r.text == "File already exists", "overwrite=false: %s %s" % (r.status_code, r.text))
r = s.post(file_url("workflows/py client.json") + "/move/" + quote("workflows/py moved.json", safe=""), headers=AUTH)
check(r.status_code == 200 and r.json() == "workflows/py moved.json", "move: %s %s" % (r.status_code, r.text))
r = s.get(BASE + "/api/v2/userdata", params={"path": "workflows"}, headers=AUTH)
check(r.status_code == 200 and [e["name"] for e in r.json()] == ["py moved.json"], "v2: %s" % r.text)
r = s.post(BASE + "/api/settings", json={"Comfy.PyClient": 1}, headers=AUTH)
check(r.status_code == 200 and r.content == b"", "settings: %s %r" % (r.status_code, r.content))
r = s.get(BASE + "/api/settings/Comfy.PyClient", headers=AUTH)
check(r.status_code == 200 and r.json() == 1, "setting: %s" % r.text)
r = s.delete(file_url("workflows/py moved.json"), headers=AUTH)
check(r.status_code == 204 and r.content == b"", "delete: %s %r" % (r.status_code, r.content))
r = s.get(file_url("workflows/py moved.json"), headers=AUTH)
check(r.status_code == 404, "deleted: %s" % r.status_code)
print("userdata client: ok")
