"""Small helpers on Kubernetes objects (plain dicts) shared by the server and the controller."""

import datetime
import ipaddress
import secrets

# Fake address pools, as a cluster's defaults (flannel's pod network, the
# default service range). The addresses are only written into objects:
# nothing listens there and nothing ever sends to them.
POD_NETWORK = ipaddress.ip_network("10.244.0.0/16")
SERVICE_NETWORK = ipaddress.ip_network("10.96.0.0/16")

# What the real server uses for generated name suffixes (no vowels: no words).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def now_timestamp():
    """RFC 3339 in seconds, UTC, as metav1.Time is written."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(length=5):
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(length))


def metadata(obj):
    return obj.setdefault("metadata", {})


def labels(obj):
    return (obj.get("metadata") or {}).get("labels") or {}


def owner_reference(owner):
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}


def is_owned_by(obj, owner_uid):
    return any(ref.get("uid") == owner_uid for ref in obj["metadata"].get("ownerReferences", []))


def first_free_address(network, used):
    """The lowest host address of network not in used (strings), or None when all are."""
    for address in network.hosts():
        if str(address) not in used:
            return str(address)
    return None


def keep_condition_times(status, previous):
    """status with the times of each condition that did not change (status, reason, message) kept from previous.

    A controller rewrites a whole status on every pass: without this, every
    pass would be a change, and a write that wakes the next pass.
    """
    old = {c.get("type"): c for c in previous.get("conditions", [])}
    conditions = []
    for condition in status.get("conditions", []):
        before = old.get(condition["type"])
        same = before and all(before.get(k) == condition.get(k) for k in ("status", "reason", "message"))
        conditions.append({**condition, **{k: before[k] for k in ("lastUpdateTime", "lastTransitionTime",
                                                                      "lastProbeTime") if k in before}}
                          if same else condition)
    return {**status, "conditions": conditions} if conditions else status
