#!/usr/bin/python3
"""A loopback stand-in for AWS's ECR, CloudWatch Logs and STS APIs, for
contract tests of ORSA's AWS adapters.

Usage:
  /usr/bin/python3 awsserver.py --credentials FILE [--port-file F] [--port 0]
      [--region us-east-1] [--throttle-first N] [--max-body BYTES]
      [--ecr-password-file F] [--request-log F] [--verbose]

One HTTP/1.1 server on 127.0.0.1 serves all services; the service of a
request is the one its SigV4 credential scope names (ecr, logs, sts). Every
request has its signature recomputed by botocore's and awscrt's signers, its
operation and parameters checked against the service model of Debian's
python3-botocore, and every answer checked against the operation's output
shape (pipeline.py). State is in memory and goes with the process.

  --credentials FILE   JSON list of {"access_key", "secret_key",
                       "session_token" (optional), "account": "123456789012"}
  --port-file F        written with the port once the server listens
  --throttle-first N   the first N calls of each operation get a throttling
                       error (ThrottlingException / Throttling), for retries
  --max-body BYTES     larger bodies get 413 (default 8 MiB)
  --ecr-password-file F  written at start with the password every ECR
                       authorization token carries (user AWS)
  --request-log F      one JSON line per request: service, operation,
                       status, code, request_id
  --verbose            the same lines on stderr

It is NOT AWS: nothing here has been run against AWS. Run it with Debian's
/usr/bin/python3 (python3-botocore, python3-awscrt).
"""

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The modules below live in the source tree: leave no __pycache__ there.
sys.dont_write_bytecode = True

import botocore.session  # noqa: E402

import aws_errors  # noqa: E402
import protocols  # noqa: E402
from ecr_service import EcrService  # noqa: E402
from logs_service import LogsService  # noqa: E402
from pipeline import Pipeline, Request, ServiceEndpoint  # noqa: E402
from sigv4_check import SignatureVerifier, load_credentials  # noqa: E402
from sts_service import StsService  # noqa: E402

DEFAULT_MAX_BODY = 8 * 1024 * 1024


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--throttle-first", type=int, default=0)
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY)
    parser.add_argument("--ecr-password-file")
    parser.add_argument("--request-log")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def write_private(path, text):
    """Writes a file readers never see half-written, readable by us alone."""
    temporary = f"{path}.tmp{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


def build_endpoints(region, ecr_password):
    """The served services by SigV4 signing name, each on its botocore model."""
    session = botocore.session.get_session()
    services = {"ecr": EcrService(region, ecr_password), "logs": LogsService(region),
                "sts": StsService()}
    endpoints = {}
    for name, service in services.items():
        model = session.get_service_model(name)
        endpoints[model.signing_name] = ServiceEndpoint(model, service)
    return endpoints


class RequestLog:
    """Where each request's record goes: --request-log and/or stderr."""

    def __init__(self, path, verbose):
        self._file = open(path, "a", encoding="utf-8", buffering=1) if path else None
        self._verbose = verbose
        self._lock = threading.Lock()

    def __call__(self, record):
        line = json.dumps(record, sort_keys=True)
        with self._lock:
            if self._file:
                self._file.write(line + "\n")
            if self._verbose:
                print(f"awsserver: {line}", file=sys.stderr, flush=True)


def make_handler(pipeline, max_body):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "orsa-aws-standin"

        def do_POST(self):
            self._serve()

        do_GET = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_POST

        def _serve(self):
            try:
                body = self._body()
            except aws_errors.AwsError as error:
                self.close_connection = True  # the body was not read
                self._send(protocols.error_response(protocols.guess_protocol(self), error,
                                                    str(uuid.uuid4())))
                return
            self._send(pipeline.handle(Request(self.command, self.path, self.headers, body)))

        def _body(self):
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                raise aws_errors.length_required()
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise aws_errors.length_required()
            if length > max_body:
                raise aws_errors.too_large(max_body)
            return self.rfile.read(length) if length > 0 else b""

        def _send(self, response):
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def log_message(self, format, *args):
            pass  # RequestLog says what matters, in one line per request

    return Handler


def main(argv):
    args = parse_args(argv)
    credentials = load_credentials(args.credentials)
    ecr_password = secrets.token_urlsafe(24)
    if args.ecr_password_file:
        write_private(args.ecr_password_file, ecr_password)
    pipeline = Pipeline(build_endpoints(args.region, ecr_password),
                        SignatureVerifier(credentials, args.region), args.region,
                        throttle_first=args.throttle_first,
                        observe=RequestLog(args.request_log, args.verbose))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(pipeline, args.max_body))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if args.port_file:
        write_private(args.port_file, str(server.server_address[1]))
    print(f"awsserver: listening on 127.0.0.1:{server.server_address[1]} "
          f"({', '.join(sorted(pipeline.services))}, {args.region})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
