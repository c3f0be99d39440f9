"""Deployment pods that really run, as podman containers (apiserver.py --pods podman).

With it, the simulated controller leaves a Deployment's pods Pending and
unbound (no spec.nodeName) and this module does the scheduler's and the
kubelet's part for them, so that a client on the host (an HTTP gateway under
test) can call a pod at its pod IP:

- It binds at most max_pods pods at a time (spec.nodeName, PodScheduled);
  the others stay Pending, PodScheduled False with reason Unschedulable,
  until a bound pod's container is gone (the oldest first).
- Each bound pod gets a worker thread that pulls the image as
  imagePullPolicy says (with the credentials of its imagePullSecrets for
  the image's registry), runs the pod's first container with `podman run`
  on the network, and writes the pod's status as it goes: ContainerCreating;
  ErrImagePull then ImagePullBackOff, or CreateContainerError, retried with
  a back-off; Running with the container's address as podIP; Ready once
  the readiness probe passes; terminated, then CrashLoopBackOff, then a new
  container (restartCount + 1) when the process exits.
- A pod that leaves the store (scale down, template change, Deployment,
  namespace or pod delete) has its container removed; shutdown() removes
  every container this server started.

All podman work runs in the workers, none under the store lock: a slow pull
holds up its own pod only, never the API. Every podman command has a time
limit and is killed when its pod goes.

Left out: livenessProbe and startupProbe (never probed), exec and tcpSocket
readiness probes (such a pod is Ready once running), containers after the
first and init containers, volumes other than emptyDir (podman_spec.py).
Probe periods are capped at 1 s, so a test waits no longer than it must.
"""

import base64
import datetime
import http.client
import json
import os
import re
import ssl
import subprocess
import threading
import time
import traceback
import uuid
from dataclasses import dataclass

import api_errors
import podman_spec
from api_resources import PODS, SECRETS
from object_fields import keep_condition_times, now_timestamp
from simulated_controller import NODE_NAME

POD_LABEL = "orsa-standin-pod"        # namespace/name of the pod a container runs
SERVER_LABEL = "orsa-standin-server"  # which stand-in started it: shutdown removes its own only
PULL_SECONDS = 300                    # a pull or a run (which may copy a large image) at most
COMMAND_SECONDS = 30                  # any other podman command at most
REMOVE_GRACE_SECONDS = 2              # between SIGTERM and SIGKILL when a pod's container goes
REMOVE_ATTEMPTS = 3
SHUTDOWN_SECONDS = 60                 # for all workers to remove their containers on shutdown
POLL_SECONDS = 0.2                    # how often a running podman command checks for its pod's end
SLOT_POLL_SECONDS = 1.0               # how often pods waiting for a slot are looked at
WATCH_SECONDS = 1.0                   # how often a running container's process is looked at
PROBE_CAP_SECONDS = 1.0               # the longest probe period and timeout
BACK_OFF_FIRST, BACK_OFF_CAP = 2.0, 30.0
SHOWN_SECONDS = 1.0                   # how long ErrImagePull or a terminated state shows before the back-off
PROBE_HEADERS = {"User-Agent": "kube-probe/1.20", "Accept": "*/*"}


def log(message):
    print(f"podman pods: {message}", flush=True)


@dataclass(frozen=True)
class Result:
    """What a podman command did."""
    ok: bool
    out: str
    error: str  # podman's last "Error:" line, or why it did not finish


class Podman:
    """The podman command (or a wrapper that behaves like it), each run bounded in time."""

    def __init__(self, command):
        self.command = command

    def __call__(self, args, seconds=COMMAND_SECONDS, stopped=None, environment=None):
        """Runs CMD args (with environment added to the stand-in's); kills it after seconds, or as soon
        as the event stopped is set."""
        try:
            # Its own session: a Ctrl-C at the terminal leaves podman to the cleanup.
            process = subprocess.Popen([self.command, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, start_new_session=True,
                                       env={**os.environ, **environment} if environment else None)
        except OSError as e:
            return Result(False, "", f"{self.command}: {e.strerror}")
        deadline = time.monotonic() + seconds
        while True:
            try:
                out, err = process.communicate(timeout=POLL_SECONDS)
                return Result(process.returncode == 0, out, _error_line(err, process.returncode))
            except subprocess.TimeoutExpired:
                if stopped is not None and stopped.is_set():
                    return _killed(process, "stopped: the pod is gone")
                if time.monotonic() > deadline:
                    return _killed(process, f"podman {args[0]} timed out after {seconds} s")


def _killed(process, why):
    process.kill()
    process.communicate()
    return Result(False, "", why)


def _error_line(stderr, returncode):
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error: ")]
    return (errors or lines or [f"exit status {returncode}"])[-1]


def _shown(args):
    """args for a log line: the password after --creds hidden."""
    return " ".join(a.split(":", 1)[0] + ":***" if i and args[i - 1] == "--creds" else a for i, a in enumerate(args))


# --- the scheduler ---------------------------------------------------------------

class PodmanPods:
    """The scheduler: binds unbound pods up to max_pods, one PodWorker each; stops those whose pods went."""

    def __init__(self, store, podman_command, network, max_pods):
        self._store = store
        self._podman = Podman(podman_command)
        self._network = network
        self._max_pods = max_pods
        self._server_id = uuid.uuid4().hex[:12]
        self._host_ip = None
        self._workers = {}  # pod uid -> PodWorker; under the store lock
        self._closed = False

    def check_network(self):
        """Reads the network's gateway (the pods' hostIP); RuntimeError if podman has no such network."""
        found = self._podman(["network", "inspect", self._network])
        if not found.ok:
            raise RuntimeError(f"podman network {self._network!r}: {found.error}")
        try:
            subnets = json.loads(found.out)[0].get("subnets") or []
        except (ValueError, IndexError, AttributeError) as e:
            raise RuntimeError(f"podman network inspect {self._network}: unexpected output ({e})") from None
        self._host_ip = next((s["gateway"] for s in subnets if s.get("gateway")), None)

    def start(self):
        threading.Thread(target=self._run, name="podman-pods", daemon=True).start()

    def shutdown(self):
        """Stops every worker, waits for their containers to go, then removes what this server left."""
        with self._store.lock:
            self._closed = True
            workers = list(self._workers.values())
        for worker in workers:
            worker.stop()
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        left = self._podman(["ps", "-a", "-q", "--filter", f"label={SERVER_LABEL}={self._server_id}"])
        ids = left.out.split()
        if ids:
            removed = self._podman(["rm", "-f", "-t", "0", *ids])
            log(f"removed {len(ids)} containers left at shutdown" + ("" if removed.ok else f": {removed.error}"))

    def has_container(self, pod):
        """Whether a container of the pod has run here (it may have exited since)."""
        with self._store.lock:
            worker = self._workers.get(pod["metadata"]["uid"])
        return worker is not None and worker.started

    def log_lines(self, pod, follow, timestamps, tail, since):
        """The lines of the pod's container's log, as `podman logs` gives them (timestamps in the
        kubelet's form: UTC, "Z"); followed until the container exits."""
        if tail is not None and not tail.isdigit():
            raise api_errors.bad_request(f"tailLines {tail!r} is not a whole number")
        args = [self._podman.command, "logs", "--timestamps"]
        args += ["--follow"] if follow else []
        args += ["--tail", tail] if tail is not None else []
        args += ["--since", since] if since else []
        args.append(podman_spec.container_name(pod["metadata"]["namespace"], pod["metadata"]["name"]))
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, start_new_session=True)

        def lines():
            try:
                for raw in process.stdout:
                    stamp, _, text = raw.partition(" ")
                    yield f"{_kube_time(stamp)} {text}" if timestamps else text
            finally:
                process.kill()
                process.wait()
                process.stdout.close()
        return lines()

    def _run(self):
        seen, timeout = 0, None
        while True:
            self._store.wait_for_change(seen, timeout)
            with self._store.lock:
                try:
                    # Slots free without a store change (a worker ends after its pod went).
                    timeout = SLOT_POLL_SECONDS if self._schedule() else None
                except Exception:  # a bug here must show, and must not stop later passes
                    traceback.print_exc()
                    timeout = 1.0
                seen = self._store.resource_version

    def _schedule(self):
        """Stops the workers of pods gone, binds unbound pods while slots are free; True if some must wait."""
        if self._closed:
            return False
        pods = self._store.items(PODS)
        present = {p["metadata"]["uid"] for p in pods}
        for uid, worker in list(self._workers.items()):
            if not worker.is_alive():
                del self._workers[uid]
            elif uid not in present:
                worker.stop()
        unbound = sorted((p for p in pods if not p["spec"].get("nodeName")),
                         key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))
        waiting = False
        for pod in unbound:
            if len(self._workers) < self._max_pods:
                self._bind(pod)
            else:
                self._leave_unschedulable(pod)
                waiting = True
        return waiting

    def _bind(self, pod):
        now = now_timestamp()
        pod["spec"]["nodeName"] = NODE_NAME
        pod["status"] = pod_status({"hostIP": self._host_ip, "startTime": now}, "Pending",
                                   container_status(pod["spec"]["containers"][0],
                                                    {"waiting": {"reason": "ContainerCreating"}}))
        bound = self._store.put(PODS, pod)
        worker = PodWorker(self._store, self._podman, bound, self._network,
                           {POD_LABEL: f"{pod['metadata']['namespace']}/{pod['metadata']['name']}",
                            SERVER_LABEL: self._server_id})
        self._workers[pod["metadata"]["uid"]] = worker
        worker.start()

    def _leave_unschedulable(self, pod):
        message = (f"0/1 nodes are available: 1 Too many pods (the stand-in runs at most {self._max_pods} "
                   "pods; --max-pods).")
        write_status(self._store, pod, {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
             "lastTransitionTime": now_timestamp()}]})


def write_status(store, pod, status):
    """Writes status to the pod if it is still there (the same uid) and the status changed.

    Only changes are written: every write wakes the controller and this
    module's scheduler, whose passes must come to rest.
    """
    meta = pod["metadata"]
    with store.lock:
        current = store.get(PODS, meta["namespace"], meta["name"])
        if current is None or current["metadata"]["uid"] != meta["uid"]:
            return
        status = keep_condition_times(status, current.get("status") or {})
        if current.get("status") != status:
            current["status"] = status
            store.put(PODS, current)


# --- statuses ----------------------------------------------------------------------

def pod_status(base, phase, container, pod_ip=None):
    """A bound pod's status: base (hostIP, startTime), phase, its one container status, and the conditions."""
    now = now_timestamp()
    unready = {"reason": "ContainersNotReady", "message": f"containers with unready status: [{container['name']}]"}
    readiness = {"status": "True"} if container["ready"] else {"status": "False", **unready}
    status = {"phase": phase, **{k: v for k, v in base.items() if v is not None},
              "conditions": [{"type": "Initialized", "status": "True", "lastTransitionTime": now},
                             {"type": "Ready", **readiness, "lastTransitionTime": now},
                             {"type": "ContainersReady", **readiness, "lastTransitionTime": now},
                             {"type": "PodScheduled", "status": "True", "lastTransitionTime": now}],
              "containerStatuses": [container]}
    if pod_ip:
        status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}])
    return status


def container_status(spec, state, ready=False, restarts=0, last_state=None, running=None):
    """One containerStatuses entry; running: the Container it shows, if one was started."""
    status = {"name": spec["name"], "image": spec.get("image", ""), "imageID": running.image_id if running else "",
              "ready": ready, "started": "running" in state, "restartCount": restarts, "state": state}
    if running is not None:
        status["containerID"] = f"podman://{running.id}"
    if last_state is not None:
        status["lastState"] = last_state
    return status


# --- one pod -----------------------------------------------------------------------

@dataclass(frozen=True)
class Container:
    """A started container as `podman inspect` shows it."""
    id: str
    ip: str
    image_id: str
    started_at: str
    pid: int
    pid_start: str | None  # the process's start time in /proc: a reused pid is not it


class PodWorker:
    """The kubelet for one pod, in its own thread: pull, run, watch, probe, restart; remove at the end."""

    def __init__(self, store, podman, pod, network, labels):
        self._store = store
        self._podman = podman
        self._pod = pod
        self._network = network
        self._labels = labels
        self._spec = pod["spec"]["containers"][0]
        self._base = {k: pod["status"].get(k) for k in ("hostIP", "startTime")}
        meta = pod["metadata"]
        self._what = f"{meta['namespace']}/{meta['name']}"
        self._name = podman_spec.container_name(meta["namespace"], meta["name"])
        self._stopped = threading.Event()
        self._tried = False    # a `podman run` was tried: there may be a container to remove
        self._started = False  # a container ran: the pod is Running from then on
        self._restarts = 0
        self._last_state = None
        self._pod_ip = None
        self._thread = threading.Thread(target=self._run, name=f"pod {self._what}", daemon=True)

    def start(self):
        self._thread.start()

    @property
    def started(self):
        return self._started

    def stop(self):
        self._stopped.set()

    def is_alive(self):
        return self._thread.is_alive()

    def join(self, timeout):
        self._thread.join(timeout)

    def _run(self):
        try:
            while (running := self._start()) is not None:
                terminated = self._watch(running)
                if terminated is None:
                    break
                if self._pod["spec"].get("restartPolicy") == "Never":
                    # Done: the container (and its log) stays until the pod goes.
                    self._show("Succeeded" if terminated["exitCode"] == 0 else "Failed", {"terminated": terminated})
                    self._stopped.wait()
                    break
                self._crash_back_off(terminated)
                self._restarts += 1
        except Exception:  # a bug: show it; the container still goes
            traceback.print_exc()
        finally:
            if self._tried:
                self._remove()

    # --- starting ---

    def _start(self):
        """Pulls and runs, backing off after errors; the running Container, or None once the pod is gone."""
        attempt = 0
        while not self._stopped.is_set():
            problem = self._ensure_image()
            if problem is None:
                running, problem = self._run_container()
                if running is not None:
                    return running
            now, later = problem
            self._show(self._phase(), {"waiting": now})
            self._hold(min(BACK_OFF_FIRST * 2 ** attempt, BACK_OFF_CAP), later and {"waiting": later})
            attempt += 1
        return None

    def _ensure_image(self):
        """None once the image is there, else the waiting states to show: now, and later in the back-off (or None)."""
        image = podman_spec.normalized_image(self._spec["image"])
        policy = self._spec.get("imagePullPolicy") or podman_spec.default_pull_policy(self._spec["image"])
        if policy != "Always" and self._podman(["image", "exists", image], stopped=self._stopped).ok:
            return None
        if policy == "Never":
            message = f'Container image "{self._spec["image"]}" is not present with pull policy of Never'
            return {"reason": "ErrImageNeverPull", "message": message}, None
        pulled = self._podman(self._pull_arguments(image), PULL_SECONDS, self._stopped)
        if pulled.ok:
            log(f"{self._what}: pulled {image}")
            return None
        log(f"{self._what}: pull of {image} failed: {pulled.error}")
        return ({"reason": "ErrImagePull", "message": f'failed to pull image "{self._spec["image"]}": {pulled.error}'},
                {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{self._spec["image"]}"'})

    def _pull_arguments(self, image):
        host = podman_spec.registry_host(image)
        args = ["pull", "--quiet"]
        credentials = self._credentials(host)
        if credentials is not None:
            args += ["--creds", credentials]
        if podman_spec.insecure_registry(host):
            args.append("--tls-verify=false")
        log(f"{self._what}: {_shown(args)} {image}")
        return args + [image]

    def _credentials(self, host):
        """The first of the pod's imagePullSecrets with an entry for host; a missing or bad one is logged."""
        namespace = self._pod["metadata"]["namespace"]
        for reference in self._pod["spec"].get("imagePullSecrets") or []:
            secret = self._store.get(SECRETS, namespace, reference.get("name", ""))
            if secret is None:
                log(f"{self._what}: imagePullSecret {reference.get('name')!r} not found; pulling without it")
                continue
            try:
                credentials = podman_spec.pull_credentials(secret, host)
            except ValueError as e:
                log(f"{self._what}: imagePullSecret {reference['name']!r} unusable: {e}")
                continue
            if credentials is not None:
                return credentials
        return None

    def _secret_value(self, name, key):
        """A key of a Secret in the pod's namespace, decoded; None when there is no such key."""
        secret = self._store.get(SECRETS, self._pod["metadata"]["namespace"], name) or {}
        encoded = (secret.get("data") or {}).get(key)
        try:
            return base64.b64decode(encoded).decode("utf-8") if encoded is not None else None
        except ValueError:
            return None

    def _run_container(self):
        """(the started Container, None), or (None, the waiting states to show) when podman run failed."""
        self._remove()  # what a failed attempt or an exited container left under the name
        args, notes, environment = podman_spec.run_arguments(self._pod, self._network, self._labels,
                                                             self._secret_value)
        if not self._tried:
            for note in notes:
                log(f"{self._what}: {note}")
        self._tried = True
        started = self._podman(args, PULL_SECONDS, self._stopped, environment)
        running = self._inspect() if started.ok else None
        if running is None:
            error = started.error if not started.ok else "podman could not inspect the container it ran"
            log(f"{self._what}: podman run failed: {error}")
            return None, ({"reason": "CreateContainerError", "message": error}, None)
        self._started = True
        self._pod_ip = running.ip or self._pod_ip
        log(f"{self._what}: running as {self._name} at {running.ip} (restarts {self._restarts})")
        return running, None

    def _inspect(self):
        """The container just run (it may have exited already: _watch finds out), or None if podman cannot say."""
        found = self._podman(["container", "inspect", self._name], stopped=self._stopped)
        if not found.ok:
            return None
        details = json.loads(found.out)[0]
        state = details["State"]
        network = (details["NetworkSettings"].get("Networks") or {}).get(self._network) or {}
        return Container(id=details["Id"], ip=network.get("IPAddress", ""),
                         image_id=podman_spec.image_id(details.get("ImageName", ""), details.get("ImageDigest", "")),
                         started_at=_seconds(state["StartedAt"]) or now_timestamp(), pid=state.get("Pid", 0),
                         pid_start=_process_start(state.get("Pid", 0)) if state.get("Running") else None)

    # --- running ---

    def _watch(self, running):
        """Probes and watches the container: its terminated state when it exits, None once the pod is gone.

        Whether the process lives is read from /proc (free), not `podman
        inspect` (a tenth of a CPU second each): the stand-in runs on the
        podman host, as the kubelet does. Where /proc cannot tell, podman is
        asked every period.
        """
        probe = ReadinessProbe.of(self._spec, running.ip, lambda m: log(f"{self._what}: {m}"))
        shown = None  # the readiness last written
        while True:
            if not _alive(running) and (terminated := self._terminated(running)) is not None:
                return terminated
            ready = probe.passes() if probe is not None else True
            if ready != shown:
                if ready or shown:
                    log(f"{self._what}: {'ready' if ready else 'not ready'}")
                self._show("Running", {"running": {"startedAt": running.started_at}}, ready, running)
                shown = ready
            if self._stopped.wait(probe.period if probe is not None else WATCH_SECONDS):
                return None

    def _terminated(self, running):
        """The terminated state of the container that ran, or None if podman says it still runs."""
        found = self._podman(["container", "inspect", self._name], stopped=self._stopped)
        if self._stopped.is_set():
            return None
        if not found.ok:  # removed behind the stand-in's back
            return {"exitCode": 137, "reason": "ContainerStatusUnknown", "containerID": f"podman://{running.id}",
                    "message": "The container could not be located"}
        state = json.loads(found.out)[0]["State"]
        if state.get("Running"):
            return None
        code = state.get("ExitCode", 0)
        reason = "OOMKilled" if state.get("OOMKilled") else ("Completed" if code == 0 else "Error")
        log(f"{self._what}: container exited with {code} ({reason})")
        return {"exitCode": code, "reason": reason, "startedAt": running.started_at,
                "finishedAt": _seconds(state.get("FinishedAt", "")) or now_timestamp(),
                "containerID": f"podman://{running.id}"}

    def _crash_back_off(self, terminated):
        delay = min(BACK_OFF_FIRST * 2 ** self._restarts, BACK_OFF_CAP)
        meta = self._pod["metadata"]
        back_off = {"reason": "CrashLoopBackOff",
                    "message": f"back-off {delay:g}s restarting failed container={self._spec['name']} "
                               f"pod={meta['name']}_{meta['namespace']}({meta['uid']})"}
        self._show("Running", {"terminated": terminated})
        self._last_state = {"terminated": terminated}
        self._hold(delay, {"waiting": back_off})

    # --- status ---

    def _hold(self, delay, later):
        """Waits out a back-off of delay seconds (less if the pod goes), showing later after a moment, if given.

        The moment lets a client see what failed (ErrImagePull, a terminated
        state) before the back-off reason replaces it, as on a kubelet.
        """
        deadline = time.monotonic() + delay
        if later is not None and not self._stopped.wait(min(SHOWN_SECONDS, delay)):
            self._show(self._phase(), later)
        self._stopped.wait(max(0.0, deadline - time.monotonic()))

    def _phase(self):
        """Running once a container ran (a restarting pod stays Running), Pending before."""
        return "Running" if self._started else "Pending"

    def _show(self, phase, state, ready=False, running=None):
        status = container_status(self._spec, state, ready, self._restarts, self._last_state, running)
        write_status(self._store, self._pod, pod_status(self._base, phase, status, self._pod_ip))

    def _remove(self):
        # A container that stops on its own while `rm -f` kills it makes
        # podman fail ("container state improper: stopped"): asked again.
        for attempt in range(REMOVE_ATTEMPTS):
            removed = self._podman(["rm", "-f", "-t", str(REMOVE_GRACE_SECONDS), self._name])
            if removed.ok:
                if self._stopped.is_set():
                    log(f"{self._what}: removed {self._name}")
                return
            log(f"{self._what}: podman rm {self._name} failed: {removed.error}")
            time.sleep(0.5 * (attempt + 1))


class ReadinessProbe:
    """A container's readinessProbe.httpGet, as the kubelet runs it (2xx and 3xx pass; no redirects followed)."""

    def __init__(self, http_get, host, port, probe):
        self.period = min(probe.get("periodSeconds") or 10, PROBE_CAP_SECONDS)
        self._timeout = min(probe.get("timeoutSeconds") or 1, PROBE_CAP_SECONDS)
        self._thresholds = (probe.get("successThreshold") or 1, probe.get("failureThreshold") or 3)
        self._scheme = (http_get.get("scheme") or "HTTP").upper()
        self._host = http_get.get("host") or host
        self._port = port
        self._path = http_get.get("path") or "/"
        self._headers = {**PROBE_HEADERS, **{h["name"]: h["value"] for h in http_get.get("httpHeaders") or []}}
        self._ready = False
        self._streak = 0  # consecutive results that disagree with _ready

    @classmethod
    def of(cls, container, pod_ip, note):
        """The probe of container at pod_ip, or None when it has no httpGet readiness probe (Ready once running)."""
        probe = container.get("readinessProbe")
        if not probe:
            return None
        if "httpGet" not in probe:
            note("only httpGet readiness probes are run: Ready once running")
            return None
        port = _probe_port(probe["httpGet"].get("port"), container)
        if port is None:
            note(f"readiness probe port {probe['httpGet'].get('port')!r} is no port of the container: never Ready")
        return cls(probe["httpGet"], pod_ip, port, probe)

    def passes(self):
        """Probes once; the readiness after it (thresholds counted in a row, as the kubelet does)."""
        answered = self._port is not None and self._get()
        self._streak = 0 if answered == self._ready else self._streak + 1
        if self._streak >= self._thresholds[0 if answered else 1]:
            self._ready, self._streak = answered, 0
        return self._ready

    def _get(self):
        if self._scheme == "HTTPS":  # the kubelet does not verify a probe's certificate
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=context)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            connection.request("GET", self._path, headers=self._headers)
            return 200 <= connection.getresponse().status < 400
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()


def _probe_port(port, container):
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    return next((p["containerPort"] for p in container.get("ports") or [] if p.get("name") == port), None)


def _alive(running):
    return running.pid_start is not None and _process_start(running.pid) == running.pid_start


def _process_start(pid):
    """The start time of process pid (field 22 of /proc/PID/stat), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _kube_time(stamp):
    """podman's log timestamp ("…T01:40:00.123456789+01:00") as the kubelet writes it, in UTC with "Z"."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", stamp)
    if match is None:
        return stamp
    offset = "+00:00" if match[3] == "Z" else match[3]
    at = datetime.datetime.fromisoformat(match[1] + offset).astimezone(datetime.timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + (match[2] or "") + "Z"


def _seconds(podman_time):
    """podman's "2024-01-01T10:00:00.123456789Z" as metav1.Time ("2024-01-01T10:00:00Z"); "" for none."""
    if not podman_time or podman_time.startswith("0001-"):
        return ""
    return podman_time[:19] + "Z"

