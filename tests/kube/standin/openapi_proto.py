"""A swagger 2.0 document encoded as the protobuf message kubectl asks for.

client-go's discovery client fetches /openapi/v2 with
`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and
decodes the body as gnostic's `openapi.v2.Document` whatever the
Content-Type; JSON there fails, and with it kubectl's client-side validation.
kubectl reads only the definitions, so this encodes those (and the version)
by hand with the field numbers of gnostic's OpenAPIv2.proto: no protobuf
library needed. A schema keyword it does not know is an error rather than
silently dropped.
"""

import json

ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
# What the server answers with: ACCEPT itself is no valid media type for Go's
# mime parser (the "@"), and client-go would fail on it.
CONTENT_TYPE = "application/octet-stream"

_VARINT, _LENGTH_DELIMITED = 0, 2

# openapi.v2.Document
_DOCUMENT_SWAGGER, _DOCUMENT_INFO, _DOCUMENT_DEFINITIONS = 1, 2, 9
# openapi.v2.Info
_INFO_TITLE, _INFO_VERSION = 1, 2
# openapi.v2.Schema
_SCHEMA_STRINGS = {"$ref": 1, "format": 2, "title": 3, "description": 4}
_SCHEMA_REQUIRED = 19
_SCHEMA_ADDITIONAL_PROPERTIES = 21  # AdditionalPropertiesItem: schema = 1, boolean = 2
_SCHEMA_TYPE = 22                   # TypeItem: repeated string value = 1
_SCHEMA_ITEMS = 23                  # ItemsItem: repeated Schema schema = 1
_SCHEMA_PROPERTIES = 25             # Properties: repeated NamedSchema = 1
_SCHEMA_VENDOR_EXTENSION = 31       # repeated NamedAny
# NamedSchema, NamedAny: name = 1, value = 2; Any: yaml = 2
_NAME, _VALUE, _ANY_YAML = 1, 2, 2


def _varint(n):
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, payload):
    """A length-delimited field: a string or an embedded message."""
    return _varint(number << 3 | _LENGTH_DELIMITED) + _varint(len(payload)) + payload


def _string(number, text):
    return _field(number, text.encode("utf-8"))


def _bool(number, value):
    return _varint(number << 3 | _VARINT) + _varint(int(value))


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _named_schemas(schemas):
    return b"".join(_field(1, _string(_NAME, name) + _field(_VALUE, encode_schema(schema)))
                    for name, schema in schemas.items())


def _vendor_extension(name, value):
    # kube-openapi reads an extension's value from its YAML text; JSON is YAML.
    return _field(_SCHEMA_VENDOR_EXTENSION,
                  _string(_NAME, name) + _field(_VALUE, _string(_ANY_YAML, json.dumps(value))))


def encode_schema(schema):
    out = []
    for key, value in schema.items():
        if key in _SCHEMA_STRINGS:
            out.append(_string(_SCHEMA_STRINGS[key], value))
        elif key == "required":
            out.extend(_string(_SCHEMA_REQUIRED, name) for name in value)
        elif key == "type":
            out.append(_field(_SCHEMA_TYPE, b"".join(_string(1, t) for t in _as_list(value))))
        elif key == "items":
            out.append(_field(_SCHEMA_ITEMS, b"".join(_field(1, encode_schema(s)) for s in _as_list(value))))
        elif key == "properties":
            out.append(_field(_SCHEMA_PROPERTIES, _named_schemas(value)))
        elif key == "additionalProperties":
            item = _bool(2, value) if isinstance(value, bool) else _field(1, encode_schema(value))
            out.append(_field(_SCHEMA_ADDITIONAL_PROPERTIES, item))
        elif key.startswith("x-"):
            out.append(_vendor_extension(key, value))
        else:
            raise ValueError(f"openapi_proto cannot encode the schema keyword {key!r}")
    return b"".join(out)


def encode_document(doc):
    info = doc.get("info", {})
    info_message = _string(_INFO_TITLE, info.get("title", "")) + _string(_INFO_VERSION, info.get("version", ""))
    return (_string(_DOCUMENT_SWAGGER, doc["swagger"]) + _field(_DOCUMENT_INFO, info_message) +
            _field(_DOCUMENT_DEFINITIONS, _named_schemas(doc["definitions"])))
