"""The Kubernetes OpenAPI document, three ways.

- Validation of every object written: tests/kube/validate_objects.py's
  Validator, imported from the parent directory (strict v1.13 schema, the
  python3-kubernetes round trip, the extra server rules).
- Patch strategies for strategic merge patches, read from the same
  definitions (x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key).
- The document served at /openapi/v2: the v1.13 document plus the
  validator's allow-listed newer fields (NEWER_FIELDS), so kubectl's
  client-side validation accepts exactly what the server does.
"""

import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import validate_objects  # noqa: E402  (tests/kube/, found through the line above)

# Set by the server, never sent by a client that builds an object: left out
# of validation, with status (whose timestamps would not survive the
# client's round trip byte for byte, see tests/kube/README.md).
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "selfLink",
                   "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds")

SECCOMP_PROFILE = "io.k8s.api.core.v1.SeccompProfile"
# OpenAPI for each field of validate_objects.NEWER_FIELDS (as Kubernetes 1.19 publishes it).
NEWER_FIELD_SCHEMAS = {"seccompProfile": {"$ref": "#/definitions/" + SECCOMP_PROFILE}}
NEWER_DEFINITIONS = {
    SECCOMP_PROFILE: {
        "description": "SeccompProfile defines a pod/container's seccomp profile settings.",
        "required": ["type"],
        "properties": {"type": {"type": "string"}, "localhostProfile": {"type": "string"}},
    },
}


def without_server_fields(obj):
    candidate = copy.deepcopy(obj)
    candidate.pop("status", None)
    meta = candidate.get("metadata")
    if isinstance(meta, dict):
        for key in SERVER_METADATA:
            meta.pop(key, None)
    return candidate


@dataclass(frozen=True)
class FieldInfo:
    node: "PatchNode | None"
    strategies: tuple
    merge_key: str | None


class PatchNode:
    """A place in the definitions, walked along a strategic merge patch."""

    def __init__(self, resolve, schema):
        self._resolve = resolve
        self._schema = schema

    def field(self, key):
        _, schema = self._resolve(self._schema)
        prop = schema.get("properties", {}).get(key)
        if prop is not None:
            strategies = tuple(prop.get("x-kubernetes-patch-strategy", "").split(","))
            return FieldInfo(PatchNode(self._resolve, prop), strategies,
                             prop.get("x-kubernetes-patch-merge-key"))
        values = schema.get("additionalProperties")
        if isinstance(values, dict):  # a map: every key has the same schema
            return FieldInfo(PatchNode(self._resolve, values), (), None)
        return None

    def item(self):
        _, schema = self._resolve(self._schema)
        items = schema.get("items")
        return PatchNode(self._resolve, items) if isinstance(items, dict) else None


class Schema:
    def __init__(self, openapi_path):
        self._validator = validate_objects.Validator(openapi_path)

    def problems(self, obj):
        """[(field path, message)] for obj as a client would send it."""
        return [(validate_objects.fmt_path(path), message)
                for path, message in self._validator.check(without_server_fields(obj))]

    def patch_root(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        name = self._validator.by_gvk.get((group, version, kind))
        if name is None:
            return None
        return PatchNode(self._validator.resolve, {"$ref": "#/definitions/" + name})


def served_document(openapi_path):
    """The swagger document for /openapi/v2, with the allow-listed newer fields added."""
    with open(openapi_path, encoding="utf-8") as f:
        doc = json.load(f)
    definitions = doc["definitions"]
    definitions.update(copy.deepcopy(NEWER_DEFINITIONS))
    for definition, fields in validate_objects.NEWER_FIELDS.items():
        for field in fields:
            if field not in NEWER_FIELD_SCHEMAS:
                raise SystemExit(f"validate_objects.NEWER_FIELDS allows {definition}.{field}: "
                                 f"add its OpenAPI schema to NEWER_FIELD_SCHEMAS in {__file__}")
            definitions[definition]["properties"][field] = copy.deepcopy(NEWER_FIELD_SCHEMAS[field])
    return doc
