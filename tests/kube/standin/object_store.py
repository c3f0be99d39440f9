"""In-memory objects, the global resourceVersion and the event history watches read.

Every write takes the next resourceVersion (one counter for all resources, as
etcd's revision) and appends one event, so the history holds consecutive
versions and a watch can tell exactly whether the events after a given
version are still all there. Callers that read, decide and write hold `lock`
for the whole sequence; objects handed out are copies.
"""

import collections
import copy
import threading
from dataclasses import dataclass

import api_errors

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(frozen=True)
class Event:
    resource_version: int
    type: str
    rtype: object
    obj: dict
    previous: dict | None  # the object before a MODIFIED event: watches filter on both


class Store:
    def __init__(self, history_size, max_objects):
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self._objects = collections.defaultdict(dict)  # rtype -> {(namespace, name): object}
        self._history = collections.deque(maxlen=history_size)
        self._max_objects = max_objects
        self._count = 0
        self.resource_version = 0

    def get(self, rtype, namespace, name):
        with self.lock:
            obj = self._objects[rtype].get((namespace or "", name))
            return copy.deepcopy(obj)

    def items(self, rtype, namespace=None):
        """Copies of the objects of rtype (in namespace, if given), sorted by namespace and name."""
        with self.lock:
            found = self._objects[rtype]
            keys = sorted(k for k in found if namespace is None or k[0] == namespace)
            return [copy.deepcopy(found[k]) for k in keys]

    def put(self, rtype, obj):
        """Stores obj (created or replaced); returns the stored copy with its resourceVersion."""
        with self.lock:
            meta = obj["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            previous = self._objects[rtype].get(key)
            if previous is None and self._count >= self._max_objects:
                raise api_errors.forbidden(f"exceeded quota: the stand-in keeps at most {self._max_objects} objects")
            self._count += previous is None
            stored = self._record(rtype, obj, MODIFIED if previous else ADDED, previous)
            self._objects[rtype][key] = stored
            return copy.deepcopy(stored)

    def remove(self, rtype, namespace, name):
        """Deletes the object; returns it as last seen, with the deletion's resourceVersion."""
        with self.lock:
            obj = self._objects[rtype].pop((namespace or "", name))
            self._count -= 1
            return copy.deepcopy(self._record(rtype, obj, DELETED, None))

    def _record(self, rtype, obj, event_type, previous):
        self.resource_version += 1
        stored = copy.deepcopy(obj)
        stored["metadata"]["resourceVersion"] = str(self.resource_version)
        self._history.append(Event(self.resource_version, event_type, rtype, stored, previous))
        self._changed.notify_all()
        return stored

    def wait_for_change(self, seen, timeout):
        """Waits until resourceVersion passes seen or timeout (None: forever); returns it."""
        with self._changed:
            self._changed.wait_for(lambda: self.resource_version > seen, timeout)
            return self.resource_version

    def events_after(self, resource_version, timeout):
        """Events newer than resource_version, waiting up to timeout for one.

        Raises a 410 Expired ApiError when some of them have left the history.
        """
        with self._changed:
            self._changed.wait_for(lambda: self.resource_version > resource_version, timeout)
            oldest = self._history[0].resource_version if self._history else self.resource_version + 1
            if resource_version < oldest - 1:
                raise api_errors.expired(resource_version, oldest)
            return [e for e in self._history if e.resource_version > resource_version]
