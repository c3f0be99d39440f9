#!/usr/bin/python3
"""A loopback stand-in for the Kubernetes API server, for contract tests.

Usage:
  /usr/bin/python3 apiserver.py --openapi swagger.json --port-file FILE
      [--port 0] [--token TOKEN] [--tls-cert PEM --tls-key PEM]
      [--no-controller] [--job-seconds 1] [--history 1000]
      [--max-objects 10000] [--verbose]
      [--pods simulated|podman] [--pod-network NET] [--podman CMD] [--max-pods 16]

127.0.0.1 only, plain HTTP unless --tls-cert/--tls-key (kubectl sends a
bearer token only over TLS); the chosen port is written to --port-file once
the server listens. With --token, every request needs
`Authorization: Bearer TOKEN` (else 401). It serves discovery (/version,
/api, /apis, one APIResourceList per group version), /openapi/v2 (JSON, or
the protobuf kubectl asks for), and namespaces, pods, secrets, services,
apps/v1 deployments (+scale, +status), batch/v1 jobs (+status) and
networking.k8s.io/v1 networkpolicies: create, get, list, watch, replace,
patch, delete, with the server's rules and error Statuses (api_registry.py).
Every object written is validated by tests/kube/validate_objects.py.

It is NOT a cluster: objects live in memory and go with the process, and
no admission, RBAC or quota applies. Unless --no-controller, a SIMULATED
controller (simulated_controller.py) writes pods and statuses as the
Deployment and Job controllers and kubelets would; nothing is run. With
--pods podman, a Deployment's pods run instead as containers of CMD (podman
or a wrapper) on the podman network NET, reachable at their pod IPs
(podman_pods.py); they are removed when their pods go and when the server
exits (SIGTERM, SIGINT). A Job's pod runs there too, once, and the Job
follows it. A pod's log (pods/NAME/log, with follow, timestamps,
tailLines and sinceTime) is its container's; a simulated pod's is empty.
Run it with Debian's /usr/bin/python3 (python3-jsonschema, python3-kubernetes).
"""

import argparse
import hmac
import json
import os
import select
import signal
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The modules below (and tests/kube/validate_objects.py) live in the source
# tree: leave no __pycache__ there.
sys.dont_write_bytecode = True

import api_errors  # noqa: E402
import openapi_proto  # noqa: E402
from api_registry import Registry  # noqa: E402
from api_resources import discovery_document, route  # noqa: E402
from api_selectors import matcher  # noqa: E402
from object_store import Store  # noqa: E402
from openapi_schema import Schema, served_document  # noqa: E402
from podman_pods import PodmanPods  # noqa: E402
from simulated_controller import SimulatedController  # noqa: E402

MAX_BODY_BYTES = 3 * 1024 * 1024
MAX_WATCH_SECONDS = 1800  # a watch's longest life; the real server picks 30 to 60 minutes
MAX_WATCHES = 64          # concurrent watch streams; each holds a thread
JSON = "application/json"
TRUE_VALUES = ("1", "t", "T", "true", "TRUE", "True")  # Go's strconv.ParseBool


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port, registry, openapi_doc, token, verbose):
        super().__init__(("127.0.0.1", port), Handler)
        self.registry = registry
        self.token = token
        self.verbose = verbose
        self.openapi_json = json.dumps(openapi_doc).encode()
        self.openapi_protobuf = openapi_proto.encode_document(openapi_doc)
        self.watch_slots = threading.BoundedSemaphore(MAX_WATCHES)
        self.pods = None  # the PodmanPods of --pods podman: pod logs

    def handle_error(self, request, client_address):
        # A client that hangs up between requests is no error of the server's.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked watch streams
    # Headers and body go out in two writes: with Nagle's algorithm the
    # second waits for the client's delayed ACK, 40 ms on every answer.
    disable_nagle_algorithm = True
    server_version = "orsa-kube-standin"

    def do_GET(self):
        self._handle(self._get)

    def do_POST(self):
        self._handle(self._post)

    def do_PUT(self):
        self._handle(self._put)

    def do_PATCH(self):
        self._handle(self._patch)

    def do_DELETE(self):
        self._handle(self._delete)

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        if self.server.verbose:
            super().log_message(format, *args)

    def _handle(self, action):
        try:
            body = self._read_body()
            self._authenticate()
            url = urllib.parse.urlsplit(self.path)
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            action(url.path, query, body)
        except api_errors.ApiError as e:
            self._send_json(e.code, e.status())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a bug: answer as the server would, and show it
            traceback.print_exc()
            self._send_json(500, api_errors.internal("the stand-in failed; see its log").status())

    def _read_body(self):
        # Read before anything can fail, so an error answer leaves the
        # keep-alive connection at the next request.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise api_errors.length_required()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise api_errors.bad_request("Content-Length is not a number") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise api_errors.too_large(MAX_BODY_BYTES)
        return self.rfile.read(length)

    def _authenticate(self):
        if self.server.token is None:
            return
        given = self.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {self.server.token}".encode()):
            raise api_errors.unauthorized()

    # --- verbs ---------------------------------------------------------------

    def _get(self, path, query, _body):
        if path.rstrip("/") == "/openapi/v2":
            return self._send_openapi()
        document = discovery_document(path, f"127.0.0.1:{self.server.server_address[1]}")
        if document is not None:
            return self._send_json(200, document)
        target = _resource_route(path)
        if target.subresource == "log":
            return self._send_pod_log(target, query)
        if target.name is not None:
            return self._send_json(200, self.server.registry.read(target))
        matches = matcher(query.get("labelSelector", ""), query.get("fieldSelector", ""), target.rtype)
        if query.get("watch") in TRUE_VALUES:
            _require_verb(target, "watch", "GET")
            return self._stream_watch(target, matches, query)
        _require_verb(target, "list", "GET")
        return self._send_json(200, self.server.registry.list(target, matches))

    def _post(self, path, query, body):
        target = _resource_route(path)
        if target.name is not None or (target.rtype.namespaced and target.namespace is None):
            raise api_errors.method_not_allowed("POST", path)
        _require_verb(target, "create", "POST")
        created = self.server.registry.create(target, _json_body(self.headers, body), _dry_run(query))
        self._send_json(201, created)

    def _put(self, path, query, body):
        target = _object_route(path, "PUT", "update")
        self._send_json(200, self.server.registry.replace(target, _json_body(self.headers, body), _dry_run(query)))

    def _patch(self, path, query, body):
        target = _object_route(path, "PATCH", "patch")
        patched = self.server.registry.patch(target, self.headers.get("Content-Type"), body, _dry_run(query))
        self._send_json(200, patched)

    def _delete(self, path, query, body):
        target = _object_route(path, "DELETE", "delete")
        options = _json_body(self.headers, body) if body else {}
        if not isinstance(options, dict):
            raise api_errors.bad_request("DeleteOptions must be a JSON object")
        if "propagationPolicy" in query:
            options["propagationPolicy"] = query["propagationPolicy"]
        dry_run = _dry_run(query) or options.get("dryRun") == ["All"]
        self._send_json(200, self.server.registry.delete(target, options, dry_run))

    # --- responses -----------------------------------------------------------

    def _send_json(self, code, doc):
        self._send(code, JSON, json.dumps(doc).encode())

    def _send(self, code, content_type, payload):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_openapi(self):
        if openapi_proto.ACCEPT in self.headers.get("Accept", ""):
            self._send(200, openapi_proto.CONTENT_TYPE, self.server.openapi_protobuf)
        else:
            self._send(200, JSON, self.server.openapi_json)

    def _stream_watch(self, target, matches, query):
        """Newline-delimited watch events in a chunked response, until timeoutSeconds."""
        timeout = _timeout_seconds(query)
        events = self.server.registry.watch(target, matches, query.get("resourceVersion", ""),
                                            time.monotonic() + timeout)
        if not self.server.watch_slots.acquire(blocking=False):
            raise api_errors.too_many_requests(f"the stand-in serves at most {MAX_WATCHES} watches at once")
        try:
            self.send_response(200)
            self.send_header("Content-Type", JSON)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in events:
                if event is not None:
                    self._write_chunk(json.dumps(event).encode() + b"\n")
                elif self._client_gone():
                    return
            self._write_chunk(b"")  # the last chunk: the stream ends, the connection stays
        finally:
            self.server.watch_slots.release()

    def _send_pod_log(self, target, query):
        """A pod's log as text: its container's (with --pods podman), followed in chunks if asked.

        A simulated pod runs nothing and has an empty log."""
        pod = self.server.registry.read(target)
        pods = self.server.pods
        if pods is None or not pods.has_container(pod):
            if pods is not None and pod.get("spec", {}).get("nodeName"):
                raise api_errors.bad_request(f'container "{pod["spec"]["containers"][0]["name"]}" in pod '
                                             f'"{pod["metadata"]["name"]}" is waiting to start: ContainerCreating')
            return self._send(200, "text/plain", b"")
        follow = query.get("follow") in TRUE_VALUES
        lines = pods.log_lines(pod, follow=follow, timestamps=query.get("timestamps") in TRUE_VALUES,
                               tail=query.get("tailLines"), since=query.get("sinceTime"))
        if not follow:
            return self._send(200, "text/plain", b"".join(line.encode() for line in lines))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for line in lines:
            self._write_chunk(line.encode())
        self._write_chunk(b"")

    def _client_gone(self):
        # A watching client sends nothing more on its connection (no HTTP
        # client pipelines behind a streamed answer): readable means closed.
        readable, _, _ = select.select([self.connection], [], [], 0)
        return bool(readable)

    def _write_chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def _resource_route(path):
    target = route(path)
    if target is None:
        raise api_errors.path_not_found()
    return target


def _object_route(path, method, verb):
    """The route of a request that names one object (PUT, PATCH, DELETE)."""
    target = _resource_route(path)
    if target.name is None:
        raise api_errors.method_not_allowed(method, path)
    _require_verb(target, verb, method)
    return target


def _require_verb(target, verb, method):
    # Subresources (status, scale) take get, patch and update.
    if target.subresource is None and verb not in target.rtype.verbs:
        raise api_errors.method_not_allowed(method, target.rtype.qualified)


def _json_body(headers, body):
    media_type = headers.get("Content-Type", JSON).split(";")[0].strip().lower()
    if media_type != JSON:
        raise api_errors.unsupported_media_type(media_type, [JSON])
    try:
        return json.loads(body)
    except ValueError as e:
        raise api_errors.bad_request(f"the body of the request could not be decoded as JSON: {e}") from None


def _dry_run(query):
    value = query.get("dryRun", "")
    if value not in ("", "All"):
        raise api_errors.bad_request(f'Unsupported value: "{value}": supported values: "All"')
    return value == "All"


def _timeout_seconds(query):
    text = query.get("timeoutSeconds", "")
    if text and not text.isdigit():
        raise api_errors.bad_request(f"timeoutSeconds {text!r} is not a whole number of seconds")
    return min(int(text or MAX_WATCH_SECONDS), MAX_WATCH_SECONDS)


def write_port_file(path, port):
    """Written whole or not at all: a reader polling for it never sees half a port."""
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(temporary, path)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openapi", required=True, help="swagger.json (tests/kube/fetch-openapi.sh)")
    parser.add_argument("--port-file", required=True, help="where to write the port once listening")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--token", help="the bearer token every request must carry")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (with --tls-key)")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    parser.add_argument("--no-controller", action="store_true", help="no simulated pods or statuses")
    parser.add_argument("--job-seconds", type=float, default=1.0, help="how long a simulated Job runs")
    parser.add_argument("--history", type=int, default=1000, help="events kept for watches to replay")
    parser.add_argument("--max-objects", type=int, default=10000, help="objects stored at most")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--pods", choices=("simulated", "podman"), default="simulated",
                        help="podman: Deployment and Job pods run as podman containers")
    parser.add_argument("--podman", default="podman", metavar="CMD",
                        help="the podman to run them with (a wrapper may pick the store)")
    parser.add_argument("--pod-network", metavar="NET", help="the existing podman network they run on")
    parser.add_argument("--max-pods", type=int, default=16, help="pods running at once; more stay Pending")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.pods == "podman" and (args.no_controller or not args.pod_network or args.max_pods < 1):
        parser.error("--pods podman needs the controller, --pod-network and --max-pods of at least 1")
    return args


def _exit_on_signal(signum, _frame):
    """Ends the server through the cleanup that removes its containers.

    Set for SIGINT too: a shell starts a background job with SIGINT ignored,
    and a server that ignored it would leave its containers behind.
    """
    raise SystemExit(128 + signum)


def start_podman_pods(args, store):
    """The podman pod runner of --pods podman (None without); exits if podman has no --pod-network."""
    if args.pods != "podman":
        return None
    pods = PodmanPods(store, args.podman, args.pod_network, args.max_pods)
    try:
        pods.check_network()
    except RuntimeError as e:
        sys.exit(f"kube stand-in: {e}")
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_on_signal)
    pods.start()
    return pods


def main(argv):
    args = parse_args(argv)
    store = Store(history_size=args.history, max_objects=args.max_objects)
    registry = Registry(store, Schema(args.openapi))
    registry.create_default_namespace()
    server = StandinServer(args.port, registry, served_document(args.openapi), args.token, args.verbose)
    pods = start_podman_pods(args, store)
    server.pods = pods
    if not args.no_controller:
        SimulatedController(store, args.job_seconds, pods_run_elsewhere=pods is not None).start()
    scheme = "http"
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake happens in each connection's thread, on its first read,
        # so a slow client never holds up the accepting loop.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        scheme = "https"
    write_port_file(args.port_file, server.server_address[1])
    print(f"kube stand-in: listening on {scheme}://127.0.0.1:{server.server_address[1]}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        if pods is not None:
            for signum in (signal.SIGTERM, signal.SIGINT):  # a second signal must not cut the cleanup short
                signal.signal(signum, signal.SIG_IGN)
            pods.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
