#!/usr/bin/python3
"""Contract check of Kubernetes objects, without a cluster.

Usage: /usr/bin/python3 validate_objects.py --openapi swagger.json FILE...

Each FILE holds JSON: one object, or {"apiVersion": "v1", "kind": "List",
"items": [...]}. Each object must pass all of:

1. the Kubernetes v1.13 OpenAPI schema of its apiVersion/kind, made strict:
   objects reject unknown fields, objects must be objects, int32/int64 must
   fit, "byte" strings must be base64;
2. a round trip through the python3-kubernetes (22.x, Kubernetes 1.22)
   model: deserialize, serialize, compare. Anything the model drops or
   changes (unknown or renamed field, wrong type, null) is an error;
3. a few server-side rules no schema states (see extra_problems).

Fields newer than v1.13 are errors, except those in NEWER_FIELDS: they are
removed before step 1 and checked by step 2 (whose models know them) and 3.

Prints "FILE: kind/name: path: message" per problem; exits 1 if any.
Run it with Debian's /usr/bin/python3 (packages python3-jsonschema and
python3-kubernetes); a python3 earlier on PATH may not see them.
"""

import argparse
import base64
import binascii
import copy
import json
import re
import sys

import jsonschema
import kubernetes
import kubernetes.client

# Fields ORSA needs that the v1.13 document lacks: {definition: {field:
# Kubernetes version that added it}}. Keyed by definition, not by object path,
# so pod and container level are covered wherever a pod template sits
# (Deployment, Job, init containers...). Keep this list short and explicit.
NEWER_FIELDS = {
    "io.k8s.api.core.v1.PodSecurityContext": {"seccompProfile": "1.19"},
    "io.k8s.api.core.v1.SecurityContext": {"seccompProfile": "1.19"},
}

SECCOMP_TYPES = ("RuntimeDefault", "Localhost", "Unconfined")
# metadata.name rules of the API server (apimachinery validation).
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")


def fmt_path(parts):
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "."


def load_json(path):
    """json.load that rejects duplicate keys (Go keeps the last one silently)."""
    def pairs(items):
        obj = {}
        for k, v in items:
            if k in obj:
                raise ValueError(f"duplicate key {k!r}")
            obj[k] = v
        return obj
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=pairs)


def strictify(schema):
    """Makes a swagger schema reject what the API server would reject."""
    if "properties" in schema:
        # v1.13 definitions carry no "type": without it, "spec": "x" would pass.
        schema.setdefault("type", "object")
        schema.setdefault("additionalProperties", False)
        for sub in schema["properties"].values():
            strictify(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            strictify(schema[key])


def format_checker():
    checker = jsonschema.FormatChecker(formats=())

    def int_range(bits):
        return lambda v: not isinstance(v, int) or -(2 ** (bits - 1)) <= v < 2 ** (bits - 1)

    checker.checks("int32")(int_range(32))
    checker.checks("int64")(int_range(64))

    @checker.checks("byte", raises=(binascii.Error, ValueError))
    def _(v):
        if isinstance(v, str):
            base64.b64decode(v, validate=True)  # padding required, like Go's StdEncoding
        return True

    return checker


class Validator:
    def __init__(self, openapi_path):
        doc = load_json(openapi_path)
        self.defs = doc["definitions"]
        for schema in self.defs.values():
            strictify(schema)
        # The v1.13 document says string; the server takes an int32 or a string.
        self.defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["integer", "string"]}
        self.by_gvk = {}
        for name, schema in self.defs.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                self.by_gvk[(gvk["group"], gvk["version"], gvk["kind"])] = name
        self.resolver = jsonschema.RefResolver.from_schema({"definitions": self.defs})
        self.formats = format_checker()
        self.api = kubernetes.client.ApiClient()

    def resolve(self, schema):
        name = None
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = self.defs[name]
        return name, schema

    def strip_newer(self, value, schema, path, found):
        """Removes NEWER_FIELDS from value in place, walking it along schema."""
        name, schema = self.resolve(schema)
        if isinstance(value, dict) and "properties" in schema:
            newer = NEWER_FIELDS.get(name, {})
            for key in list(value):
                if key in newer:
                    found.append((path + [key], value.pop(key)))
                elif key in schema["properties"]:
                    self.strip_newer(value[key], schema["properties"][key], path + [key], found)
        elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
            for key, item in value.items():
                self.strip_newer(item, schema["additionalProperties"], path + [key], found)
        elif isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                self.strip_newer(item, schema["items"], path + [i], found)

    def check(self, obj):
        """Yields (path, message) for each problem of one object."""
        if not isinstance(obj, dict):
            yield [], "not a JSON object"
            return
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            yield [], "apiVersion and kind must be strings"
            return
        group, _, version = api_version.rpartition("/")
        name = self.by_gvk.get((group, version, kind))
        if name is None:
            yield [], f"no apiVersion {api_version} kind {kind} in the Kubernetes v1.13 OpenAPI document"
            return

        # 1. v1.13 schema, without the allow-listed newer fields.
        older = copy.deepcopy(obj)
        newer = []
        self.strip_newer(older, {"$ref": "#/definitions/" + name}, [], newer)
        validator = jsonschema.Draft4Validator(self.defs[name], resolver=self.resolver,
                                               format_checker=self.formats)
        for err in sorted(validator.iter_errors(older), key=lambda e: list(map(str, e.absolute_path))):
            yield list(err.absolute_path), err.message + " (Kubernetes v1.13 schema)"

        # 2. Round trip through the 1.22 model.
        yield from self.round_trip(obj, name)

        # 3. What the server checks beyond the schema.
        yield from extra_problems(obj, newer)

    def round_trip(self, obj, definition):
        # io.k8s.api.apps.v1.Deployment -> V1Deployment (the client's naming)
        version, kind = definition.split(".")[-2:]
        model = version[0].upper() + version[1:] + kind
        if not hasattr(kubernetes.client, model):
            yield [], f"no model {model} in python3-kubernetes {kubernetes.__version__}"
            return

        class Response:  # what ApiClient.deserialize reads
            data = json.dumps(obj)

        try:
            back = self.api.sanitize_for_serialization(self.api.deserialize(Response, model))
        except Exception as e:  # whatever the model cannot take is a problem, not a crash
            yield [], f"python3-kubernetes {model} rejects it: {e}"
            return
        yield from diff(obj, back, [])


def diff(orig, back, path):
    if isinstance(orig, dict) and isinstance(back, dict):
        for key in list(orig) + [k for k in back if k not in orig]:
            if key not in back and orig[key] is None:
                yield path + [key], "null (omit the field instead)"
            elif key not in back:
                yield path + [key], "unknown field (python3-kubernetes model drops it)"
            elif key not in orig:
                yield path + [key], "python3-kubernetes model adds it"
            else:
                yield from diff(orig[key], back[key], path + [key])
    elif isinstance(orig, list) and isinstance(back, list) and len(orig) == len(back):
        for i, (a, b) in enumerate(zip(orig, back)):
            yield from diff(a, b, path + [i])
    elif type(orig) is not type(back) or orig != back:
        yield path, f"python3-kubernetes round trip changes {json.dumps(orig)} to {json.dumps(back)}"


def extra_problems(obj, newer):
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        yield ["metadata", "name"], "required (or generateName)"
    elif isinstance(name, str):
        if obj["kind"] == "Service":  # a Service name becomes a DNS label
            rule, ok = "DNS-1035 label", DNS1035_LABEL.match(name) and len(name) <= 63
        else:
            rule, ok = "DNS-1123 subdomain", DNS1123_SUBDOMAIN.match(name) and len(name) <= 253
        if not ok:
            yield ["metadata", "name"], f"{name!r} is not a {rule}"

    if obj["kind"] == "Secret" and obj.get("type") == "kubernetes.io/dockerconfigjson":
        data, string_data = obj.get("data") or {}, obj.get("stringData") or {}
        key = ".dockerconfigjson"
        try:
            raw = string_data[key] if key in string_data else base64.b64decode(data[key])
            json.loads(raw)
        except KeyError:
            yield ["data"], f"a {obj['type']} Secret needs the key {key}"
        except (ValueError, TypeError, binascii.Error):
            yield ["data", key], "is not base64 of a JSON document"

    for path, value in newer:
        if path[-1] == "seccompProfile" and isinstance(value, dict):
            kind, local = value.get("type"), value.get("localhostProfile")
            if kind not in SECCOMP_TYPES:
                yield path + ["type"], f"{kind!r} is not one of {', '.join(SECCOMP_TYPES)}"
            elif (kind == "Localhost") != (local is not None):
                yield path + ["localhostProfile"], "required with type Localhost, forbidden otherwise"


def objects_of(doc):
    """Yields the objects of a file: one object or the items of a v1 List."""
    if isinstance(doc, dict) and doc.get("kind") == "List" and doc.get("apiVersion") == "v1":
        extra = set(doc) - {"apiVersion", "kind", "metadata", "items"}
        if extra or not isinstance(doc.get("items"), list):
            raise ValueError("a v1 List has exactly apiVersion, kind, items (and metadata)")
        yield from doc["items"]
    else:
        yield doc


def validate_files(validator, files, out=sys.stdout):
    """Prints the problems of files; returns how many there were."""
    count = 0
    for path in files:
        try:
            objs = list(objects_of(load_json(path)))
        except (OSError, ValueError) as e:
            print(f"{path}: -: .: {e}", file=out)
            count += 1
            continue
        for obj in objs:
            meta = obj.get("metadata") if isinstance(obj, dict) else None
            label = "{}/{}".format(obj.get("kind", "?") if isinstance(obj, dict) else "?",
                                   meta.get("name", "?") if isinstance(meta, dict) else "?")
            for where, message in validator.check(obj):
                print(f"{path}: {label}: {fmt_path(where)}: {message}", file=out)
                count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openapi", required=True, help="swagger.json from fetch-openapi.sh")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args()
    problems = validate_files(Validator(args.openapi), args.files)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
