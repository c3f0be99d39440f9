#!/usr/bin/python3
"""Proves validate_objects.py accepts valid objects and rejects broken ones.

Usage: /usr/bin/python3 validate_objects_selftest.py --openapi swagger.json

Each broken sample must be rejected with a message naming the expected
path, so a check that fails for an unrelated reason does not count.
Exits 1 if any expectation fails.
"""

import argparse
import base64
import copy
import io
import json
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validate_objects  # noqa: E402

LABELS = {"app.kubernetes.io/name": "model-1"}
CONTAINER = {
    "name": "model",
    "image": "registry.example:5000/orsa/model-1@sha256:" + "0" * 64,
    "ports": [{"name": "http", "containerPort": 8000, "protocol": "TCP"}],
    "env": [{"name": "WORKERS", "value": "2"}],
    "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}},
    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},  # allow-listed (1.19)
    },
}
POD_SPEC = {
    "containers": [CONTAINER],
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"}},
    "imagePullSecrets": [{"name": "registry-pull"}],
    "enableServiceLinks": False,
}
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "model-1", "namespace": "orsa", "labels": LABELS},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": LABELS},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {"metadata": {"labels": LABELS}, "spec": POD_SPEC},
    },
}
SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "model-1", "labels": LABELS},
    "spec": {"type": "ClusterIP", "selector": LABELS,
             "ports": [{"name": "http", "port": 80, "targetPort": 8000, "protocol": "TCP"}]},
}
JOB = {
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "run-42"},
    "spec": {"backoffLimit": 0, "activeDeadlineSeconds": 600, "ttlSecondsAfterFinished": 3600,
             "template": {"spec": dict(POD_SPEC, restartPolicy="Never")}},
}
AUTH = base64.b64encode(b"AWS:password").decode()
DOCKERCONFIG = json.dumps({"auths": {"registry.example:5000": {"auth": AUTH}}})
SECRET = {
    "apiVersion": "v1", "kind": "Secret",
    "metadata": {"name": "registry-pull"},
    "type": "kubernetes.io/dockerconfigjson",
    "data": {".dockerconfigjson": base64.b64encode(DOCKERCONFIG.encode()).decode()},
}


def mutated(obj, change):
    obj = copy.deepcopy(obj)
    change(obj)
    return obj


def pod(obj):
    return obj["spec"]["template"]["spec"]


def container(obj):
    return pod(obj)["containers"][0]


CTR = "spec.template.spec.containers[0]"
# (what, sample object or raw JSON text, expectation): None means "no problem
# reported"; a string means "rejected, and some reported line contains it".
CASES = [
    ("Deployment apps/v1 passes", DEPLOYMENT, None),
    ("Service v1 passes", SERVICE, None),
    ("Job batch/v1 passes", JOB, None),
    ("Secret v1 dockerconfigjson passes", SECRET, None),
    ("v1 List of all four passes",
     {"apiVersion": "v1", "kind": "List", "items": [DEPLOYMENT, SERVICE, JOB, SECRET]}, None),
    ("misspelled field spec.replica",
     mutated(DEPLOYMENT, lambda o: o["spec"].__setitem__("replica", o["spec"].pop("replicas"))),
     "spec.replica: unknown field"),
    ("wrong type replicas: \"2\"",
     mutated(DEPLOYMENT, lambda o: o["spec"].__setitem__("replicas", "2")),
     "spec.replicas: '2' is not of type 'integer'"),
    ("container without name",
     mutated(DEPLOYMENT, lambda o: container(o).pop("name")),
     CTR + ": 'name' is a required property"),
    ("unknown kind",
     mutated(DEPLOYMENT, lambda o: o.__setitem__("kind", "Deploymnet")),
     "no apiVersion apps/v1 kind Deploymnet"),
    ("not allow-listed newer field startupProbe (1.16)",
     mutated(DEPLOYMENT, lambda o: container(o).__setitem__("startupProbe", {"tcpSocket": {"port": 8000}})),
     "'startupProbe' was unexpected"),
    ("not allow-listed newer field Job spec.suspend (1.21)",
     mutated(JOB, lambda o: o["spec"].__setitem__("suspend", False)),
     "'suspend' was unexpected"),
    ("typo inside allow-listed seccompProfile",
     mutated(DEPLOYMENT,
             lambda o: container(o)["securityContext"]["seccompProfile"].__setitem__("localhostProfil", "x")),
     CTR + ".securityContext.seccompProfile.localhostProfil: unknown field"),
    ("bad seccompProfile.type",
     mutated(JOB, lambda o: pod(o)["securityContext"]["seccompProfile"].__setitem__("type", "runtime/default")),
     "spec.template.spec.securityContext.seccompProfile.type: 'runtime/default' is not one of"),
    ("object given as a string",
     mutated(SERVICE, lambda o: o.__setitem__("spec", "ClusterIP")),
     "spec: 'ClusterIP' is not of type 'object'"),
    ("int32 out of range",
     mutated(SERVICE, lambda o: o["spec"]["ports"][0].__setitem__("port", 2 ** 31)),
     "spec.ports[0].port: 2147483648 is not a 'int32'"),
    ("Secret data not base64",
     mutated(SECRET, lambda o: o["data"].__setitem__(".dockerconfigjson", "{not base64}")),
     "data..dockerconfigjson"),
    ("null instead of omitting a field",
     mutated(DEPLOYMENT, lambda o: o["spec"].__setitem__("paused", None)),
     "spec.paused: None is not of type 'boolean'"),
    ("Service name not a DNS-1035 label",
     mutated(SERVICE, lambda o: o["metadata"].__setitem__("name", "1-model")),
     "metadata.name: '1-model' is not a DNS-1035 label"),
    ("duplicate JSON key",
     json.dumps(SERVICE)[:-1] + ', "kind": "Service"}',
     "duplicate key 'kind'"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openapi", required=True, help="swagger.json from fetch-openapi.sh")
    args = parser.parse_args()

    start = time.monotonic()
    validator = validate_objects.Validator(args.openapi)
    loaded = time.monotonic()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (what, sample, expect) in enumerate(CASES):
            path = os.path.join(tmp, f"case{i}.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(sample if isinstance(sample, str) else json.dumps(sample, indent=1))
            out = io.StringIO()
            problems = validate_objects.validate_files(validator, [path], out)
            lines = out.getvalue().replace(path, "FILE").splitlines()
            if expect is None:
                ok = problems == 0
            else:
                ok = problems > 0 and any(expect in line for line in lines)
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {'pass' if expect is None else 'reject'}: {what}")
            for line in lines:  # show why each rejection happened
                print(f"       {line}")
            if not ok and expect is not None:
                print(f"       expected a line containing: {expect}")
    done = time.monotonic()
    print(f"{len(CASES) - failures}/{len(CASES)} expectations met "
          f"(load {loaded - start:.2f}s, {len(CASES)} cases {done - loaded:.2f}s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
