"""labelSelector and fieldSelector query parameters, as the API server reads them.

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`,
`!a`, joined by commas. As on the server, `!=` and `notin` also match objects
without the label. Field selectors: `=`, `==`, `!=` on metadata.name and
metadata.namespace (and a pod's status.phase and spec.nodeName); any other
field is refused, as the server refuses fields it does not index.
"""

import re
from dataclasses import dataclass

import api_errors
from api_resources import PODS
from object_fields import labels

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_SET_TERM = re.compile(rf"\s*({_KEY})\s+(in|notin)\s*\(([^()]*)\)\s*\Z")
_EQUALITY_TERM = re.compile(rf"\s*({_KEY})\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)\s*\Z")
_EXISTS_TERM = re.compile(rf"\s*(!?)\s*({_KEY})\s*\Z")

COMMON_FIELDS = ("metadata.name", "metadata.namespace")
POD_FIELDS = COMMON_FIELDS + ("status.phase", "spec.nodeName")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # in, notin, exists, !exists
    values: frozenset = frozenset()

    def matches(self, labels):
        if self.operator == "exists":
            return self.key in labels
        if self.operator == "!exists":
            return self.key not in labels
        present = self.key in labels and labels[self.key] in self.values
        return present if self.operator == "in" else not present


def parse_label_selector(text):
    return [_parse_label_term(term) for term in _split_terms(text) if term.strip()]


def _split_terms(text):
    """Splits on commas outside parentheses (`a in (x,y),b=c` is two terms)."""
    terms, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _parse_label_term(term):
    if m := _SET_TERM.match(term):
        values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
        return Requirement(m.group(1), m.group(2), values)
    if m := _EQUALITY_TERM.match(term):
        return Requirement(m.group(1), "notin" if m.group(2) == "!=" else "in", frozenset([m.group(3)]))
    if m := _EXISTS_TERM.match(term):
        return Requirement(m.group(2), "!exists" if m.group(1) else "exists")
    raise api_errors.bad_request(f"unable to parse requirement: {term.strip()!r}")


def parse_field_selector(text, rtype):
    """[(dotted path, wanted, value)] where wanted is False for `!=`."""
    allowed = POD_FIELDS if rtype is PODS else COMMON_FIELDS
    parsed = []
    for term in (t.strip() for t in text.split(",") if t.strip()):
        m = re.fullmatch(r"([^=!]+?)\s*(==|=|!=)\s*(.*)", term)
        if not m:
            raise api_errors.bad_request(f"invalid selector: {term!r}; can't understand {term!r}")
        if m.group(1) not in allowed:
            raise api_errors.bad_request(f'field label not supported: {m.group(1)}')
        parsed.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return parsed


def _field_value(obj, path):
    value = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def matcher(label_selector, field_selector, rtype):
    """A predicate on objects for the two query parameters (each may be empty)."""
    label_requirements = parse_label_selector(label_selector)
    field_requirements = parse_field_selector(field_selector, rtype)

    def matches(obj):
        return (all(r.matches(labels(obj)) for r in label_requirements) and
                all((_field_value(obj, path) == value) == wanted for path, wanted, value in field_requirements))

    return matches
