"""What the API server does for each verb, with the server's rules.

create, get, list, watch, replace, patch, delete, and the status and scale
subresources. Rules kept: the object's apiVersion/kind/name/namespace must
match the URL; server fields (uid, creationTimestamp, resourceVersion,
generation) are the server's; `generation` moves when anything but metadata
and status changes; a stale metadata.resourceVersion is a Conflict; writes to
the main resource keep the old status and writes to /status change only the
status; every object written is validated (422 Invalid), without its status
(what /status receives is stored unchecked); `dryRun=All` does everything
but store. Defaulting is limited to what clients here rely on:
Deployment spec.replicas (1), a Service's type and clusterIP, a Secret's
stringData folded into data, a Namespace's phase.
"""

import base64
import copy
import json
import time
import uuid

import api_errors
import api_patches
from api_resources import DEPLOYMENTS, JOBS, NAMESPACES, PODS, SECRETS, SERVICES, ALL, Route
from object_fields import SERVICE_NETWORK, first_free_address, is_owned_by, metadata, now_timestamp, random_suffix
from object_store import ADDED, DELETED, MODIFIED
from openapi_schema import SERVER_METADATA

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)
PROPAGATION_POLICIES = ("Orphan", "Background", "Foreground")
IDLE_SECONDS = 1.0
DEFAULT_NAMESPACE = "default"


class Registry:
    def __init__(self, store, schema):
        self._store = store
        self._schema = schema

    def create_default_namespace(self):
        self.create(Route(NAMESPACES, None, None, None), {"metadata": {"name": DEFAULT_NAMESPACE}}, dry_run=False)

    # --- reads ---------------------------------------------------------------

    def read(self, route):
        obj = self._existing(route)
        return _scale_of(obj) if route.subresource == "scale" else obj

    def list(self, route, matches):
        with self._store.lock:
            items = [obj for obj in self._store.items(route.rtype, route.namespace) if matches(obj)]
            version = self._store.resource_version
        return {"kind": route.rtype.kind + "List", "apiVersion": route.rtype.group_version,
                "metadata": {"resourceVersion": str(version)}, "items": items}

    def watch(self, route, matches, since, deadline):
        """Checks the parameters now; returns a generator of watch events until deadline.

        since "" or "0": ADDED for each current object first, then what follows.
        Otherwise the events after that resourceVersion, replayed from the
        history; an ERROR event with a 410 Status if they are no longer all kept.
        It yields None after each IDLE_SECONDS without an event, so that the
        caller can notice a client that went away.
        """
        if since not in ("", "0") and not since.isdigit():
            raise api_errors.bad_request(f"resourceVersion {since!r} is not a resource version of this server")

        def events():
            seen = int(since or 0)
            if since in ("", "0"):
                with self._store.lock:
                    current = self.list(route, matches)
                    seen = int(current["metadata"]["resourceVersion"])
                for obj in current["items"]:
                    yield {"type": ADDED, "object": obj}
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    batch = self._store.events_after(seen, min(remaining, IDLE_SECONDS))
                except api_errors.ApiError as e:
                    yield {"type": "ERROR", "object": e.status()}
                    return
                if not batch:
                    yield None
                for event in batch:
                    seen = event.resource_version
                    if (shown := _as_seen_by(event, route, matches)) is not None:
                        yield shown

        return events()

    # --- writes --------------------------------------------------------------

    def create(self, route, body, dry_run):
        rtype = route.rtype
        obj = _decoded(rtype, body)
        meta = metadata(obj)
        _check_namespace(route, meta)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        with self._store.lock:
            if rtype.namespaced and self._store.get(NAMESPACES, None, route.namespace) is None:
                raise api_errors.not_found(NAMESPACES, route.namespace)
            obj.pop("status", None)
            for key in SERVER_METADATA:
                meta.pop(key, None)
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=now_timestamp(), generation=1)
            self._apply_defaults(rtype, obj, None)
            self._validate(rtype, obj)
            if self._store.get(rtype, route.namespace, meta["name"]) is not None:
                raise api_errors.already_exists(rtype, meta["name"])
            return obj if dry_run else self._store.put(rtype, obj)

    def replace(self, route, body, dry_run):
        with self._store.lock:
            current = self._existing(route)
            if route.subresource == "scale":
                return self._write_scale(route, current, body, dry_run)
            return self._update(route, current, _decoded(route.rtype, body), dry_run)

    def patch(self, route, content_type, raw_patch, dry_run):
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type not in PATCH_TYPES:
            raise api_errors.unsupported_media_type(media_type, PATCH_TYPES)
        patch = _parse_json(raw_patch)
        with self._store.lock:
            current = self._existing(route)
            if route.subresource == "scale":
                return self._write_scale(route, current, self._patched(media_type, patch, _scale_of(current)), dry_run)
            patched = _decoded(route.rtype, self._patched(media_type, patch, current))
            return self._update(route, current, patched, dry_run)

    def delete(self, route, options, dry_run):
        with self._store.lock:
            current = self._existing(route)
            _check_preconditions(route.rtype, current, options.get("preconditions") or {})
            policy = _propagation_policy(route.rtype, options)
            if route.rtype is NAMESPACES and route.name == DEFAULT_NAMESPACE:
                raise api_errors.forbidden(f'namespaces "{route.name}" is forbidden: this namespace may not be deleted')
            if dry_run:
                return current
            if route.rtype is NAMESPACES:
                self._delete_namespace_contents(route.name)
            else:
                self._delete_dependents(current, policy)
            return self._store.remove(route.rtype, route.namespace, route.name)

    # --- helpers -------------------------------------------------------------

    def _existing(self, route):
        obj = self._store.get(route.rtype, route.namespace, route.name)
        if obj is None:
            raise api_errors.not_found(route.rtype, route.name)
        return obj

    def _validate(self, rtype, obj):
        problems = self._schema.problems(obj)
        if problems:
            raise api_errors.invalid(rtype, obj["metadata"].get("name", ""), problems)

    def _patched(self, media_type, patch, current):
        if media_type == JSON_PATCH:
            return api_patches.json_patch(current, patch)
        if not isinstance(patch, dict):
            raise api_errors.bad_request("a merge patch is a JSON object")
        if media_type == MERGE_PATCH:
            return api_patches.merge_patch(current, patch)
        root = self._schema.patch_root(current["apiVersion"], current["kind"])
        return api_patches.strategic_merge_patch(current, patch, root)

    def _update(self, route, current, new, dry_run):
        """Replaces current by new (a whole object, as PUT gives it) through route."""
        rtype = route.rtype
        _check_name(route, new)
        _check_version(rtype, current, new)
        if route.subresource == "status":
            result = copy.deepcopy(current)
            result.pop("status", None)
            if new.get("status") is not None:
                result["status"] = new["status"]
        else:
            result = self._as_update(rtype, current, new)
            self._validate(rtype, result)
        if _without_version(result) == _without_version(current):
            return current  # a no-op write stores nothing and moves no resourceVersion
        return result if dry_run else self._store.put(rtype, result)

    def _as_update(self, rtype, current, new):
        result = copy.deepcopy(new)
        meta = metadata(result)
        for key in SERVER_METADATA:
            meta.pop(key, None)
        old = current["metadata"]
        meta.update(uid=old["uid"], creationTimestamp=old["creationTimestamp"], generation=old["generation"])
        if rtype.namespaced:
            meta["namespace"] = old["namespace"]
        result.pop("status", None)
        if "status" in current:
            result["status"] = copy.deepcopy(current["status"])
        self._apply_defaults(rtype, result, current)
        if _desired_state(result) != _desired_state(current):
            meta["generation"] += 1
        return result

    def _write_scale(self, route, deployment, scale, dry_run):
        if not isinstance(scale, dict):
            raise api_errors.bad_request("the body is not a Scale object")
        scale.setdefault("apiVersion", "autoscaling/v1")
        scale.setdefault("kind", "Scale")
        _check_name(route, scale)
        self._validate(route.rtype, scale)
        _check_version(route.rtype, deployment, scale)
        wanted = copy.deepcopy(deployment)
        wanted["spec"]["replicas"] = (scale.get("spec") or {}).get("replicas", 0)
        updated = self._update(Route(route.rtype, route.namespace, route.name, None), deployment, wanted, dry_run)
        return _scale_of(updated)

    def _apply_defaults(self, rtype, obj, current):
        spec = obj.get("spec")
        if rtype is DEPLOYMENTS and isinstance(spec, dict):
            spec.setdefault("replicas", 1)
        elif rtype is SERVICES and isinstance(spec, dict):
            self._default_service(spec, (current or {}).get("spec") or {})
        elif rtype is SECRETS:
            _fold_string_data(obj)
        elif rtype is NAMESPACES:
            obj["status"] = {"phase": "Active"}

    def _default_service(self, spec, current_spec):
        spec.setdefault("type", "ClusterIP")
        if spec["type"] == "ExternalName" or spec.get("clusterIP"):
            return
        if current_spec.get("clusterIP"):  # the address of a Service never changes
            spec["clusterIP"] = current_spec["clusterIP"]
            return
        used = {s["spec"].get("clusterIP") for s in self._store.items(SERVICES)}
        address = first_free_address(SERVICE_NETWORK, used)
        if address is None:
            raise api_errors.forbidden(f"no free cluster IP left in {SERVICE_NETWORK}")
        spec["clusterIP"] = address

    def _delete_dependents(self, owner, policy):
        """The garbage collector's part: the pods owner made go with it, unless orphaned."""
        uid = owner["metadata"]["uid"]
        for pod in self._store.items(PODS, owner["metadata"].get("namespace")):
            if not is_owned_by(pod, uid):
                continue
            if policy == "Orphan":
                meta = pod["metadata"]
                meta["ownerReferences"] = [r for r in meta["ownerReferences"] if r.get("uid") != uid]
                if not meta["ownerReferences"]:
                    del meta["ownerReferences"]
                self._store.put(PODS, pod)
            else:
                self._store.remove(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _delete_namespace_contents(self, namespace):
        for rtype in ALL:
            if rtype.namespaced:
                for obj in self._store.items(rtype, namespace):
                    self._store.remove(rtype, namespace, obj["metadata"]["name"])


def _parse_json(raw):
    try:
        return json.loads(raw or b"null")
    except ValueError as e:
        raise api_errors.bad_request(f"the body of the request could not be decoded as JSON: {e}") from None


def _decoded(rtype, body):
    """A copy of body as an object of rtype: apiVersion and kind default to the URL's."""
    if not isinstance(body, dict):
        raise api_errors.bad_request("the body of the request is not a JSON object")
    obj = {"apiVersion": rtype.group_version, "kind": rtype.kind, **copy.deepcopy(body)}
    if obj["apiVersion"] != rtype.group_version or obj["kind"] != rtype.kind:
        raise api_errors.bad_request(f"the object is {obj['apiVersion']} {obj['kind']}, the URL names "
                                     f"{rtype.group_version} {rtype.kind}")
    if not isinstance(obj.setdefault("metadata", {}), dict):
        raise api_errors.bad_request("metadata must be a JSON object")
    return obj


def _check_namespace(route, meta):
    given = meta.get("namespace")
    if route.rtype.namespaced:
        if given and given != route.namespace:
            raise api_errors.bad_request("the namespace of the provided object does not match the "
                                         "namespace sent on the request")
        meta["namespace"] = route.namespace
    else:
        meta.pop("namespace", None)


def _check_name(route, obj):
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if meta.get("name") != route.name:
        raise api_errors.bad_request(f"the name of the object ({meta.get('name')}) does not match the "
                                     f"name on the URL ({route.name})")
    _check_namespace(route, obj["metadata"])


def _check_version(rtype, current, new):
    given = new["metadata"].get("resourceVersion")
    if given and given != current["metadata"]["resourceVersion"]:
        raise api_errors.conflict(rtype, current["metadata"]["name"])


def _check_preconditions(rtype, current, preconditions):
    meta = current["metadata"]
    for field, key in (("uid", "uid"), ("resourceVersion", "resourceVersion")):
        wanted = preconditions.get(field)
        if wanted and wanted != meta[key]:
            raise api_errors.conflict(rtype, meta["name"], f"Precondition failed: {field}: {wanted}, "
                                                           f"{field} in object meta: {meta[key]}")


def _propagation_policy(rtype, options):
    policy = options.get("propagationPolicy")
    if policy is None and "orphanDependents" in options:
        policy = "Orphan" if options["orphanDependents"] else "Background"
    # batch/v1 Jobs orphan their pods by default, for compatibility; the rest cascade.
    policy = policy or ("Orphan" if rtype is JOBS else "Background")
    if policy not in PROPAGATION_POLICIES:
        raise api_errors.bad_request(f"propagationPolicy {policy!r} is not one of {', '.join(PROPAGATION_POLICIES)}")
    return policy


def _desired_state(obj):
    """What generation counts: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _without_version(obj):
    trimmed = copy.deepcopy(obj)
    trimmed["metadata"].pop("resourceVersion", None)
    return trimmed


def _fold_string_data(secret):
    """The server stores stringData as base64 data (stringData wins) and drops stringData."""
    string_data = secret.get("stringData")
    if not isinstance(string_data, dict) or not isinstance(secret.setdefault("data", {}), dict):
        return
    for key, value in string_data.items():
        if isinstance(value, str):
            secret["data"][key] = base64.b64encode(value.encode("utf-8")).decode("ascii")
    secret.pop("stringData")


def _selector_text(selector):
    """metav1.FormatLabelSelector: matchLabels as k=v, then matchExpressions."""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator in ("In", "NotIn"):
            terms.append(f"{key} {operator.lower()} ({','.join(values)})")
        else:
            terms.append(key if operator == "Exists" else f"!{key}")
    return ",".join(terms)


def _scale_of(deployment):
    meta, spec = deployment["metadata"], deployment["spec"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},  # a dry run's answer has no resourceVersion
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": (deployment.get("status") or {}).get("replicas", 0),
                       "selector": _selector_text(spec.get("selector") or {})}}


def _as_seen_by(event, route, matches):
    """The event as a watch on route with this selector shows it, or None.

    As on the server, an object that starts or stops matching the selector
    through a change is shown as ADDED or DELETED.
    """
    if event.rtype is not route.rtype:
        return None
    if route.namespace is not None and event.obj["metadata"].get("namespace") != route.namespace:
        return None
    matched_now = matches(event.obj)
    if event.type != MODIFIED:
        return {"type": event.type, "object": event.obj} if matched_now else None
    matched_before = matches(event.previous)
    if not (matched_now or matched_before):
        return None
    shown_as = MODIFIED if matched_now and matched_before else (ADDED if matched_now else DELETED)
    return {"type": shown_as, "object": event.obj}
