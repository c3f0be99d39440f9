"""HTTP plumbing for the registry conformance test: one request per
connection (http.client, no redirects followed, no retries), the spec's
error-body checks, OCI documents, and a recorder of named checks grouped by
the distribution spec's workflow categories. Python 3 standard library only.
"""

import base64
import contextlib
import hashlib
import http.client
import json
import re
import time
import urllib.parse

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"

# distribution-spec v1.1, "Error Codes": `code` MUST be one of these.
SPEC_ERROR_CODES = {
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
}
# "Legacy Docker support error codes": clients may meet Docker's own codes
# (TAG_INVALID, and Docker's PAGINATION_NUMBER_INVALID for a malformed `n`).
LEGACY_ERROR_CODES = {"TAG_INVALID", "MANIFEST_UNVERIFIED", "PAGINATION_NUMBER_INVALID"}


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def descriptor(media_type, data, **extra):
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data), **extra}


def image_manifest(config, layers, config_type=OCI_CONFIG, **fields):
    doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": descriptor(config_type, config),
           "layers": [descriptor(OCI_LAYER, layer) for layer in layers]}
    doc.update(fields)
    return canonical(doc)


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise CheckFailed(f"body is not JSON ({e}): {self.body[:200]!r}")

    def __repr__(self):
        return f"HTTP {self.status} {self.headers} {self.body[:300]!r}"


class Client:
    """A registry client with fixed credentials (None: anonymous)."""

    def __init__(self, base_url, credentials=None, bearer=None):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.auth = None
        if credentials:
            token = base64.b64encode(":".join(credentials).encode()).decode()
            self.auth = "Basic " + token
        if bearer:
            self.auth = "Bearer " + bearer

    def request(self, method, target, body=b"", headers=None):
        """`target` is a path (with query) or an absolute URL on this server."""
        parts = urllib.parse.urlsplit(target)
        path = parts.path + ("?" + parts.query if parts.query else "")
        all_headers = dict(headers or {})
        if self.auth:
            all_headers["Authorization"] = self.auth
        if method in ("POST", "PUT", "PATCH") and "Content-Length" not in all_headers:
            all_headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=all_headers)
            res = conn.getresponse()
            data = res.read()
            names = {}
            for name, value in res.getheaders():
                key = name.lower()
                names[key] = value if key not in names else names[key] + ", " + value
            return Reply(res.status, names, data)
        finally:
            conn.close()

    def api(self, method, path, doc=None):
        body = json.dumps(doc).encode() if doc is not None else b""
        headers = {"Content-Type": "application/json"} if doc is not None else {}
        return self.request(method, path, body, headers)


def expect_status(reply, status):
    expect(reply.status == status, f"expected HTTP {status}, got {reply!r}")


def expect_header(reply, name, value):
    expect(reply.header(name) == value,
           f"expected {name}: {value!r}, got {reply.header(name)!r} ({reply!r})")


def expect_error(reply, status, code):
    """A 4xx whose JSON body has the spec's form and names `code` first."""
    expect_status(reply, status)
    content_type = (reply.header("Content-Type") or "").split(";")[0].strip()
    expect(content_type == "application/json",
           f"error body should be JSON, Content-Type is {content_type!r}")
    doc = reply.json()
    expect(isinstance(doc, dict) and set(doc) == {"errors"},
           f"error body must be {{\"errors\": [...]}}, got {doc!r}")
    errors = doc["errors"]
    expect(isinstance(errors, list) and errors, f"errors must be a non-empty list: {doc!r}")
    for entry in errors:
        expect(isinstance(entry, dict) and set(entry) <= {"code", "message", "detail"},
               f"an error has only code, message and detail: {entry!r}")
        entry_code = entry.get("code")
        expect(isinstance(entry_code, str) and re.fullmatch(r"[A-Z_]+", entry_code),
               f"code must be upper-case letters and underscores: {entry!r}")
        expect(entry_code in SPEC_ERROR_CODES | LEGACY_ERROR_CODES,
               f"code {entry_code!r} is not one of the spec's error codes")
        expect(isinstance(entry.get("message", ""), str), f"message must be a string: {entry!r}")
    expect(errors[0]["code"] == code, f"expected error code {code}, got {errors[0]['code']}")


def relative_location(reply):
    location = reply.header("Location")
    expect(location, f"a Location header is required: {reply!r}")
    return location


def with_query(location, **params):
    parts = urllib.parse.urlsplit(location)
    query = urllib.parse.parse_qsl(parts.query) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def pseudo_random(label, size):
    """Deterministic bytes, distinct per label."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def octets(**headers):
    return {"Content-Type": "application/octet-stream", **headers}


class Registry:
    """A user's view of the registry: pushes used as setup by the checks."""

    def __init__(self, client):
        self.c = client

    def push_blob(self, repo, data):
        started = self.c.request("POST", f"/v2/{repo}/blobs/uploads/")
        expect_status(started, 202)
        done = self.c.request("PUT", with_query(relative_location(started), digest=digest_of(data)),
                              data, octets())
        expect_status(done, 201)
        return digest_of(data)

    def put_manifest(self, repo, reference, data, media_type=OCI_MANIFEST):
        return self.c.request("PUT", f"/v2/{repo}/manifests/{reference}", data,
                              {"Content-Type": media_type})

    def push_manifest(self, repo, reference, data, media_type=OCI_MANIFEST):
        reply = self.put_manifest(repo, reference, data, media_type)
        expect_status(reply, 201)
        return digest_of(data)

    def push_image(self, repo, tag, label):
        config = canonical({"architecture": "amd64", "os": "linux", "label": label})
        layer = pseudo_random(f"layer-{label}", 2048)
        self.push_blob(repo, config)
        self.push_blob(repo, layer)
        manifest = image_manifest(config, [layer])
        self.push_manifest(repo, tag, manifest)
        return manifest


class Recorder:
    """Named checks per category; a failing check records why and the run goes on."""

    def __init__(self, categories):
        self.categories = categories
        self.results = {c: [] for c in categories}

    @contextlib.contextmanager
    def check(self, category, name):
        started = time.monotonic()
        try:
            yield
        except (CheckFailed, OSError, ValueError, KeyError, TypeError) as e:
            self.results[category].append((name, False, f"{type(e).__name__}: {e}"))
            print(f"FAIL [{category}] {name}\n     {e}", flush=True)
        else:
            self.results[category].append((name, True, ""))
            print(f"ok   [{category}] {name} ({time.monotonic() - started:.2f}s)", flush=True)

    def summary(self):
        failed = 0
        print("\n== OCI distribution-spec v1.1 conformance ==")
        for category in self.categories:
            rows = self.results[category]
            bad = [r for r in rows if not r[1]]
            failed += len(bad)
            print(f"{category}: {len(rows) - len(bad)} passed, {len(bad)} failed")
            for name, _, why in bad:
                print(f"  FAILED {name}: {why}")
        return failed
