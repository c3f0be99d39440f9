"""The three patch formats of the API server, applied to plain JSON values.

- JSON merge patch (RFC 7386): maps merge, null deletes, anything else replaces.
- JSON patch (RFC 6902): add, remove, replace, move, copy, test.
- Strategic merge patch (what kubectl apply and kubectl patch send by
  default): a merge patch where a list whose OpenAPI field says
  `x-kubernetes-patch-strategy: merge` is merged element by element, matched
  on `x-kubernetes-patch-merge-key` (containers by name, ports by
  containerPort...), and lists of scalars are unioned. Directives honoured:
  `$patch: replace` and `$patch: delete` (on a map or a list element),
  `$retainKeys`, `$deleteFromPrimitiveList/FIELD`. Approximated:
  `$setElementOrder/FIELD` is ignored, so merged elements keep their old
  order and new ones are appended, where the server would reorder them.
"""

import copy

import api_errors

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- strategic merge patch --------------------------------------------------

def strategic_merge_patch(target, patch, schema_node):
    """schema_node: a openapi_schema.PatchNode for target's kind (None: no list merges)."""
    if not isinstance(patch, dict):
        raise api_errors.bad_request("a strategic merge patch is a JSON object")
    return _merge_map(target, patch, schema_node)


def _merge_map(target, patch, node):
    if patch.get(DIRECTIVE) == "replace":
        return _without_directives(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            field = key[len(DELETE_FROM_PRIMITIVE_LIST):]
            result[field] = [v for v in result.get(field, []) if v not in value]
        elif key.startswith("$"):  # $patch, $retainKeys (below), $setElementOrder/... (ignored)
            continue
        elif value is None or (isinstance(value, dict) and value.get(DIRECTIVE) == "delete"):
            result.pop(key, None)
        else:
            result[key] = _merge_value(result.get(key), value, node.field(key) if node else None)
    if RETAIN_KEYS in patch:
        result = {k: v for k, v in result.items() if k in patch[RETAIN_KEYS]}
    return result


def _merge_value(current, patch, field):
    """field: a openapi_schema.FieldInfo for the key being merged, or None when unknown."""
    node = field.node if field else None
    if isinstance(patch, dict) and isinstance(current, dict):
        return _merge_map(current, patch, node)
    if isinstance(patch, list) and isinstance(current, list) and field and "merge" in field.strategies:
        if field.merge_key:
            return _merge_list_by_key(current, patch, field.merge_key, node.item() if node else None)
        if all(not isinstance(v, (dict, list)) for v in current + patch):
            return current + [v for v in patch if v not in current]
    return _without_directives(patch)


def _merge_list_by_key(current, patch, merge_key, item_node):
    if any(isinstance(e, dict) and e.get(DIRECTIVE) == "replace" for e in patch):
        return [_without_directives(e) for e in patch if not (isinstance(e, dict) and DIRECTIVE in e)]
    result = copy.deepcopy(current)
    for element in patch:
        if not isinstance(element, dict) or merge_key not in element:
            raise api_errors.unprocessable(f"a list element of this strategic merge patch lacks its merge key "
                                       f"{merge_key!r}: {element!r}")
        index = next((i for i, e in enumerate(result)
                      if isinstance(e, dict) and e.get(merge_key) == element[merge_key]), None)
        if element.get(DIRECTIVE) == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(_without_directives(element))
        else:
            result[index] = _merge_map(result[index], element, item_node)
    return result


def _without_directives(value):
    """value with every $-key removed (a new value in a patch may still carry them)."""
    if isinstance(value, dict):
        return {k: _without_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_without_directives(v) for v in value]
    return value


# --- JSON patch ---------------------------------------------------------------

def json_patch(document, operations):
    if not isinstance(operations, list):
        raise api_errors.bad_request("a JSON patch is a JSON array of operations")
    # One copy for the whole patch: a failing operation raises, and the caller
    # keeps its object as it was (a JSON patch applies all or nothing).
    document = copy.deepcopy(document)
    for operation in operations:
        document = _apply_operation(document, operation)
    return document


def _apply_operation(doc, operation):
    if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
        raise api_errors.bad_request(f"a JSON patch operation needs op and path: {operation!r}")
    op, path = operation.get("op"), _pointer(operation["path"])
    if op in ("add", "replace", "test") and "value" not in operation:
        raise api_errors.bad_request(f"JSON patch operation {op} needs a value")
    if op == "add":
        return _add(doc, path, copy.deepcopy(operation["value"]))
    if op == "remove":
        return _remove(doc, path)[0]
    if op == "replace":
        return _add(_remove(doc, path)[0], path, copy.deepcopy(operation["value"]))
    if op in ("move", "copy"):
        source = _pointer(operation.get("from", ""))
        if op == "move":
            doc, value = _remove(doc, source)
        else:
            value = copy.deepcopy(_get(doc, source))
        return _add(doc, path, value)
    if op == "test":
        if _get(doc, path) != operation["value"]:
            raise api_errors.unprocessable(f"testing value {operation['path']} failed")
        return doc
    raise api_errors.bad_request(f"unknown JSON patch operation {op!r}")


def _pointer(text):
    """RFC 6901: '' is the whole document, '/a/b~1c' is ['a', 'b/c']."""
    if text == "":
        return []
    if not isinstance(text, str) or not text.startswith("/"):
        raise api_errors.bad_request(f"a JSON pointer starts with '/': {text!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/")]


def _index(container, token, allow_end):
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (token != "0" and token.startswith("0")):
        raise api_errors.unprocessable(f"not an array index: {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise api_errors.unprocessable(f"array index {index} out of range")
    return index


def _get(doc, path):
    for token in path:
        if isinstance(doc, dict) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list):
            doc = doc[_index(doc, token, allow_end=False)]
        else:
            raise api_errors.unprocessable(f"no such path in the object: /{'/'.join(path)}")
    return doc


def _add(doc, path, value):
    if not path:
        return value
    parent = _get(doc, path[:-1])
    if isinstance(parent, dict):
        parent[path[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, path[-1], allow_end=True), value)
    else:
        raise api_errors.unprocessable(f"cannot add to a scalar at /{'/'.join(path[:-1])}")
    return doc


def _remove(doc, path):
    """(doc without the value at path, that value)."""
    if not path:
        raise api_errors.unprocessable("cannot remove the whole object")
    parent = _get(doc, path[:-1])
    if isinstance(parent, dict) and path[-1] in parent:
        return doc, parent.pop(path[-1])
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, path[-1], allow_end=False))
    raise api_errors.unprocessable(f"no such path in the object: /{'/'.join(path)}")
