#!/usr/bin/python3
"""A fake of the two credential endpoints AWS runs beside a workload, for
the unit tests of src/aws/credentials.cpp: EC2's instance metadata service
(IMDSv2 only: every read needs the session token a PUT returns) and the ECS
task role endpoint (which checks the Authorization token when one is set).
Prints its port, then serves on 127.0.0.1 until killed. Not AWS."""

import http.server
import json
import sys

SESSION = "imds-session-token"
ECS_TOKEN = "ecs-authorization-token"
EXPIRATION = "2099-01-01T00:00:00Z"


def keys(prefix):
    return {"Code": "Success", "AccessKeyId": f"ASIA{prefix}", "SecretAccessKey": f"{prefix}-secret",
            "Token": f"{prefix}-session", "Expiration": EXPIRATION}


class Handler(http.server.BaseHTTPRequestHandler):
    counts = {}

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self._answer(200, SESSION)
        self._answer(400, "")

    def do_GET(self):
        Handler.counts[self.path] = Handler.counts.get(self.path, 0) + 1
        if self.path == "/count":
            return self._answer(200, Handler.counts)
        if self.path.startswith("/latest/"):
            if self.headers.get("X-aws-ec2-metadata-token") != SESSION:
                return self._answer(401, "")
            if self.path == "/latest/meta-data/iam/security-credentials/":
                return self._answer(200, "orsa-node-role")
            if self.path == "/latest/meta-data/iam/security-credentials/orsa-node-role":
                return self._answer(200, keys("EC2"))
        if self.path == "/ecs/creds":
            if self.headers.get("Authorization") != ECS_TOKEN:
                return self._answer(403, "")
            return self._answer(200, keys("ECS"))
        self._answer(404, "")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
