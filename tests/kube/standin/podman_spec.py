"""What podman is told for a pod (podman_pods.py): the `podman run` arguments
of its container, image references read as the kubelet reads them, pull
credentials from an imagePullSecret, and Kubernetes quantities.

The translation keeps what a tenant's process can observe the same as on a
kubelet: command replaces the image's entrypoint and drops its CMD (as
podman's --entrypoint does), args replace the CMD, a read-only root gets no
tmpfs of podman's own (--read-only-tmpfs=false), an emptyDir is a writable,
executable 0777 tmpfs (sizeLimit its size), a short image name means Docker
Hub. What it cannot give is named in the notes the callers log.
"""

import base64
import json
import math
import re
from decimal import Decimal, InvalidOperation

DOCKER_HUB = "docker.io"
# How Docker Hub appears in docker config files (the first is what `docker login` writes).
DOCKER_HUB_ALIASES = ("index.docker.io", "registry-1.docker.io", DOCKER_HUB)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")
_QUANTITY_SUFFIXES = {
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60, "n": Decimal("1e-9"), "u": Decimal("1e-6"),
    "m": Decimal("1e-3"), "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18")}


def container_name(namespace, pod_name):
    return f"standin-{namespace}-{pod_name}"


def run_arguments(pod, network, labels, secret_value=None):
    """`podman run` arguments for the pod's first container, notes on what they leave out, and the
    environment podman must run with: a variable from a Secret (secret_value(name, key) gives it,
    or None) is passed by name only, so that its value is never on a command line."""
    meta, spec = pod["metadata"], pod["spec"]
    container = spec["containers"][0]
    notes = [f"container {c['name']!r} not run: only the first container runs" for c in spec["containers"][1:]]
    notes += [f"init container {c['name']!r} not run" for c in spec.get("initContainers") or []]
    args = ["run", "-d", "--name", container_name(meta["namespace"], meta["name"]), "--network", network,
            "--hostname", meta["name"], "--pull", "never"]  # pulled before, as the pull policy says
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    environment = {}
    args += _env_arguments(container, notes, secret_value, environment)
    args += _security_arguments(spec.get("securityContext") or {}, container.get("securityContext") or {}, notes)
    args += _resource_arguments((container.get("resources") or {}).get("limits") or {}, notes)
    args += _volume_arguments(spec.get("volumes") or [], container.get("volumeMounts") or [], notes)
    if container.get("workingDir"):
        args += ["--workdir", container["workingDir"]]
    if container.get("command"):
        args += ["--entrypoint", json.dumps(container["command"])]
    return args + [normalized_image(container["image"]), *(container.get("args") or [])], notes, environment


def _env_arguments(container, notes, secret_value, environment):
    args = []
    for variable in container.get("env") or []:
        reference = (variable.get("valueFrom") or {}).get("secretKeyRef")
        if reference is not None and secret_value is not None:
            value = secret_value(reference.get("name", ""), reference.get("key", ""))
            if value is None:
                notes.append(f"env {variable['name']}: Secret {reference.get('name')!r} has no key "
                             f"{reference.get('key')!r}; the variable is left out")
            else:
                environment[variable["name"]] = value
                args += ["-e", variable["name"]]
        elif "valueFrom" in variable:
            notes.append(f"env {variable['name']}: only valueFrom.secretKeyRef is supported, the variable is left out")
        else:  # always NAME=VALUE: a bare `-e NAME` would pass the stand-in's own environment on
            args += ["-e", f"{variable['name']}={variable.get('value', '')}"]
    if container.get("envFrom"):
        notes.append("envFrom is not supported, left out")
    return args


def _security_arguments(pod_context, context, notes):
    """runAsUser/runAsGroup (the container's over the pod's), read-only root, capabilities, no new privileges."""
    args = []
    user, group = (context.get(k, pod_context.get(k)) for k in ("runAsUser", "runAsGroup"))
    if user is not None:
        args += ["--user", f"{user}:{group}" if group is not None else str(user)]
    elif group is not None:
        notes.append("runAsGroup without runAsUser is not supported: the image's user and group run")
    if context.get("readOnlyRootFilesystem"):
        args += ["--read-only", "--read-only-tmpfs=false"]
    capabilities = context.get("capabilities") or {}
    args += [a for name in capabilities.get("drop") or [] for a in ("--cap-drop", name.lower())]
    args += [a for name in capabilities.get("add") or [] for a in ("--cap-add", name.lower())]
    if context.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    return args


def _resource_arguments(limits, notes):
    args = []
    for resource, flag, convert in (("memory", "--memory", _bytes), ("cpu", "--cpus", _cpus)):
        if resource not in limits:
            continue
        try:
            args += [flag, convert(quantity(limits[resource]))]
        except ValueError as e:
            notes.append(f"limits.{resource} left out: {e}")
    return args


def _bytes(amount):
    return str(math.ceil(amount))


def _cpus(amount):
    return format(amount.normalize(), "f")


def _volume_arguments(volumes, mounts, notes):
    """An emptyDir is a tmpfs at its mount path; other volumes are left out."""
    by_name = {v["name"]: v for v in volumes}
    args = []
    for mount in mounts:
        volume = by_name.get(mount["name"], {})
        if "emptyDir" not in volume:
            notes.append(f"volume {mount['name']!r} at {mount['mountPath']} left out: only emptyDir is supported")
            continue
        options = ["ro" if mount.get("readOnly") else "rw", "exec", "mode=0777"]  # as the kubelet's emptyDir
        size = (volume["emptyDir"] or {}).get("sizeLimit")
        if size is not None:
            options.append(f"size={_bytes(quantity(size))}")
        args += ["--tmpfs", f"{mount['mountPath']}:{','.join(options)}"]
    return args


def quantity(value):
    """A Kubernetes quantity ("500m", "64Mi", "1e3", 268435456) as a Decimal; ValueError if it is none."""
    match = _QUANTITY.match(str(value).strip())
    if match is None:
        raise ValueError(f"{value!r} is not a quantity")
    number, suffix = match.groups()
    try:
        if suffix and suffix[0] in "eE" and len(suffix) > 1:
            return Decimal(number + suffix)
        return Decimal(number) * _QUANTITY_SUFFIXES.get(suffix or "", Decimal(1))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a quantity") from None


# --- images --------------------------------------------------------------------

def registry_host(image):
    """The registry an image reference names: its first component when that looks like a host, else Docker Hub."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def normalized_image(image):
    """The fully qualified reference, as the container runtime reads a Kubernetes image name.

    podman would resolve a short name through registries.conf (and refuse an
    ambiguous one without a terminal); Kubernetes means Docker Hub.
    """
    if registry_host(image) != DOCKER_HUB or image.startswith(DOCKER_HUB + "/"):
        return image
    return f"{DOCKER_HUB}/{image}" if "/" in image else f"{DOCKER_HUB}/library/{image}"


def default_pull_policy(image):
    """Always for a :latest or untagged image, else IfNotPresent (the API server's defaulting)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    return "IfNotPresent" if ":" in last and not last.endswith(":latest") else "Always"


def image_id(image_name, digest):
    """What containerd shows as imageID: repository@digest."""
    if not digest:
        return ""
    repository = image_name.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    if ":" in last:
        repository = repository[:len(repository) - len(last)] + last.split(":", 1)[0]
    return f"{repository}@{digest}"


def insecure_registry(host):
    """A loopback registry (a test's) speaks plain HTTP or has a certificate no one signed."""
    return re.sub(r":[0-9]+$", "", host) in LOOPBACK_HOSTS


def pull_credentials(secret, host):
    """"user:password" for host from a kubernetes.io/dockerconfigjson Secret, or None; ValueError if unreadable."""
    if secret.get("type") != "kubernetes.io/dockerconfigjson":
        raise ValueError(f"type {secret.get('type')!r} is not kubernetes.io/dockerconfigjson")
    try:
        config = json.loads(base64.b64decode((secret.get("data") or {})[".dockerconfigjson"]))
        entries = config["auths"].items()
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise ValueError(f"no readable .dockerconfigjson ({e.__class__.__name__}: {e})") from None
    for key, entry in entries:
        if _config_host(key) == _config_host(host):
            return _entry_credentials(entry)
    return None


def _config_host(key):
    """The host of a docker config key: "https://index.docker.io/v1/" -> docker.io."""
    host = re.sub(r"^[a-z]+://", "", key).split("/", 1)[0]
    return DOCKER_HUB if host in DOCKER_HUB_ALIASES else host


def _entry_credentials(entry):
    """auth (base64 "user:password") wins over username and password, as in the kubelet."""
    if entry.get("auth"):
        try:
            user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
        except ValueError as e:
            raise ValueError(f"auth is not base64 of user:password ({e})") from None
    else:
        user, password = entry.get("username", ""), entry.get("password", "")
    return f"{user}:{password}" if user else None
