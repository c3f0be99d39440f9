"""Values checked and converted by the service models botocore ships.

Every parameter the stand-in accepts and every result it returns passes
check(): botocore's own ParamValidator (required members, unknown members,
types, `min`) plus the constraints the service model declares but
ParamValidator leaves to the service: `enum`, `max`, `pattern`, `min`/`max`
of maps and blobs, and booleans where numbers belong (Python counts True as
an int). Messages name the member path and use AWS's wording ("Value 'x' at
'path' failed to satisfy constraint: Member must ...").

Between the wire and the handlers, values are typed: timestamps are aware
datetimes and blobs are bytes. from_json / from_query make them so from a
JSON body or a query-protocol form; to_json / to_xml write them back as the
protocol wants (epoch seconds or ISO 8601, base64).
"""

import base64
import binascii
import datetime
import functools
import json
import re
import sys
import xml.etree.ElementTree as ET

from botocore.utils import parse_to_aware_datetime
from botocore.validate import ParamValidator

import aws_errors

NUMBER_TYPES = ("integer", "long", "double", "float")
SCALAR_TYPES = NUMBER_TYPES + ("string", "boolean", "timestamp", "blob")
MAX_QUERY_LIST_ITEMS = 1000
MAX_SHOWN = 100  # characters of an offending value quoted in a message
# Patterns are Java regular expressions; Python's re has no \p{..} classes.
# The models use only these three, always inside [...]: letters and digits
# become \w (which also takes `_`, allowed wherever they occur), separators
# Unicode's Z category spelled out.
JAVA_CLASS_ESCAPES = {
    r"\p{L}": r"\w",
    r"\p{N}": r"\w",
    r"\p{Z}": "\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
}


def check(value, shape):
    """Every constraint violation of `value` against `shape`, as messages."""
    report = ParamValidator().validate(value, shape)
    messages = report.generate_report().splitlines() if report.has_errors() else []
    _check_constraints(value, shape, "", messages)
    return messages


def member_path(path):
    return path.lstrip(".") or "input"


def _violation(messages, path, value, rule):
    messages.append(f"Value '{_shown(value)}' at '{member_path(path)}' failed to satisfy "
                    f"constraint: Member must {rule}")


def _shown(value):
    """The offending value as a message shows it: text, cut at MAX_SHOWN."""
    if isinstance(value, (bytes, bytearray)):
        text = f"<{len(value)} bytes>"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def _check_constraints(value, shape, path, messages):
    """The model's constraints ParamValidator skips; wrong types are its job."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                _check_constraints(member, shape.members[name], f"{path}.{name}", messages)
    elif kind == "list" and isinstance(value, (list, tuple)):
        _check_max(len(value), shape, path, value, "have length less than or equal to", messages)
        for index, item in enumerate(value):
            _check_constraints(item, shape.member, f"{path}[{index}]", messages)
    elif kind == "map" and isinstance(value, dict):
        _check_min(len(value), shape, path, value, "have length greater than or equal to", messages)
        _check_max(len(value), shape, path, value, "have length less than or equal to", messages)
        for key, item in value.items():
            _check_constraints(key, shape.key, f"{path} (key: {key})", messages)
            _check_constraints(item, shape.value, f"{path}.{key}", messages)
    elif kind == "string" and isinstance(value, str):
        _check_string(value, shape, path, messages)
    elif kind == "blob" and isinstance(value, (bytes, bytearray)):
        _check_min(len(value), shape, path, value, "have length greater than or equal to", messages)
        _check_max(len(value), shape, path, value, "have length less than or equal to", messages)
    elif kind in NUMBER_TYPES and isinstance(value, bool):
        messages.append(f"Invalid type for parameter {member_path(path)}, value: {value}, "
                        f"type: <class 'bool'>, valid types: {kind}")
    elif kind in NUMBER_TYPES and isinstance(value, (int, float)):
        _check_max(value, shape, path, value, "have value less than or equal to", messages)


def _check_min(measure, shape, path, value, rule, messages):
    limit = shape.metadata.get("min")
    if limit is not None and measure < limit:
        _violation(messages, path, value, f"{rule} {limit}")


def _check_max(measure, shape, path, value, rule, messages):
    limit = shape.metadata.get("max")
    if limit is not None and measure > limit:
        _violation(messages, path, value, f"{rule} {limit}")


def _check_string(value, shape, path, messages):
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        _violation(messages, path, value, f"satisfy enum value set: [{', '.join(enum)}]")
    limit = shape.metadata.get("max")
    if limit is not None and len(value) > limit:
        _violation(messages, path, value, f"have length less than or equal to {limit}")
        return  # no pattern match on an over-long value: it is refused anyway
    pattern = shape.metadata.get("pattern")
    compiled = compile_pattern(pattern) if pattern else None
    if compiled is not None and not compiled.fullmatch(value):
        _violation(messages, path, value, f"satisfy regular expression pattern: {pattern}")


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern):
    """The model's Java pattern as a Python one, matched whole as Java's
    matches() does; None (pattern unchecked, said on stderr) when Python's
    re cannot express it."""
    translated = pattern
    for java, python in JAVA_CLASS_ESCAPES.items():
        translated = translated.replace(java, python)
    try:
        return re.compile(translated)
    except re.error as error:
        print(f"awsserver: model pattern {pattern!r} not checked: {error}", file=sys.stderr)
        return None


# --- JSON protocols -------------------------------------------------------

def from_json(value, shape):
    """A parsed JSON body as typed values. Unknown members and values of the
    wrong JSON type are left as they are, for check() to name."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        by_wire_name = {member.serialization.get("name", name): name
                        for name, member in shape.members.items()}
        typed = {}
        for key, item in value.items():
            name = by_wire_name.get(key, key)
            typed[name] = from_json(item, shape.members[name]) if name in shape.members else item
        return typed
    if kind == "list" and isinstance(value, list):
        return [from_json(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: from_json(item, shape.value) for key, item in value.items()}
    if kind == "timestamp" and value is not None:
        return _json_timestamp(value)
    if kind == "blob" and isinstance(value, str):
        return _base64(value)
    return value


def _json_timestamp(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise aws_errors.serialization(
            f"Timestamps are epoch seconds (a JSON number) in this protocol, not {value!r}")
    return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)


def _base64(text):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise aws_errors.serialization("A blob member is not valid base64")


def to_json(value, shape):
    """Typed values as the JSON protocols put them on the wire."""
    kind = shape.type_name
    if kind == "structure":
        return {member.serialization.get("name", name): to_json(value[name], member)
                for name, member in shape.members.items() if value.get(name) is not None}
    if kind == "list":
        return [to_json(item, shape.member) for item in value]
    if kind == "map":
        return {key: to_json(item, shape.value) for key, item in value.items()}
    if kind == "timestamp":
        return _iso8601(value) if shape.serialization.get("timestampFormat") == "iso8601" \
            else value.timestamp()
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def _iso8601(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- query protocol -------------------------------------------------------

def from_query(form, shape):
    """A query-protocol form ({key: value}, without Action and Version) as
    typed parameters: scalars, lists as Name.member.N and structures as
    Name.Member. Keys left over (maps, misspellings) are kept at the top
    level, so check() reports each as an unknown parameter."""
    consumed = set()
    params = _query_structure(form, "", shape, consumed)
    params.update({key: value for key, value in form.items() if key not in consumed})
    return params


def _query_structure(form, prefix, shape, consumed):
    params = {}
    for name, member in shape.members.items():
        key = prefix + member.serialization.get("name", name)
        value = _query_value(form, key, member, consumed)
        if value is not None:
            params[name] = value
    return params


def _query_value(form, key, shape, consumed):
    kind = shape.type_name
    if kind in SCALAR_TYPES:
        if key not in form:
            return None
        consumed.add(key)
        return _query_scalar(form[key], shape)
    if kind == "list":
        return _query_list(form, key, shape, consumed)
    if kind == "structure":
        return _query_structure(form, key + ".", shape, consumed) or None
    return None


def _query_list(form, key, shape, consumed):
    if form.get(key) == "":
        consumed.add(key)  # `Name=` is how the query protocol sends an empty list
        return []
    flattened = shape.serialization.get("flattened")
    stem = key if flattened else f"{key}.{shape.member.serialization.get('name', 'member')}"
    items = []
    for index in range(1, MAX_QUERY_LIST_ITEMS + 1):
        item = _query_value(form, f"{stem}.{index}", shape.member, consumed)
        if item is None:
            break
        items.append(item)
    return items or None


def _query_scalar(text, shape):
    """A form value in its member's type; text that does not convert stays
    text, for check() to report as the wrong type."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("double", "float"):
            return float(text)
        if kind == "timestamp":
            return parse_to_aware_datetime(text)
    except (ValueError, TypeError, OverflowError):
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "blob":
        return _base64(text)
    return text


def to_xml(parent, name, value, shape):
    """One typed value as a query-protocol response element under `parent`."""
    kind = shape.type_name
    if kind == "structure":
        element = ET.SubElement(parent, name)
        for member_name, member in shape.members.items():
            if value.get(member_name) is not None:
                to_xml(element, member.serialization.get("name", member_name),
                       value[member_name], member)
    elif kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        container = parent if shape.serialization.get("flattened") else ET.SubElement(parent, name)
        for item in value:
            to_xml(container, name if container is parent else item_name, item, shape.member)
    elif kind == "map":
        element = ET.SubElement(parent, name)
        for key, item in value.items():
            entry = ET.SubElement(element, "entry")
            to_xml(entry, "key", key, shape.key)
            to_xml(entry, "value", item, shape.value)
    else:
        ET.SubElement(parent, name).text = _xml_scalar(value, kind)


def _xml_scalar(value, kind):
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return _iso8601(value)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return str(value)
