"""The Content discovery, Content management and Authentication checks of
registry_conformance_test.py (distribution-spec v1.1; see that file)."""

import re

from registry_http import (
    OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, Client, Registry, canonical, descriptor, digest_of,
    expect, expect_error, expect_header, expect_status, image_manifest, octets, pseudo_random)

DISCOVERY, MANAGEMENT, AUTH = "Content discovery", "Content management", "Authentication"
SIGNATURE_CONFIG = "application/vnd.example.signature.config"


def tags_of(reply, repo):
    expect_status(reply, 200)
    doc = reply.json()
    expect(set(doc) == {"name", "tags"} and doc["name"] == repo,
           f"a tag list is {{\"name\": \"{repo}\", \"tags\": [...]}}: {doc!r}")
    return doc["tags"]


def next_link(reply):
    link = reply.header("Link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>;\s*rel="next"', link)
    expect(match, f"Link must be <url>; rel=\"next\" (RFC 5988): {link!r}")
    return match.group(1)


def referrers_of(reply):
    expect_status(reply, 200)
    expect_header(reply, "Content-Type", OCI_INDEX)
    doc = reply.json()
    expect(doc.get("schemaVersion") == 2 and doc.get("mediaType") == OCI_INDEX,
           f"the referrers list is an OCI image index: {doc!r}")
    expect(isinstance(doc.get("manifests"), list), f"manifests must be a list: {doc!r}")
    return sorted(doc["manifests"], key=lambda d: d.get("digest", ""))


def by_digest(descriptors):
    return sorted(descriptors, key=lambda d: d["digest"])


# ---------------------------------------------------------------- Content discovery

def tag_list_checks(rec, alice):
    reg = Registry(alice)
    repo = "alice/discovery"
    tags = ["v2", "v10", "a", "B", "latest", "_x", "1.0", "Z"]
    expected = sorted(tags)  # byte order, as Go's sort.Strings
    with rec.check(DISCOVERY, "end-8a tags list: 200, {name, tags}, every tag in lexical "
                              "(ASCII) order"):
        manifest = reg.push_image(repo, tags[0], "discovery")
        for tag in tags[1:]:
            reg.push_manifest(repo, tag, manifest)
        expect(tags_of(alice.request("GET", f"/v2/{repo}/tags/list"), repo) == expected,
               "the tags are not all there in lexical order")
    with rec.check(DISCOVERY, "end-8b n=3: exactly 3 tags and a Link rel=\"next\"; following "
                              "the links yields every tag once, the last page has no Link"):
        seen = []
        target = f"/v2/{repo}/tags/list?n=3"
        for _ in range(len(tags)):
            reply = alice.request("GET", target)
            page = tags_of(reply, repo)
            target = next_link(reply)
            expect(len(page) == 3 or (target is None and len(page) <= 3),
                   f"a page with a next link has exactly n tags: {page}")
            seen += page
            if target is None:
                break
        expect(seen == expected, f"pages gave {seen}")
    with rec.check(DISCOVERY, "end-8b last=<tag>: the tags after it, without it"):
        reply = alice.request("GET", f"/v2/{repo}/tags/list?last={expected[3]}")
        expect(tags_of(reply, repo) == expected[4:], "wrong tags after last")
        reply = alice.request("GET", f"/v2/{repo}/tags/list?n=2&last={expected[3]}")
        expect(tags_of(reply, repo) == expected[4:6], "wrong tags after last with n")
    with rec.check(DISCOVERY, "end-8b n=0: an empty list and no Link header"):
        reply = alice.request("GET", f"/v2/{repo}/tags/list?n=0")
        expect(tags_of(reply, repo) == [], "n=0 must list nothing")
        expect(reply.header("Link") is None, "n=0 must not have a Link header")
    with rec.check(DISCOVERY, "end-8b n beyond the count: every tag, no Link header"):
        reply = alice.request("GET", f"/v2/{repo}/tags/list?n=1000")
        expect(tags_of(reply, repo) == expected, "not every tag")
        expect(reply.header("Link") is None, "no Link when nothing follows")
    with rec.check(DISCOVERY, "end-8a a repository without tags: 200 with an empty list"):
        expect(tags_of(alice.request("GET", "/v2/alice/empty/tags/list"), "alice/empty") == [],
               "an empty repository lists no tags")


def referrer_documents(reg, repo, subject):
    """Four referrers of `subject`, by the kinds the spec distinguishes."""
    about = descriptor(OCI_MANIFEST, subject)
    reg.push_blob(repo, b"{}")
    signature_config = canonical({"signed": True})
    reg.push_blob(repo, signature_config)
    docs = {
        # artifactType set: the descriptor carries it
        "sbom": (image_manifest(b"{}", [b"{}"], config_type=OCI_EMPTY,
                                artifactType="application/vnd.example.sbom", subject=about,
                                annotations={"org.example.name": "sbom"}), OCI_MANIFEST),
        # no artifactType: the config's media type stands in
        "signature": (image_manifest(signature_config, [b"{}"], config_type=SIGNATURE_CONFIG,
                                     subject=about,
                                     annotations={"org.example.name": "signature"}),
                      OCI_MANIFEST),
        "bundle": (canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                              "artifactType": "application/vnd.example.bundle",
                              "manifests": [], "subject": about,
                              "annotations": {"org.example.name": "bundle"}}), OCI_INDEX),
        # an index without artifactType: the descriptor has none
        "plain-index": (canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [],
                                   "subject": about,
                                   "annotations": {"org.example.name": "plain-index"}}),
                        OCI_INDEX),
    }
    artifact_types = {"sbom": "application/vnd.example.sbom", "signature": SIGNATURE_CONFIG,
                      "bundle": "application/vnd.example.bundle"}
    expected = {}
    for name, (data, media_type) in docs.items():
        reply = reg.put_manifest(repo, digest_of(data), data, media_type)
        expect_status(reply, 201)
        expect_header(reply, "OCI-Subject", digest_of(subject))
        entry = {"mediaType": media_type, "digest": digest_of(data), "size": len(data),
                 "annotations": {"org.example.name": name}}
        if name in artifact_types:
            entry["artifactType"] = artifact_types[name]
        expected[name] = entry
    return expected


def referrers_checks(rec, alice, state):
    reg = Registry(alice)
    repo = "alice/discovery"
    with rec.check(DISCOVERY, "end-12a referrers: 200 image index listing every manifest and "
                              "index whose subject is the digest, with artifactType (or the "
                              "config's media type) and all annotations"):
        subject = reg.push_image(repo, "subject", "referred")
        state["subject"] = digest_of(subject)
        state["referrers"] = referrer_documents(reg, repo, subject)
        listed = referrers_of(alice.request("GET", f"/v2/{repo}/referrers/{state['subject']}"))
        expect(listed == by_digest(state["referrers"].values()),
               f"listed {listed}, expected {by_digest(state['referrers'].values())}")
    with rec.check(DISCOVERY, "end-12b ?artifactType=: only that type, with "
                              "OCI-Filters-Applied: artifactType"):
        reply = alice.request("GET", f"/v2/{repo}/referrers/{state['subject']}"
                                     "?artifactType=application/vnd.example.sbom")
        expect(referrers_of(reply) == [state["referrers"]["sbom"]], "filter not applied")
        expect_header(reply, "OCI-Filters-Applied", "artifactType")
        reply = alice.request("GET", f"/v2/{repo}/referrers/{state['subject']}")
        expect(reply.header("OCI-Filters-Applied") is None, "no filter, no header")
    with rec.check(DISCOVERY, "end-12a a digest nothing refers to: 200 with an empty index"):
        reply = alice.request("GET", f"/v2/{repo}/referrers/{digest_of(b'lonely')}")
        expect(referrers_of(reply) == [], "the index must be empty")
    with rec.check(DISCOVERY, "end-12a referrers of a subject not in the repository are listed"):
        absent = canonical({"schemaVersion": 2, "absent": True})
        early = image_manifest(b"{}", [b"{}"], config_type=OCI_EMPTY,
                               artifactType="application/vnd.example.early",
                               subject=descriptor(OCI_MANIFEST, absent))
        reg.push_manifest(repo, digest_of(early), early)
        listed = referrers_of(alice.request("GET", f"/v2/{repo}/referrers/{digest_of(absent)}"))
        expect([d["digest"] for d in listed] == [digest_of(early)], f"listed {listed}")
    with rec.check(DISCOVERY, "end-12a a malformed digest: 400"):
        expect_error(alice.request("GET", f"/v2/{repo}/referrers/sha256:not-hex"), 400,
                     "DIGEST_INVALID")
    with rec.check(DISCOVERY, "end-12a a repository without content: 200 with an empty index"):
        reply = alice.request("GET", f"/v2/alice/empty/referrers/{digest_of(b'x')}")
        expect(referrers_of(reply) == [], "the index must be empty")


# ---------------------------------------------------------------- Content management

def management_checks(rec, alice, state):
    reg = Registry(alice)
    repo = "alice/mirror"
    manifests = {}
    with rec.check(MANAGEMENT, "end-9 DELETE a tag: 202; that tag is then 404 "
                               "MANIFEST_UNKNOWN, the manifest and its other tags remain"):
        manifests["kept"] = reg.push_image(repo, "keep", "managed")
        reg.push_manifest(repo, "drop", manifests["kept"])
        manifests["solo"] = reg.push_image(repo, "solo", "solo")
        expect_status(alice.request("DELETE", f"/v2/{repo}/manifests/drop"), 202)
        expect_error(alice.request("GET", f"/v2/{repo}/manifests/drop"), 404, "MANIFEST_UNKNOWN")
        expect_status(alice.request("GET", f"/v2/{repo}/manifests/keep"), 200)
        kept = digest_of(manifests["kept"])
        expect_status(alice.request("GET", f"/v2/{repo}/manifests/{kept}"), 200)
    with rec.check(MANAGEMENT, "end-8a the tags list reflects a deleted tag"):
        expect(tags_of(alice.request("GET", f"/v2/{repo}/tags/list"), repo) == ["keep", "solo"],
               "drop is still listed")
    with rec.check(MANAGEMENT, "end-9 DELETE a manifest by digest: 202; then 404 by digest and "
                               "by every tag that named it"):
        solo = digest_of(manifests.get("solo", b""))
        expect_status(alice.request("DELETE", f"/v2/{repo}/manifests/{solo}"), 202)
        expect_error(alice.request("GET", f"/v2/{repo}/manifests/{solo}"), 404,
                     "MANIFEST_UNKNOWN")
        expect_error(alice.request("GET", f"/v2/{repo}/manifests/solo"), 404, "MANIFEST_UNKNOWN")
        expect(tags_of(alice.request("GET", f"/v2/{repo}/tags/list"), repo) == ["keep"],
               "solo is still listed")
    with rec.check(MANAGEMENT, "end-9 DELETE an unknown manifest or tag: 404 MANIFEST_UNKNOWN"):
        expect_error(alice.request("DELETE", f"/v2/{repo}/manifests/{digest_of(b'none')}"), 404,
                     "MANIFEST_UNKNOWN")
        expect_error(alice.request("DELETE", f"/v2/{repo}/manifests/no-such-tag"), 404,
                     "MANIFEST_UNKNOWN")
    with rec.check(MANAGEMENT, "end-9/end-12a deleting a referrer removes it from the "
                               "referrers list"):
        gone = state["referrers"]["sbom"]
        expect_status(alice.request("DELETE", f"/v2/alice/discovery/manifests/{gone['digest']}"),
                      202)
        listed = referrers_of(alice.request(
            "GET", f"/v2/alice/discovery/referrers/{state['subject']}"))
        rest = [d for name, d in state["referrers"].items() if name != "sbom"]
        expect(listed == by_digest(rest), f"listed {listed}")
    blob_delete_checks(rec, alice, repo)


def blob_delete_checks(rec, alice, repo):
    """ORSA deletes a blob no manifest of the repository needs; for one a
    manifest needs, deletion is disabled (the spec's 405), so a client never
    breaks an image. The collector reclaims the bytes."""
    reg = Registry(alice)
    with rec.check(MANAGEMENT, "end-10 DELETE a blob: 202; then GET/HEAD 404 BLOB_UNKNOWN and "
                               "a second DELETE 404"):
        blob = pseudo_random("deletable", 100)
        reg.push_blob(repo, blob)
        path = f"/v2/{repo}/blobs/{digest_of(blob)}"
        expect_status(alice.request("DELETE", path), 202)
        expect_error(alice.request("GET", path), 404, "BLOB_UNKNOWN")
        expect_status(alice.request("HEAD", path), 404)
        expect_error(alice.request("DELETE", path), 404, "BLOB_UNKNOWN")
    with rec.check(MANAGEMENT, "end-10 DELETE a blob a manifest still needs: 405 UNSUPPORTED "
                               "(deletion disabled for it), the blob stays; once the manifest "
                               "is deleted, 202"):
        layer = pseudo_random("needed-layer", 500)
        config = canonical({"needed": True})
        reg.push_blob(repo, config)
        reg.push_blob(repo, layer)
        manifest = image_manifest(config, [layer])
        reg.push_manifest(repo, "needed", manifest)
        path = f"/v2/{repo}/blobs/{digest_of(layer)}"
        expect_error(alice.request("DELETE", path), 405, "UNSUPPORTED")
        expect_status(alice.request("HEAD", path), 200)
        expect_status(alice.request("DELETE", f"/v2/{repo}/manifests/{digest_of(manifest)}"),
                      202)
        expect_status(alice.request("DELETE", path), 202)
        expect_status(alice.request("HEAD", path), 404)


# ---------------------------------------------------------------- Authentication

def auth_checks(rec, url, users, bob):
    anon = Client(url)
    repo = "alice/conformance"
    some_digest = digest_of(b"whatever")
    with rec.check(AUTH, "end-1 anonymous GET /v2/: 401 UNAUTHORIZED with a WWW-Authenticate "
                         "Basic challenge and Docker-Distribution-API-Version"):
        reply = anon.request("GET", "/v2/")
        expect_error(reply, 401, "UNAUTHORIZED")
        expect((reply.header("WWW-Authenticate") or "").startswith('Basic realm="'),
               f"challenge {reply.header('WWW-Authenticate')!r}")
        expect_header(reply, "Docker-Distribution-API-Version", "registry/2.0")
    with rec.check(AUTH, "anonymous pull and push: 401 with a challenge on every endpoint"):
        for method, path, body in (
                ("GET", f"/v2/{repo}/manifests/pull", b""),
                ("HEAD", f"/v2/{repo}/blobs/{some_digest}", b""),
                ("GET", f"/v2/{repo}/tags/list", b""),
                ("GET", f"/v2/{repo}/referrers/{some_digest}", b""),
                ("POST", f"/v2/{repo}/blobs/uploads/", b""),
                ("PUT", f"/v2/{repo}/manifests/anon", b"{}"),
                ("DELETE", f"/v2/{repo}/manifests/pull", b"")):
            reply = anon.request(method, path, body)
            expect_status(reply, 401)
            expect(reply.header("WWW-Authenticate"), f"{method} {path}: no challenge")
    with rec.check(AUTH, "the same requests with Basic username + API token, and username + "
                         "session token, succeed"):
        for secret in (users["alice"]["tokens"]["write"], users["alice"]["session"]):
            client = Client(url, ("alice", secret))
            expect_status(client.request("GET", "/v2/"), 200)
            expect_status(client.request("GET", f"/v2/{repo}/manifests/pull"), 200)
    with rec.check(AUTH, "Basic with a wrong secret: 401 UNAUTHORIZED with a challenge"):
        reply = Client(url, ("alice", "not-the-token")).request("GET", "/v2/")
        expect_error(reply, 401, "UNAUTHORIZED")
        expect(reply.header("WWW-Authenticate"), "no challenge")
    with rec.check(AUTH, "a read-only token pulls but cannot push: 403 DENIED"):
        reader = Client(url, ("alice", users["alice"]["tokens"]["read"]))
        expect_status(reader.request("GET", f"/v2/{repo}/manifests/pull"), 200)
        expect_error(reader.request("POST", f"/v2/{repo}/blobs/uploads/"), 403, "DENIED")
        expect_error(reader.request("DELETE", f"/v2/{repo}/manifests/pull"), 403, "DENIED")
    with rec.check(AUTH, "another tenant's repository: 404 NAME_UNKNOWN on pull, push, "
                         "discovery and delete"):
        for method, path, body in (
                ("GET", f"/v2/{repo}/manifests/pull", b""),
                ("GET", f"/v2/{repo}/blobs/{some_digest}", b""),
                ("GET", f"/v2/{repo}/tags/list", b""),
                ("GET", f"/v2/{repo}/referrers/{some_digest}", b""),
                ("POST", f"/v2/{repo}/blobs/uploads/", b""),
                ("PUT", f"/v2/{repo}/manifests/theirs", b"{}"),
                ("DELETE", f"/v2/{repo}/manifests/pull", b"")):
            expect_error(bob.request(method, path, body, octets()), 404, "NAME_UNKNOWN")
        expect_status(bob.request("HEAD", f"/v2/{repo}/manifests/pull"), 404)
