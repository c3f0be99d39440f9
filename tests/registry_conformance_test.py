#!/usr/bin/python3
"""OCI distribution-spec v1.1 conformance of orsa-deployer's embedded /v2
registry, by the spec's four workflow categories (Pull, Push, Content
discovery, Content management) plus ORSA's authentication rules.

Our own test, written from the spec text: each check is named after the
requirement it verifies (endpoint ids end-N as in the spec's API table) and
asserts exact statuses, headers and bodies. Creates two users (alice, bob),
their projects and an API token through the REST API, then runs every check
against `/v2/alice/<project>`. Prints a per-category summary; exits 1 when
any check fails.

usage: registry_conformance_test.py URL   (an orsa-deployer's origin)
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

from registry_http import (  # noqa: E402
    DOCKER_CONFIG, DOCKER_MANIFEST, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, CheckFailed, Client,
    Recorder, Registry, canonical, descriptor, digest_of, expect, expect_error, expect_header,
    expect_status, image_manifest, octets, pseudo_random, relative_location, with_query)
from registry_conformance_content import (  # noqa: E402
    auth_checks, management_checks, referrers_checks, tag_list_checks)

PULL, PUSH, DISCOVERY, MANAGEMENT, AUTH = (
    "Pull", "Push", "Content discovery", "Content management", "Authentication")
PASSWORD = "conformance-password-1"
MANIFEST_LIMIT = 4 * 1024 * 1024  # ORSA's manifest size limit (the spec's suggested minimum)


def setup(url):
    """alice (projects conformance, mirror, discovery, empty) and bob (private)."""
    anon = Client(url)
    users = {}
    for name, projects in (("alice", ["conformance", "mirror", "discovery", "empty"]),
                           ("bob", ["private"])):
        reply = anon.api("POST", "/api/v1/auth/register",
                         {"username": name, "email": f"{name}@example.org", "password": PASSWORD})
        expect(reply.status in (200, 201), f"register {name}: {reply!r}")
        session = reply.json()["token"]
        web = Client(url, bearer=session)
        for project in projects:
            expect_status(web.api("POST", "/api/v1/projects", {"name": project}), 201)
        tokens = {}
        for kind, scopes in (("write", ["read", "write"]), ("read", ["read"])):
            reply = web.api("POST", "/api/v1/tokens",
                            {"name": f"registry {kind}", "scopes": scopes})
            expect(reply.status in (200, 201), f"token for {name}: {reply!r}")
            tokens[kind] = reply.json()["secret"]
        users[name] = {"session": session, "tokens": tokens}
    return users


# ---------------------------------------------------------------- Pull

def pull_checks(rec, alice):
    reg = Registry(alice)
    repo = "alice/conformance"
    state = {}

    with rec.check(PULL, "end-1 GET /v2/: 200 with Docker-Distribution-API-Version: registry/2.0"):
        reply = alice.request("GET", "/v2/")
        expect_status(reply, 200)
        expect_header(reply, "Docker-Distribution-API-Version", "registry/2.0")

    with rec.check(PULL, "setup: an image (config, layer, manifest tagged pull) is pushed"):
        state["config"] = canonical({"architecture": "amd64", "os": "linux", "pull": True})
        state["layer"] = pseudo_random("pull-layer", 70_000)
        reg.push_blob(repo, state["config"])
        reg.push_blob(repo, state["layer"])
        state["manifest"] = image_manifest(state["config"], [state["layer"]])
        reg.push_manifest(repo, "pull", state["manifest"])

    manifest = state.get("manifest", b"")
    digest = digest_of(manifest)
    for how, reference in (("tag", "pull"), ("digest", digest)):
        with rec.check(PULL, f"end-3 GET manifest by {how}: 200, Content-Type is the manifest's "
                             "media type, Docker-Content-Digest, body byte for byte as pushed"):
            reply = alice.request("GET", f"/v2/{repo}/manifests/{reference}",
                                  headers={"Accept": OCI_MANIFEST})
            expect_status(reply, 200)
            expect_header(reply, "Content-Type", OCI_MANIFEST)
            expect_header(reply, "Docker-Content-Digest", digest)
            expect(reply.body == manifest, "the body differs from the pushed manifest")
            expect(digest_of(reply.body) == digest, "the body does not match its digest")
        with rec.check(PULL, f"end-3 HEAD manifest by {how}: 200, Docker-Content-Digest, "
                             "Content-Length of the stored manifest, no body"):
            reply = alice.request("HEAD", f"/v2/{repo}/manifests/{reference}")
            expect_status(reply, 200)
            expect_header(reply, "Docker-Content-Digest", digest)
            expect_header(reply, "Content-Length", str(len(manifest)))
            expect_header(reply, "Content-Type", OCI_MANIFEST)
            expect(reply.body == b"", "a HEAD response must not have a body")

    with rec.check(PULL, "end-3 Content-Type matches the one the manifest was pushed with "
                         "(Docker schema 2 without a mediaType field)"):
        config = canonical({"architecture": "amd64", "os": "linux", "docker": True})
        reg.push_blob(repo, config)
        docker = canonical({"schemaVersion": 2, "config": descriptor(DOCKER_CONFIG, config),
                            "layers": []})
        reg.push_manifest(repo, "docker", docker, DOCKER_MANIFEST)
        reply = alice.request("GET", f"/v2/{repo}/manifests/docker")
        expect_status(reply, 200)
        expect_header(reply, "Content-Type", DOCKER_MANIFEST)
        expect(reply.body == docker, "the body differs from the pushed manifest")

    layer = state.get("layer", b"")
    layer_digest = digest_of(layer)
    with rec.check(PULL, "end-2 GET blob: 200, the bytes, Docker-Content-Digest and "
                         "Content-Length"):
        reply = alice.request("GET", f"/v2/{repo}/blobs/{layer_digest}")
        expect_status(reply, 200)
        expect(reply.body == layer, "the blob's bytes differ")
        expect_header(reply, "Docker-Content-Digest", layer_digest)
        expect_header(reply, "Content-Length", str(len(layer)))
    with rec.check(PULL, "end-2 HEAD blob: 200, Docker-Content-Digest, Content-Length, no body"):
        reply = alice.request("HEAD", f"/v2/{repo}/blobs/{layer_digest}")
        expect_status(reply, 200)
        expect_header(reply, "Docker-Content-Digest", layer_digest)
        expect_header(reply, "Content-Length", str(len(layer)))
        expect(reply.body == b"", "a HEAD response must not have a body")

    size = len(layer)
    with rec.check(PULL, "Range (RFC 9110): bytes=a-b, bytes=a- and bytes=-n give 206 with "
                         "Content-Range and exactly those bytes"):
        for spec, first, last in (("bytes=100-199", 100, 199), (f"bytes={size - 10}-", size - 10,
                                  size - 1), ("bytes=-25", size - 25, size - 1)):
            reply = alice.request("GET", f"/v2/{repo}/blobs/{layer_digest}",
                                  headers={"Range": spec})
            expect_status(reply, 206)
            expect_header(reply, "Content-Range", f"bytes {first}-{last}/{size}")
            expect(reply.body == layer[first:last + 1], f"{spec}: wrong bytes")
    with rec.check(PULL, "Range beyond the blob: 416 with Content-Range: bytes */<size>"):
        reply = alice.request("GET", f"/v2/{repo}/blobs/{layer_digest}",
                              headers={"Range": f"bytes={size}-"})
        expect_error(reply, 416, "SIZE_INVALID")
        expect_header(reply, "Content-Range", f"bytes */{size}")

    unknown = digest_of(b"never pushed")
    with rec.check(PULL, "end-3 GET/HEAD an unknown manifest (tag or digest): 404 "
                         "MANIFEST_UNKNOWN"):
        for reference in ("no-such-tag", unknown):
            expect_error(alice.request("GET", f"/v2/{repo}/manifests/{reference}"), 404,
                         "MANIFEST_UNKNOWN")
            expect_status(alice.request("HEAD", f"/v2/{repo}/manifests/{reference}"), 404)
    with rec.check(PULL, "end-2 GET/HEAD an unknown blob: 404 BLOB_UNKNOWN"):
        expect_error(alice.request("GET", f"/v2/{repo}/blobs/{unknown}"), 404, "BLOB_UNKNOWN")
        expect_status(alice.request("HEAD", f"/v2/{repo}/blobs/{unknown}"), 404)
    with rec.check(PULL, "reference grammar: a malformed tag names no manifest (GET/HEAD 404)"):
        for tag in ("-dash-first", ".dot-first", "t" * 129):
            expect_error(alice.request("GET", f"/v2/{repo}/manifests/{tag}"), 404,
                         "MANIFEST_UNKNOWN")
            expect_status(alice.request("HEAD", f"/v2/{repo}/manifests/{tag}"), 404)
    with rec.check(PULL, "Error codes: a PUT to reference sha256:totallywrong is a 400 with a "
                         "spec error code"):
        reply = reg.put_manifest(repo, "sha256:totallywrong", b"{}")
        expect_error(reply, 400, "DIGEST_INVALID")


# ---------------------------------------------------------------- Push

def push_blob_checks(rec, alice):
    repo = "alice/conformance"
    blob = pseudo_random("monolithic", 5000)
    with rec.check(PUSH, "end-4a POST starts an upload: 202 with a Location under "
                         f"/v2/{repo}/blobs/uploads/"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/")
        expect_status(started, 202)
        expect(relative_location(started).startswith(f"/v2/{repo}/blobs/uploads/"),
               f"Location {started.header('Location')}")
    with rec.check(PUSH, "end-6 PUT <location>?digest= with the whole blob: 201, Location of "
                         "the blob, Docker-Content-Digest; the blob is then pullable"):
        reply = alice.request("PUT", with_query(relative_location(started),
                                                digest=digest_of(blob)), blob, octets())
        expect_status(reply, 201)
        expect_header(reply, "Location", f"/v2/{repo}/blobs/{digest_of(blob)}")
        expect_header(reply, "Docker-Content-Digest", digest_of(blob))
        expect(alice.request("GET", relative_location(reply)).body == blob, "not pullable")

    single = pseudo_random("single-post", 3000)
    with rec.check(PUSH, "end-4b single POST ?digest=: 201 with the blob's Location (or 202 "
                         "with an upload Location); pullable exactly when 201"):
        reply = alice.request("POST", f"/v2/{repo}/blobs/uploads/?digest={digest_of(single)}",
                              single, octets())
        expect(reply.status in (201, 202), f"expected 201 or 202: {reply!r}")
        pulled = alice.request("GET", f"/v2/{repo}/blobs/{digest_of(single)}")
        if reply.status == 201:
            expect_header(reply, "Location", f"/v2/{repo}/blobs/{digest_of(single)}")
            expect(pulled.status == 200 and pulled.body == single, "not pullable after 201")
        else:
            expect("/blobs/uploads/" in relative_location(reply), "202 without an upload URL")
            expect_status(pulled, 404)
    with rec.check(PUSH, "end-4b single POST whose digest does not match: 400 DIGEST_INVALID, "
                         "nothing stored"):
        claimed = digest_of(b"something else")
        reply = alice.request("POST", f"/v2/{repo}/blobs/uploads/?digest={claimed}", single,
                              octets())
        expect_error(reply, 400, "DIGEST_INVALID")
        expect_status(alice.request("HEAD", f"/v2/{repo}/blobs/{claimed}"), 404)

    streamed = pseudo_random("streamed", 9000)
    with rec.check(PUSH, "end-5 streamed PATCH (no Content-Range): 202 with Location and "
                         "Range 0-<end>; end-6 closing PUT without a body: 201"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/")
        expect_status(started, 202)
        patched = alice.request("PATCH", relative_location(started), streamed, octets())
        expect_status(patched, 202)
        expect_header(patched, "Range", f"0-{len(streamed) - 1}")
        closed = alice.request("PUT", with_query(relative_location(patched),
                                                 digest=digest_of(streamed)), b"", octets())
        expect_status(closed, 201)
        expect(alice.request("GET", relative_location(closed)).body == streamed, "not pullable")

    chunked_checks(rec, alice, repo)

    with rec.check(PUSH, "end-6 closing PUT whose digest does not match: 400 DIGEST_INVALID, "
                         "nothing stored"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/")
        claimed = digest_of(b"not these bytes")
        reply = alice.request("PUT", with_query(relative_location(started), digest=claimed),
                              b"these bytes", octets())
        expect_error(reply, 400, "DIGEST_INVALID")
        expect_status(alice.request("HEAD", f"/v2/{repo}/blobs/{claimed}"), 404)
    with rec.check(PUSH, "end-6 closing PUT without ?digest=: 400 DIGEST_INVALID"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/")
        reply = alice.request("PUT", relative_location(started), b"bytes", octets())
        expect_error(reply, 400, "DIGEST_INVALID")
    with rec.check(PUSH, "end-14 DELETE an upload: 204; the session is then unknown "
                         "(end-13 404 BLOB_UPLOAD_UNKNOWN)"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/")
        location = relative_location(started)
        expect_status(alice.request("DELETE", location), 204)
        expect_error(alice.request("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")
        expect_error(alice.request("PATCH", location, b"x", octets()), 404,
                     "BLOB_UPLOAD_UNKNOWN")


def chunked_checks(rec, alice, repo):
    blob = pseudo_random("chunked", 12_000)
    first, second = blob[:5000], blob[5000:]
    first_range = f"0-{len(first) - 1}"
    state = {}
    with rec.check(PUSH, "end-4a POST with Content-Length: 0, end-5 first chunk with "
                         "Content-Range 0-<k-1>: 202, Location, Range 0-<k-1>"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/", b"",
                                {"Content-Length": "0"})
        expect_status(started, 202)
        min_length = started.header("OCI-Chunk-Min-Length")
        expect(min_length is None or int(min_length) <= len(first), "chunk minimum too large")
        state["session"] = relative_location(started)
        reply = alice.request("PATCH", state["session"], first,
                              octets(**{"Content-Range": first_range}))
        expect_status(reply, 202)
        expect_header(reply, "Range", first_range)
        state["next"] = relative_location(reply)
    with rec.check(PUSH, "end-5 a chunk out of order (not starting at 0 on a new session): "
                         "416 Requested Range Not Satisfiable"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/", b"",
                                {"Content-Length": "0"})
        reply = alice.request("PATCH", relative_location(started), second,
                              octets(**{"Content-Range": f"{len(first)}-{len(blob) - 1}"}))
        expect_status(reply, 416)
    with rec.check(PUSH, "end-5 the previous chunk sent again: 416"):
        reply = alice.request("PATCH", state["session"], first,
                              octets(**{"Content-Range": first_range}))
        expect_status(reply, 416)
    with rec.check(PUSH, "end-5 a chunk whose Content-Range does not span its bytes (the "
                         "answered Range must end where Content-Range did): 416, upload unchanged"):
        reply = alice.request("PATCH", state["session"], second[:10],
                              octets(**{"Content-Range": f"{len(first)}-{len(blob) - 1}"}))
        expect_status(reply, 416)
        expect_header(alice.request("GET", state["session"]), "Range", first_range)
    with rec.check(PUSH, "end-13 GET the upload: 204 with Location and Range 0-<end>"):
        reply = alice.request("GET", state["session"])
        expect_status(reply, 204)
        expect_header(reply, "Range", first_range)
        state["next"] = relative_location(reply)
    with rec.check(PUSH, "end-5 second chunk: 202, Range 0-<end>; end-6 closing PUT with "
                         "Content-Length: 0: 201, the blob is the two chunks"):
        reply = alice.request("PATCH", state["next"], second,
                              octets(**{"Content-Range": f"{len(first)}-{len(blob) - 1}"}))
        expect_status(reply, 202)
        expect_header(reply, "Range", f"0-{len(blob) - 1}")
        closed = alice.request("PUT", with_query(relative_location(reply),
                                                 digest=digest_of(blob)), b"", octets())
        expect_status(closed, 201)
        expect(alice.request("GET", relative_location(closed)).body == blob, "wrong bytes")
    other = pseudo_random("final-chunk", 8000)
    with rec.check(PUSH, "end-6 closing PUT carrying the final chunk (Content-Range): 201; "
                         "one not starting where the upload ends: 416"):
        started = alice.request("POST", f"/v2/{repo}/blobs/uploads/", b"",
                                {"Content-Length": "0"})
        reply = alice.request("PATCH", relative_location(started), other[:3000],
                              octets(**{"Content-Range": "0-2999"}))
        expect_status(reply, 202)
        gap = alice.request("PUT", with_query(relative_location(reply), digest=digest_of(other)),
                            other[3100:], octets(**{"Content-Range": f"3100-{len(other) - 1}"}))
        expect_status(gap, 416)
        expect_header(gap, "Range", "0-2999")
        closed = alice.request("PUT", with_query(relative_location(reply),
                                                 digest=digest_of(other)), other[3000:],
                               octets(**{"Content-Range": f"3000-{len(other) - 1}"}))
        expect_status(closed, 201)
        expect(alice.request("GET", relative_location(closed)).body == other, "wrong bytes")


def mount_checks(rec, alice, bob):
    source, target = "alice/conformance", "alice/mirror"
    blob = pseudo_random("mounted", 4000)
    with rec.check(PUSH, "end-11 mount from a readable repository: 201, Location "
                         "/v2/<name>/blobs/<digest>, the blob is pullable there"):
        Registry(alice).push_blob(source, blob)
        reply = alice.request("POST", f"/v2/{target}/blobs/uploads/?mount={digest_of(blob)}"
                                      f"&from={source}")
        expect_status(reply, 201)
        expect_header(reply, "Location", f"/v2/{target}/blobs/{digest_of(blob)}")
        expect(alice.request("GET", relative_location(reply)).body == blob, "not mounted")
    with rec.check(PUSH, "end-11 mount without from: 202 with an upload Location"):
        reply = alice.request("POST", f"/v2/{target}/blobs/uploads/?mount="
                                      f"{digest_of(b'nothing')}")
        expect_status(reply, 202)
        expect(relative_location(reply).startswith(f"/v2/{target}/blobs/uploads/"), "Location")
    with rec.check(PUSH, "end-11 mount of a blob the source does not hold: 202 with an upload "
                         "Location"):
        reply = alice.request("POST", f"/v2/{target}/blobs/uploads/?mount="
                                      f"{digest_of(b'absent')}&from={source}")
        expect_status(reply, 202)
        expect(relative_location(reply).startswith(f"/v2/{target}/blobs/uploads/"), "Location")
    with rec.check(PUSH, "end-11 mount from another tenant's repository: 202 fallback, nothing "
                         "mounted"):
        secret = pseudo_random("bob-only", 1000)
        Registry(bob).push_blob("bob/private", secret)
        reply = alice.request("POST", f"/v2/{target}/blobs/uploads/?mount={digest_of(secret)}"
                                      "&from=bob/private")
        expect_status(reply, 202)
        expect_status(alice.request("HEAD", f"/v2/{target}/blobs/{digest_of(secret)}"), 404)


def push_manifest_checks(rec, alice):
    reg = Registry(alice)
    repo = "alice/conformance"
    config = canonical({"architecture": "amd64", "os": "linux", "push": True})
    layer = pseudo_random("push-layer", 3000)
    state = {}
    with rec.check(PUSH, "end-7 PUT manifest by tag: 201, Location, Docker-Content-Digest of "
                         "the body"):
        reg.push_blob(repo, config)
        reg.push_blob(repo, layer)
        manifest = image_manifest(config, [layer])
        state["manifest"] = manifest
        reply = reg.put_manifest(repo, "pushed", manifest)
        expect_status(reply, 201)
        expect_header(reply, "Location", f"/v2/{repo}/manifests/{digest_of(manifest)}")
        expect_header(reply, "Docker-Content-Digest", digest_of(manifest))
        expect(reply.header("OCI-Subject") is None, "OCI-Subject without a subject")
    with rec.check(PUSH, "end-7 PUT manifest by digest: 201, Docker-Content-Digest"):
        manifest = image_manifest(config, [layer], annotations={"by": "digest"})
        reply = reg.put_manifest(repo, digest_of(manifest), manifest)
        expect_status(reply, 201)
        expect_header(reply, "Docker-Content-Digest", digest_of(manifest))
        expect_status(alice.request("HEAD", f"/v2/{repo}/manifests/{digest_of(manifest)}"), 200)
    with rec.check(PUSH, "end-7 a manifest with no layers is accepted"):
        reply = reg.put_manifest(repo, "no-layers", image_manifest(config, []))
        expect_status(reply, 201)
    with rec.check(PUSH, "end-7 a manifest whose subject is not in the repository (yet) is "
                         "accepted with OCI-Subject: <subject digest>"):
        empty = reg.push_blob(repo, b"{}")
        expect(empty == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
               "the empty descriptor's digest")
        subject = image_manifest(config, [], annotations={"pushed": "later"})
        artifact = image_manifest(b"{}", [b"{}"], config_type=OCI_EMPTY,
                                  artifactType="application/vnd.example.early",
                                  subject=descriptor(OCI_MANIFEST, subject))
        reply = reg.put_manifest(repo, digest_of(artifact), artifact)
        expect_status(reply, 201)
        expect_header(reply, "OCI-Subject", digest_of(subject))
        expect_status(alice.request("HEAD", f"/v2/{repo}/manifests/{digest_of(subject)}"), 404)
    with rec.check(PUSH, "end-7 an image index: 201, then served with the index Content-Type"):
        index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [descriptor(OCI_MANIFEST, state["manifest"],
                                                    platform={"architecture": "amd64",
                                                              "os": "linux"})]})
        reply = reg.put_manifest(repo, "index", index, OCI_INDEX)
        expect_status(reply, 201)
        pulled = alice.request("GET", f"/v2/{repo}/manifests/index")
        expect_status(pulled, 200)
        expect_header(pulled, "Content-Type", OCI_INDEX)
        expect(pulled.body == index, "the index differs")
    with rec.check(PUSH, "end-7 PUT by a digest that does not match the body: 400 "
                         "DIGEST_INVALID"):
        manifest = image_manifest(config, [layer], annotations={"mismatch": "1"})
        reply = reg.put_manifest(repo, digest_of(b"other"), manifest)
        expect_error(reply, 400, "DIGEST_INVALID")
        expect_status(alice.request("HEAD", f"/v2/{repo}/manifests/{digest_of(manifest)}"), 404)
    with rec.check(PUSH, "end-7 a manifest naming a blob not in the repository: 400 "
                         "MANIFEST_BLOB_UNKNOWN, nothing tagged"):
        reply = reg.put_manifest(repo, "dangling", image_manifest(config, [b"never pushed"]))
        expect_error(reply, 400, "MANIFEST_BLOB_UNKNOWN")
        expect_status(alice.request("HEAD", f"/v2/{repo}/manifests/dangling"), 404)
    with rec.check(PUSH, "end-7 an index naming a manifest not in the repository: 400 "
                         "MANIFEST_BLOB_UNKNOWN"):
        index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [descriptor(OCI_MANIFEST, b"{\"not\":\"pushed\"}")]})
        expect_error(reg.put_manifest(repo, "dangling-index", index, OCI_INDEX), 400,
                     "MANIFEST_BLOB_UNKNOWN")
    with rec.check(PUSH, "end-7 a body that is not a manifest: 400 MANIFEST_INVALID"):
        expect_error(reg.put_manifest(repo, "broken", b"{\"schemaVersion\": 2, \"config\": 7}"),
                     400, "MANIFEST_INVALID")
        expect_error(reg.put_manifest(repo, "broken", b"not json"), 400, "MANIFEST_INVALID")
    with rec.check(PUSH, "end-7 a manifest of 4 MiB (the size registries should support) is "
                         "accepted"):
        manifest = padded_manifest(config, layer, MANIFEST_LIMIT)
        expect_status(reg.put_manifest(repo, "four-mib", manifest), 201)
    with rec.check(PUSH, "end-7 a manifest over the registry's size limit: 413 with the spec's "
                         "error body"):
        manifest = padded_manifest(config, layer, MANIFEST_LIMIT + 1)
        expect_error(reg.put_manifest(repo, "too-big", manifest), 413, "SIZE_INVALID")
        expect_status(alice.request("HEAD", f"/v2/{repo}/manifests/too-big"), 404)


def padded_manifest(config, layer, size):
    """An image manifest of exactly `size` bytes (an annotation pads it)."""
    bare = image_manifest(config, [layer], annotations={"pad": ""})
    manifest = image_manifest(config, [layer], annotations={"pad": "x" * (size - len(bare))})
    expect(len(manifest) == size, "padding")
    return manifest


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url = sys.argv[1].rstrip("/")
    started = time.monotonic()
    try:
        users = setup(url)
    except (CheckFailed, OSError, KeyError, ValueError) as e:
        print(f"setup failed: {e}", file=sys.stderr)
        return 1
    alice = Client(url, ("alice", users["alice"]["tokens"]["write"]))
    bob = Client(url, ("bob", users["bob"]["tokens"]["write"]))
    rec = Recorder([PULL, PUSH, DISCOVERY, MANAGEMENT, AUTH])
    state = {}
    pull_checks(rec, alice)
    push_blob_checks(rec, alice)
    mount_checks(rec, alice, bob)
    push_manifest_checks(rec, alice)
    tag_list_checks(rec, alice)
    referrers_checks(rec, alice, state)
    management_checks(rec, alice, state)
    auth_checks(rec, url, users, bob)
    failed = rec.summary()
    print(f"{sum(len(r) for r in rec.results.values())} checks in "
          f"{time.monotonic() - started:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
