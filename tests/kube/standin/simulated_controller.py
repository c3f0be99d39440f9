"""A SIMULATED controller: what the Deployment and Job controllers, the
scheduler and the kubelets would write, so that clients (rollout status,
wait, watches) see a cluster's behaviour.

Nothing runs. No image is pulled, no container or process is started, no
probe is sent, no address is reachable: a pod is a record whose status this
module writes. Every pod is Running and Ready as soon as it exists, unless
pods are left to podman_pods.py (apiserver.py --pods podman): then they are
made Pending and unbound, for it to bind, run and make Ready.

- A Deployment with spec.replicas N gets N pods (the template's labels plus
  pod-template-hash, owned by the Deployment; no ReplicaSet in between). A
  changed template replaces all its pods at once. Its status (replicas,
  readyReplicas, availableReplicas, updatedReplicas, observedGeneration,
  conditions Available and Progressing) follows, scale to 0 included; only
  pods with a Ready condition count as ready and available.
- A Job gets one pod, Succeeded after `job_seconds` (or, with pods run by
  podman, when its container exits 0; Failed when it exits otherwise, then
  the Job Failed with reason BackoffLimitExceeded): then the Job has
  succeeded 1, startTime, completionTime and a Complete condition. When its
  activeDeadlineSeconds comes first (counted from the Job's start; a patch
  that shortens it applies at once), the pod is deleted and the Job Failed
  with reason DeadlineExceeded. completions, parallelism, backoffLimit
  (taken as 0) and ttlSecondsAfterFinished are ignored.
"""

import copy
import hashlib
import json
import threading
import time
import traceback
import uuid

import api_errors
from api_resources import DEPLOYMENTS, JOBS, PODS
from object_fields import (POD_NETWORK, first_free_address, is_owned_by, keep_condition_times, labels, now_timestamp,
                           owner_reference, random_suffix)

TEMPLATE_HASH = "pod-template-hash"
NODE_NAME = "standin-node"
NODE_IP = "192.0.2.10"  # RFC 5737 documentation range: never routed anywhere
POD_CONDITIONS = ("Initialized", "Ready", "ContainersReady", "PodScheduled")


class SimulatedController:
    def __init__(self, store, job_seconds, pods_run_elsewhere=False):
        self._store = store
        self._job_seconds = job_seconds
        self._pods_run_elsewhere = pods_run_elsewhere
        self._job_started = {}  # Job uid -> time.monotonic() when its pod started

    def start(self):
        threading.Thread(target=self._run, name="simulated-controller", daemon=True).start()

    def _run(self):
        seen, timeout = 0, None
        while True:
            self._store.wait_for_change(seen, timeout)
            with self._store.lock:
                try:
                    self._reconcile_deployments()
                    timeout = self._reconcile_jobs()
                except Exception:  # a bug here must show, and must not stop later passes
                    traceback.print_exc()
                    timeout = 1.0
                seen = self._store.resource_version

    # --- Deployments ---------------------------------------------------------

    def _reconcile_deployments(self):
        for deployment in self._store.items(DEPLOYMENTS):
            revision = _template_hash(deployment["spec"]["template"])
            pods = self._owned_pods(deployment)
            current = [p for p in pods if labels(p).get(TEMPLATE_HASH) == revision]
            wanted = deployment["spec"].get("replicas", 1)
            for pod in [p for p in pods if p not in current] + current[wanted:]:
                self._store.remove(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
            name = deployment["metadata"]["name"]
            for _ in range(wanted - len(current)):
                self._create_pod(deployment, f"{name}-{revision}-{random_suffix()}", {TEMPLATE_HASH: revision},
                                 runs_here=not self._pods_run_elsewhere)
            self._set_status(DEPLOYMENTS, deployment, _deployment_status(
                deployment, self._owned_pods(deployment), revision))

    # --- Jobs ------------------------------------------------------------------

    def _reconcile_jobs(self):
        """Moves the Jobs on; returns the seconds until one is due again (None: none is)."""
        now = time.monotonic()
        due = []
        jobs = self._store.items(JOBS)
        for job in jobs:
            if _finished(job):
                continue
            uid = job["metadata"]["uid"]
            if uid not in self._job_started:
                self._start_job(job)
                self._job_started[uid] = now
            ends, deadline = self._job_times(job, self._job_started[uid])
            phase = self._pod_phase(job) if self._pods_run_elsewhere else None
            if now >= deadline and deadline < ends and phase not in ("Succeeded", "Failed"):
                self._fail_job(job)
            elif phase == "Failed":
                self._fail_job(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
            elif phase == "Succeeded" or (not self._pods_run_elsewhere and now >= ends):
                self._complete_job(job)
            else:
                due.append(min(ends, deadline))
        live = {job["metadata"]["uid"] for job in jobs if not _finished(job)}
        self._job_started = {uid: t for uid, t in self._job_started.items() if uid in live}
        return max(0.0, min(due) - now) if due else None

    def _job_times(self, job, started):
        """(when the simulated run ends, when its activeDeadlineSeconds does)."""
        limit = job["spec"].get("activeDeadlineSeconds")
        ends = float("inf") if self._pods_run_elsewhere else started + self._job_seconds
        return ends, (started + limit if limit is not None else float("inf"))

    def _pod_phase(self, job):
        """The phase of the Job's pod run elsewhere; Failed when it went (deleted under the Job)."""
        pods = self._owned_pods(job)
        return pods[0]["status"].get("phase") if pods else "Failed"

    def _start_job(self, job):
        meta = job["metadata"]
        self._create_pod(job, f"{meta['name']}-{random_suffix()}",
                         {"controller-uid": meta["uid"], "job-name": meta["name"]},
                         runs_here=not self._pods_run_elsewhere)
        self._set_status(JOBS, job, {"startTime": now_timestamp(), "active": 1})

    def _complete_job(self, job):
        now = now_timestamp()
        for pod in self._owned_pods(job) if not self._pods_run_elsewhere else []:
            pod["status"] = _succeeded_pod_status(pod, now)
            self._store.put(PODS, pod)
        self._set_status(JOBS, job, {
            "startTime": job["status"].get("startTime", now), "completionTime": now, "succeeded": 1,
            "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}]})

    def _fail_job(self, job, reason="DeadlineExceeded", message="Job was active longer than specified deadline"):
        now = now_timestamp()
        if reason == "DeadlineExceeded":  # a pod that ended stays, with its log
            for pod in self._owned_pods(job):
                self._store.remove(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        self._set_status(JOBS, job, {
            "startTime": job["status"].get("startTime", now), "failed": 1,
            "conditions": [{"type": "Failed", "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
                            "reason": reason, "message": message}]})

    # --- pods ----------------------------------------------------------------

    def _owned_pods(self, owner):
        uid = owner["metadata"]["uid"]
        return [p for p in self._store.items(PODS, owner["metadata"]["namespace"]) if is_owned_by(p, uid)]

    def _create_pod(self, owner, name, extra_labels, runs_here=True):
        """A pod of owner's template: Running and Ready on the simulated node, or (not runs_here) unbound."""
        template = owner["spec"]["template"]
        pod_spec = template.get("spec") or {}
        now = now_timestamp()
        spec, status = copy.deepcopy(pod_spec), {"phase": "Pending"}
        if runs_here:
            address = first_free_address(POD_NETWORK, {p["status"].get("podIP") for p in self._store.items(PODS)})
            if address is None:
                print(f"simulated controller: pod {name} not created: no address left in {POD_NETWORK}", flush=True)
                return
            spec["nodeName"], status = NODE_NAME, _running_pod_status(pod_spec, address, now)
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": owner["metadata"]["namespace"], "uid": str(uuid.uuid4()),
                         "creationTimestamp": now,
                         "labels": {**(template.get("metadata") or {}).get("labels", {}), **extra_labels},
                         "ownerReferences": [owner_reference(owner)]},
            "spec": spec,
            "status": status,
        }
        try:
            self._store.put(PODS, pod)
        except api_errors.ApiError as e:  # the object limit: the owner stays short of pods, as under a quota
            print(f"simulated controller: pod {name} not created: {e.message}", flush=True)

    def _set_status(self, rtype, obj, status):
        """Writes status, keeping condition timestamps that did not change; no write if equal."""
        status = keep_condition_times(status, obj.get("status") or {})
        if obj.get("status") != status:
            obj["status"] = status
            self._store.put(rtype, obj)


def _template_hash(template):
    """Names a pod template revision, as pod-template-hash does (10 characters)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def _finished(job):
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions", []))


def _deployment_status(deployment, pods, revision):
    """What the Deployment controller reports for pods (all of the current revision by now)."""
    wanted = deployment["spec"].get("replicas", 1)
    name = deployment["metadata"]["name"]
    ready = sum(1 for pod in pods if _is_ready(pod))
    counts = {"replicas": len(pods), "updatedReplicas": len(pods), "readyReplicas": ready,
              "availableReplicas": ready, "unavailableReplicas": max(wanted - ready, 0)}
    if ready >= wanted:
        available = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        progressing = ("True", "NewReplicaSetAvailable", f'ReplicaSet "{name}-{revision}" has successfully progressed.')
    else:
        available = ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        progressing = ("True", "ReplicaSetUpdated", f'ReplicaSet "{name}-{revision}" is progressing.')
    now = now_timestamp()
    conditions = [{"type": kind, "status": status, "reason": reason, "message": message,
                   "lastUpdateTime": now, "lastTransitionTime": now}
                  for kind, (status, reason, message) in (("Available", available), ("Progressing", progressing))]
    # Zero counts are left out, as the server's JSON omits them.
    return {"observedGeneration": deployment["metadata"]["generation"],
            **{k: v for k, v in counts.items() if v}, "conditions": conditions}


def _is_ready(pod):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions", []))


def _running_pod_status(pod_spec, address, now):
    return {"phase": "Running", "hostIP": NODE_IP, "podIP": address, "podIPs": [{"ip": address}], "startTime": now,
            "conditions": [{"type": t, "status": "True", "lastTransitionTime": now} for t in POD_CONDITIONS],
            "containerStatuses": [{"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True,
                                   "started": True, "restartCount": 0, "state": {"running": {"startedAt": now}}}
                                  for c in pod_spec.get("containers", [])]}


def _succeeded_pod_status(pod, now):
    status = copy.deepcopy(pod["status"])
    status["phase"] = "Succeeded"
    for condition in status["conditions"]:
        if condition["type"] in ("Ready", "ContainersReady"):
            condition.update(status="False", reason="PodCompleted", lastTransitionTime=now)
    for container in status["containerStatuses"]:
        started = container["state"]["running"]["startedAt"]
        container.update(ready=False, started=False, state={"terminated": {
            "exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": now}})
    return status
