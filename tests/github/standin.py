#!/usr/bin/env python3
"""A loopback stand-in for GitHub's OAuth web flow and the REST endpoints
ORSA reads, answering with the shapes GitHub documents (docs.github.com:
"Authorizing OAuth apps", "Get the authenticated user", "List email
addresses for the authenticated user", "List organizations for the
authenticated user"). The recorded answers are in responses/.

  standin.py --ready FILE [--orgs acme,other]

Serves on 127.0.0.1 (a free port, written to FILE as http://127.0.0.1:PORT):
  GET  /login/oauth/authorize   the user "approves" at once: 302 to the
                                redirect_uri with a one-time code and the state
  POST /login/oauth/access_token  the code (once, with the client secret and
                                a verifier matching the S256 challenge) for a
                                token; else 200 {"error": "bad_verification_code"}
                                as GitHub answers
  GET  /api/v3/user, /api/v3/user/emails, /api/v3/user/orgs  with the token
                                (Bearer), else 401; a User-Agent is required
  GET  /__calls                 what was asked, for the test's checks
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ID = "Iv1.orsa-contract"
CLIENT_SECRET = "contract-secret"


def recorded(name):
    with open(os.path.join(HERE, "responses", name)) as f:
        return json.load(f)


class State:
    def __init__(self, orgs):
        self.lock = threading.Lock()
        self.codes = {}  # code -> (redirect_uri, code_challenge, scope)
        self.tokens = set()
        self.calls = []
        self.orgs = orgs


class Handler(BaseHTTPRequestHandler):
    server_version = "GitHubStandIn/1"

    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self, entry):
        with self.server.state.lock:
            self.server.state.calls.append(entry)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        state = self.server.state
        if url.path == "/__calls":
            with state.lock:
                return self.send_json(200, state.calls)
        if url.path == "/login/oauth/authorize":
            self.record({"path": url.path, "query": query})
            if query.get("client_id") != CLIENT_ID or not query.get("redirect_uri"):
                return self.send_json(400, {"error": "unknown client"})
            code = secrets.token_hex(10)
            with state.lock:
                state.codes[code] = (query["redirect_uri"], query.get("code_challenge", ""),
                                     query.get("scope", ""))
            back = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"code": code, "state": query.get("state", "")})
            self.send_response(302)
            self.send_header("Location", back)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if url.path.startswith("/api/v3/"):
            return self.api(url.path[len("/api/v3"):])
        return self.send_json(404, {"message": "Not Found"})

    def api(self, path):
        state = self.server.state
        self.record({"path": path, "user_agent": self.headers.get("User-Agent", "")})
        if not self.headers.get("User-Agent"):
            # GitHub refuses API requests without a User-Agent.
            return self.send_json(403, {"message": "Request forbidden by administrative rules."})
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        with state.lock:
            known = token in state.tokens
        if not known:
            return self.send_json(401, {"message": "Bad credentials"})
        if path == "/user":
            return self.send_json(200, recorded("user.json"))
        if path == "/user/emails":
            return self.send_json(200, recorded("emails.json"))
        if path == "/user/orgs":
            orgs = [o for o in recorded("orgs.json") if o["login"] in state.orgs]
            return self.send_json(200, orgs)
        return self.send_json(404, {"message": "Not Found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        state = self.server.state
        if url.path != "/login/oauth/access_token":
            return self.send_json(404, {"message": "Not Found"})
        self.record({"path": url.path, "fields": sorted(form),
                     "accept": self.headers.get("Accept", "")})
        with state.lock:
            issued = state.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if (issued is None or form.get("client_id") != CLIENT_ID
                or form.get("client_secret") != CLIENT_SECRET
                or form.get("redirect_uri") != issued[0]
                or challenge.decode() != issued[1]):
            # GitHub answers a refused exchange with 200 and an error field.
            return self.send_json(200, {
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
                             "troubleshooting-oauth-app-access-token-request-errors/"
                             "#bad-verification-code"})
        token = "gho_" + secrets.token_hex(18)
        with state.lock:
            state.tokens.add(token)
        return self.send_json(200, {"access_token": token, "token_type": "bearer",
                                    "scope": issued[2].replace(" ", ",")})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready", required=True)
    parser.add_argument("--orgs", default="")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.state = State({o for o in args.orgs.split(",") if o})
    with open(args.ready + ".tmp", "w") as f:
        f.write(f"http://127.0.0.1:{server.server_address[1]}")
    os.replace(args.ready + ".tmp", args.ready)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
