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
import signal
import sys
import traceback

from orsa_service import entrypoint

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_INVALID_INPUT = 3
EXIT_STOPPED = 143

MAX_MESSAGE_CHARS = 4096


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


def main(function=None, env=None):
    """Runs once; returns the exit code."""
    input_path, options_path, output_dir = _paths(os.environ if env is None else env)
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
