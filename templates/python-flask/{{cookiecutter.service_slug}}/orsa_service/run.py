"""One ORSA run of {{ cookiecutter.owner }}/{{ cookiecutter.project_name }}: `python -m orsa_service.run`.

Reads the input, calls `{{ cookiecutter.entrypoint_module }}.{{ cookiecutter.entrypoint_function }}` as POST /solve
does, and writes its result. The model's prints (stdout and stderr) are the
run's log.

Files (environment variables override the paths):
  ORSA_INPUT       /job/input.json     the input, a JSON object
  ORSA_OPTIONS     /job/options.json   a JSON object: time_limit_s, seed and the
                                       caller's own options (missing file: {})
  ORSA_OUTPUT_DIR  /job/out            result.json or error.json is written here,
                                       atomically (temporary file, then rename)

On a cluster (Kubernetes) the files are not on the machine: with
  ORSA_JOB_URL     the jobs listener's URL of this run
  ORSA_JOB_TOKEN   a bearer token for this run's files alone (or
  ORSA_JOB_TOKEN_FILE  a file holding it, such as a Swarm secret)
the input and options are fetched to the paths above first, and the
result.json or error.json written is uploaded to it at the end.

The entrypoint gets the options as a second argument when it takes two
(`solve(data, options)`); `solve(data)` is called with the input alone.
`seed` (an integer), when given, seeds Python's `random` first.

Exit codes:
  0    succeeded: result.json holds the entrypoint's JSON result
  3    invalid_input: the input or options are not JSON objects, or the model
       raised ValueError; error.json is {"status": "invalid_input", "message": ...}
  1    failed: any other exception (its traceback goes to stderr, never to a
       file) or a result that is not JSON; error.json is {"status": "failed", ...}
  143  stopped by SIGTERM (the platform's time limit or a cancel)
"""

import json
import os
import random
import shutil
import signal
import sys
import time
import traceback
import urllib.error
import urllib.request

from orsa_service import entrypoint

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_INVALID_INPUT = 3
EXIT_STOPPED = 143

MAX_MESSAGE_CHARS = 4096
EXCHANGE_TIMEOUT_S = 60
EXCHANGE_ATTEMPTS = 5


class InvalidInput(Exception):
    """The run's input or options are unusable (not the model's fault)."""


class Stopped(BaseException):
    """SIGTERM arrived; a BaseException so the model's `except Exception` lets it pass."""


def _paths(env):
    return (env.get("ORSA_INPUT", "/job/input.json"),
            env.get("ORSA_OPTIONS", "/job/options.json"),
            env.get("ORSA_OUTPUT_DIR", "/job/out"))


def _read_object(path, what, missing_ok=False):
    try:
        with open(path, "rb") as f:
            value = json.loads(f.read())
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise
    except ValueError as error:  # includes bad UTF-8
        raise InvalidInput(f"{what} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def write_atomically(directory, name, text):
    """Writes `directory/name` so a reader sees all of it or nothing."""
    temporary = os.path.join(directory, f".{name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, os.path.join(directory, name))
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _write_error(directory, status, message):
    body = {"status": status, "message": message[:MAX_MESSAGE_CHARS]}
    try:
        write_atomically(directory, "error.json", json.dumps(body) + "\n")
    except OSError as error:  # the exit code still tells the platform
        print(f"orsa run: cannot write error.json: {error}", file=sys.stderr)


def _solve(function, input_path, options_path):
    data = _read_object(input_path, "the input")
    options = _read_object(options_path, "the options", missing_ok=True)
    seed = options.get("seed")
    if seed is not None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidInput("option 'seed' must be an integer")
        random.seed(seed)
    return entrypoint.call(function, data, options)


class ExchangeError(Exception):
    """The jobs listener could not be reached or refused a file."""


class JobExchange:
    """The run's files over HTTP, for a run whose machine does not hold them."""

    def __init__(self, url, token, opener=urllib.request.urlopen):
        self._url = url.rstrip("/")
        self._token = token
        self._open = opener

    @classmethod
    def from_env(cls, env):
        url = env.get("ORSA_JOB_URL")
        if not url:
            return None
        token = env.get("ORSA_JOB_TOKEN", "")
        if not token and env.get("ORSA_JOB_TOKEN_FILE"):
            try:
                with open(env["ORSA_JOB_TOKEN_FILE"], encoding="ascii") as f:
                    token = f.read().strip()
            except (OSError, ValueError) as error:
                raise ExchangeError(f"cannot read the job's token: {error.__class__.__name__}") from None
        return cls(url, token)

    def fetch(self, input_path, options_path):
        self._download("input.json", input_path, missing_ok=False)
        self._download("options.json", options_path, missing_ok=True)

    def upload(self, output_dir):
        """Sends result.json or error.json, whichever the run wrote."""
        for name in ("result.json", "error.json"):
            path = os.path.join(output_dir, name)
            if os.path.isfile(path) and not os.path.islink(path):
                self._upload(name, path)

    def _request(self, method, name, **kwargs):
        return urllib.request.Request(f"{self._url}/{name}", method=method,
                                      headers={"Authorization": f"Bearer {self._token}",
                                               **kwargs.pop("headers", {})}, **kwargs)

    def _with_retries(self, what, attempt):
        """Calls attempt() until it succeeds; 5xx, 429 and network errors are tried again."""
        delay = 0.5
        for n in range(EXCHANGE_ATTEMPTS):
            try:
                return attempt()
            except urllib.error.HTTPError as error:
                if error.code < 500 and error.code != 429:
                    raise ExchangeError(f"{what}: HTTP {error.code}") from None
                reason = f"HTTP {error.code}"
            except (urllib.error.URLError, OSError) as error:
                reason = str(getattr(error, "reason", error))
            if n + 1 == EXCHANGE_ATTEMPTS:
                raise ExchangeError(f"{what}: {reason}")
            print(f"orsa run: {what}: {reason}; trying again", file=sys.stderr)
            time.sleep(delay)
            delay *= 2

    def _download(self, name, path, missing_ok):
        def attempt():
            with self._open(self._request("GET", name), timeout=EXCHANGE_TIMEOUT_S) as answer:
                temporary = f"{path}.part"
                with open(temporary, "wb") as f:
                    shutil.copyfileobj(answer, f)
                os.replace(temporary, path)
        try:
            self._with_retries(f"fetching {name}", attempt)
        except ExchangeError as error:
            if missing_ok and str(error).endswith("HTTP 404"):
                return
            raise

    def _upload(self, name, path):
        def attempt():
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                request = self._request("PUT", f"out/{name}", data=f,
                                        headers={"Content-Length": str(size),
                                                 "Content-Type": "application/json"})
                with self._open(request, timeout=EXCHANGE_TIMEOUT_S):
                    pass
        self._with_retries(f"uploading {name}", attempt)


def main(function=None, env=None, exchange=None):
    """Runs once; returns the exit code."""
    env = os.environ if env is None else env
    input_path, options_path, output_dir = _paths(env)
    try:
        exchange = exchange or JobExchange.from_env(env)
        if exchange is not None:
            exchange.fetch(input_path, options_path)
    except ExchangeError as error:
        print(f"orsa run: {error}", file=sys.stderr)
        return EXIT_FAILED
    code = _run(function, input_path, options_path, output_dir)
    if exchange is not None:
        try:
            exchange.upload(output_dir)
        except ExchangeError as error:
            print(f"orsa run: the run ended but its output was not delivered: {error}",
                  file=sys.stderr)
            return EXIT_FAILED
    return code


def _run(function, input_path, options_path, output_dir):
    try:
        function = function or entrypoint.load_entrypoint()
    except Exception:  # an import error in the project is its bug, whatever its type
        traceback.print_exc()
        _write_error(output_dir, "failed", "the entrypoint cannot be loaded; see the run's log")
        return EXIT_FAILED
    try:
        result = _solve(function, input_path, options_path)
    except (InvalidInput, ValueError) as error:
        _write_error(output_dir, "invalid_input", str(error))
        print(f"orsa run: invalid input: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except Stopped:
        print("orsa run: stopped by SIGTERM", file=sys.stderr)
        return EXIT_STOPPED
    except Exception:  # the model's bug: the log gets the traceback, the files never do
        traceback.print_exc()
        _write_error(output_dir, "failed", "the model failed; the run's log has the details")
        return EXIT_FAILED
    try:
        body = json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as error:
        print(f"orsa run: the result is not JSON: {error}", file=sys.stderr)
        _write_error(output_dir, "failed", "the model returned a value that is not JSON")
        return EXIT_FAILED
    try:
        write_atomically(output_dir, "result.json", body + "\n")
    except OSError as error:  # e.g. larger than the run's output capacity
        print(f"orsa run: cannot write result.json: {error}", file=sys.stderr)
        _write_error(output_dir, "failed", f"the result cannot be written: {error.strerror}")
        return EXIT_FAILED
    return EXIT_SUCCEEDED


def _on_sigterm(signum, frame):
    raise Stopped()


def install_signal_handlers():
    """SIGTERM ends the run (as pid 1 the default action would be to ignore it)."""
    signal.signal(signal.SIGTERM, _on_sigterm)


if __name__ == "__main__":
    # The log is followed live: a model's progress prints must not wait in a
    # pipe's block buffer (or be lost with it on SIGKILL).
    sys.stdout.reconfigure(line_buffering=True)
    install_signal_handlers()
    code = main()
    sys.stdout.flush()
    sys.exit(code)
