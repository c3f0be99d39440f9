"""The resources the stand-in serves, their URL paths and discovery documents.

kubectl finds every resource through discovery (/api, /apis, then one
APIResourceList per group version) before it sends anything, so these
documents decide what kubectl can do: `verbs` (apply needs get, create and
patch), `namespaced`, `kind`, `shortNames` (`deploy`, `svc`...) and the
`deployments/scale` entry, whose group/version/kind tells kubectl's scale
client to speak autoscaling/v1 Scale.
"""

from dataclasses import dataclass

READ_WRITE = ("create", "delete", "get", "list", "patch", "update", "watch")
SUBRESOURCE_VERBS = ("get", "patch", "update")
SERVER_VERSION = {"major": "1", "minor": "20", "gitVersion": "v1.20.0-orsa-standin",
                  "gitCommit": "", "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z",
                  "goVersion": "", "compiler": "", "platform": "linux/amd64"}


@dataclass(frozen=True)
class ResourceType:
    group: str
    plural: str
    kind: str
    namespaced: bool = True
    verbs: tuple = READ_WRITE
    short_names: tuple = ()
    subresources: tuple = ()
    version: str = "v1"

    @property
    def group_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self):
        """How the server names the resource in messages: deployments.apps."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self):
        """How the server names the kind in Invalid messages: Deployment.apps."""
        return f"{self.kind}.{self.group}" if self.group else self.kind


NAMESPACES = ResourceType("", "namespaces", "Namespace", namespaced=False,
                          verbs=("create", "delete", "get", "list", "watch"), short_names=("ns",))
# Pods are made by the simulated controller only: clients read, watch, delete.
PODS = ResourceType("", "pods", "Pod", verbs=("delete", "get", "list", "watch"), short_names=("po",),
                    subresources=("log",))
SECRETS = ResourceType("", "secrets", "Secret")
SERVICES = ResourceType("", "services", "Service", short_names=("svc",))
DEPLOYMENTS = ResourceType("apps", "deployments", "Deployment", short_names=("deploy",),
                           subresources=("scale", "status"))
JOBS = ResourceType("batch", "jobs", "Job", subresources=("status",))
NETWORK_POLICIES = ResourceType("networking.k8s.io", "networkpolicies", "NetworkPolicy",
                                short_names=("netpol",))
ALL = (NAMESPACES, PODS, SECRETS, SERVICES, DEPLOYMENTS, JOBS, NETWORK_POLICIES)
BY_PATH = {(r.group_version, r.plural): r for r in ALL}
# `kubectl get all` lists these.
IN_CATEGORY_ALL = {PODS, SERVICES, DEPLOYMENTS, JOBS}


@dataclass(frozen=True)
class Route:
    """A request path naming a resource: a collection, or one object (and a subresource)."""
    rtype: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def route(path):
    """Parses /api/v1/... and /apis/GROUP/VERSION/... paths; None if it names no resource."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group_version, rest = "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not 1 <= len(rest) <= 3:
        return None
    rtype = BY_PATH.get((group_version, rest[0]))
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if rtype is None or (subresource and subresource not in rtype.subresources):
        return None
    # A namespaced object is addressed in its namespace (without one, only the
    # collection across all namespaces is); a cluster-scoped one never is.
    if rtype.namespaced and namespace is None and name is not None:
        return None
    if not rtype.namespaced and namespace is not None:
        return None
    return Route(rtype, namespace, name, subresource)


def discovery_document(path, server_address):
    """The discovery document at path, or None."""
    path = path.rstrip("/")
    if path == "/version":
        return SERVER_VERSION
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}
    if path == "/apis":
        return _group_list()
    if path == "/api/v1":
        return _resource_list("v1")
    if path.startswith("/apis/") and path.count("/") == 3:
        return _resource_list(path[len("/apis/"):])
    return None


def _group_list():
    groups = []
    for group_version in sorted({r.group_version for r in ALL if r.group}):
        version = {"groupVersion": group_version, "version": group_version.split("/")[1]}
        groups.append({"name": group_version.split("/")[0], "versions": [version],
                       "preferredVersion": version})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _resource_list(group_version):
    entries = []
    for r in ALL:
        if r.group_version == group_version:
            entries.append(_resource_entry(r))
            entries.extend(_subresource_entry(r, sub) for sub in r.subresources)
    if not entries:
        return None
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": entries}


def _resource_entry(r):
    entry = {"name": r.plural, "singularName": "", "namespaced": r.namespaced, "kind": r.kind,
             "verbs": list(r.verbs)}
    if r.short_names:
        entry["shortNames"] = list(r.short_names)
    if r in IN_CATEGORY_ALL:
        entry["categories"] = ["all"]
    return entry


def _subresource_entry(r, sub):
    entry = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
             "kind": r.kind, "verbs": list(SUBRESOURCE_VERBS)}
    if sub == "scale":
        entry.update(group="autoscaling", version="v1", kind="Scale")
    if sub == "log":
        entry.update(kind="Pod", verbs=["get"])
    return entry
