#!/usr/bin/python3
"""Renders templates/python-flask with orsa-builder, puts the starter
project next to it as the image's /app would hold them, and exercises the
service through Flask's test client and the run entry point
(`python -m orsa_service.run`) with the real knapsack model (PuLP+CBC).

usage: flask_template_test.py ORSA_BUILDER TEMPLATE_DIR STARTER_DIR
"""

import importlib
import io
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUILDER, TEMPLATE, STARTER = sys.argv[1:4]
CONTEXT = {"project_name": "knapsack", "owner": "ada", "version": "3",
           "commit": "0123456789abcdef0123456789abcdef01234567", "max_body_bytes": 4096,
           "timeout": 42, "workers": 3}


def render_app(tmp):
    """The rendered wrapper with the starter beside it, as in the image's /app."""
    context_file = os.path.join(tmp, "context.json")
    with open(context_file, "w") as f:
        json.dump(CONTEXT, f)
    out = os.path.join(tmp, "out")
    subprocess.run([BUILDER, "render", "--template", TEMPLATE, "--context", context_file,
                    "--out", out], check=True, stdout=subprocess.DEVNULL)
    app_dir = os.path.join(out, "knapsack-service")
    for name in os.listdir(STARTER):
        shutil.copy(os.path.join(STARTER, name), app_dir)
    return app_dir


class FlaskService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="orsa-flask-")
        cls.app_dir = render_app(cls.tmp)
        with open(os.path.join(STARTER, "input.json")) as f:
            cls.example = json.load(f)
        sys.path.insert(0, cls.app_dir)
        os.environ["ORSA_IMAGE_DIGEST"] = "sha256:" + "ab" * 32
        os.environ.pop("ORSA_COMMIT", None)
        cls.module = importlib.import_module("orsa_service.app")
        cls.client = cls.module.app.test_client()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def error_of(self, response, status):
        self.assertEqual(response.status_code, status, response.data)
        self.assertEqual(response.mimetype, "application/json")
        return response.get_json()["error"]

    def test_healthz(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_json(), {"status": "ok"})

    def test_index_reports_project_commit_and_digest(self):
        info = self.client.get("/").get_json()
        self.assertEqual(info["project"], "knapsack")
        self.assertEqual(info["owner"], "ada")
        self.assertEqual(info["version"], "3")
        self.assertEqual(info["commit"], CONTEXT["commit"])
        self.assertEqual(info["image_digest"], "sha256:" + "ab" * 32)
        self.assertEqual(info["entrypoint"], "model:solve")
        os.environ["ORSA_COMMIT"] = "fedcba"
        try:
            self.assertEqual(self.client.get("/").get_json()["commit"], "fedcba")
        finally:
            del os.environ["ORSA_COMMIT"]
        html = self.client.get("/", headers={"Accept": "text/html"})
        self.assertEqual(html.mimetype, "text/html")
        self.assertIn(b"ada/knapsack", html.data)

    def test_solve_answers_the_optimal_knapsack(self):
        response = self.client.post("/solve", json=self.example)
        self.assertEqual(response.status_code, 200, response.data)
        result = response.get_json()
        self.assertEqual(result["status"], "Optimal")
        self.assertEqual(result["objective"], 15)
        self.assertEqual(sorted(result["chosen"]), ["food", "lamp", "stove", "water"])

    def test_invalid_json_and_non_objects_are_400(self):
        for body in (b"{not json", b"[1, 2]", b"\"text\"", b"\xff\xfe"):
            error = self.error_of(self.client.post("/solve", data=body), 400)
            self.assertEqual(error["code"], "invalid_argument")

    def test_value_error_is_422_with_its_message(self):
        error = self.error_of(self.client.post("/solve", json={"capacity": -1, "items": []}), 422)
        self.assertEqual(error["message"], "'capacity' must be a non-negative number")

    def test_body_over_the_limit_is_413(self):
        big = {"capacity": 1, "items": [], "pad": "x" * 5000}
        self.assertEqual(self.error_of(self.client.post("/solve", json=big), 413)["code"],
                         "too_large")
        # Chunked bodies carry no Content-Length (gunicorn marks them
        # input_terminated); the limit still holds.
        stream = io.BytesIO(b'{"pad": "' + b"x" * 5000 + b'"}')
        response = self.client.post("/solve", input_stream=stream,
                                    environ_overrides={"wsgi.input_terminated": True})
        self.error_of(response, 413)

    def test_model_crash_is_500_with_request_id_and_no_traceback(self):
        def broken(data):
            raise RuntimeError("secret internal detail")

        client = self.module.create_app(entrypoint=broken).test_client()
        with self.assertLogs("orsa_service", level=logging.ERROR) as logs:
            response = client.post("/solve", json={}, headers={"X-Request-Id": "req-123"})
        error = self.error_of(response, 500)
        self.assertEqual(error["request_id"], "req-123")
        self.assertEqual(response.headers["X-Request-Id"], "req-123")
        self.assertNotIn(b"secret internal detail", response.data)
        self.assertNotIn(b"Traceback", response.data)
        self.assertIn("secret internal detail", "\n".join(logs.output))
        self.assertIn("req-123", "\n".join(logs.output))

    def test_sys_exit_in_the_model_fails_the_request_not_the_worker(self):
        def exits(data):
            import sys
            sys.exit(3)

        client = self.module.create_app(entrypoint=exits).test_client()
        with self.assertLogs("orsa_service", level=logging.ERROR) as logs:
            error = self.error_of(client.post("/solve", json={}), 500)
        self.assertIn("sys.exit()", error["message"])
        self.assertIn("sys.exit(3)", "\n".join(logs.output))
        self.assertEqual(client.get("/healthz").status_code, 200)  # the app goes on

    def test_any_json_result_is_the_answer(self):
        client = self.module.create_app(entrypoint=lambda data: [1, 2, 3]).test_client()
        response = client.post("/solve", json={})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_json(), [1, 2, 3])

    def test_unserialisable_result_is_500(self):
        client = self.module.create_app(entrypoint=lambda data: {"x": object()}).test_client()
        with self.assertLogs("orsa_service", level=logging.ERROR):
            self.error_of(client.post("/solve", json={}), 500)

    def test_request_ids_are_echoed_or_generated(self):
        self.assertEqual(
            self.client.get("/healthz", headers={"X-Request-Id": "abc.1"}).headers["X-Request-Id"],
            "abc.1")
        generated = self.client.get("/healthz", headers={"X-Request-Id": "bad id!"})
        self.assertRegex(generated.headers["X-Request-Id"], r"^[0-9a-f]{32}$")

    def test_unknown_routes_answer_json(self):
        self.assertEqual(self.error_of(self.client.get("/nope"), 404)["code"], "not_found")
        self.error_of(self.client.get("/solve"), 405)

    def test_gunicorn_settings_come_from_the_context(self):
        settings = {}
        conf = os.path.join(self.app_dir, "orsa_service", "gunicorn.conf.py")
        with open(conf) as f:
            exec(compile(f.read(), conf, "exec"), {"__file__": conf}, settings)
        self.assertEqual(settings["bind"], "0.0.0.0:8000")
        self.assertEqual(settings["timeout"], 42)
        self.assertEqual(settings["workers"], 3)
        self.assertEqual(settings["wsgi_app"], "orsa_service.app:app")
        self.assertEqual(settings["chdir"], self.app_dir)
        self.assertEqual(settings["logconfig_dict"]["handlers"]["stdout"]["stream"],
                         "ext://sys.stdout")
        self.assertTrue(os.access(os.path.join(self.app_dir, "orsa_service", "serve"), os.X_OK))


class RunnerFixture(unittest.TestCase):
    """The rendered app with the starter, and a job directory per test; no
    tests of its own."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="orsa-run-")
        cls.app_dir = render_app(cls.tmp)
        with open(os.path.join(STARTER, "input.json")) as f:
            cls.example = json.load(f)
        # A fresh import from this tree (another class may have imported its own).
        for name in [m for m in sys.modules if m.split(".")[0] in ("orsa_service", "model")]:
            del sys.modules[name]
        sys.path.insert(0, cls.app_dir)
        cls.run_module = importlib.import_module("orsa_service.run")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def setUp(self):
        self.job = tempfile.mkdtemp(prefix="job-", dir=self.tmp)
        self.out = os.path.join(self.job, "out")
        os.mkdir(self.out)
        self.env = {"ORSA_INPUT": os.path.join(self.job, "input.json"),
                    "ORSA_OPTIONS": os.path.join(self.job, "options.json"),
                    "ORSA_OUTPUT_DIR": self.out}

    def write(self, name, content):
        with open(os.path.join(self.job, name), "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))

    def output(self, name):
        with open(os.path.join(self.out, name)) as f:
            return json.load(f)

    def run_process(self, *extra, timeout=60):
        """The runner as its own process in /app; (exit code, stdout, stderr)."""
        env = dict(os.environ, **self.env)
        result = subprocess.run([sys.executable, "-m", "orsa_service.run", *extra],
                                cwd=self.app_dir, env=env, capture_output=True, text=True,
                                timeout=timeout)
        return result.returncode, result.stdout, result.stderr

    def run_inline(self, function):
        """main() with another entrypoint; (exit code, stderr)."""
        stderr = io.StringIO()
        saved, sys.stderr = sys.stderr, stderr
        try:
            code = self.run_module.main(function=function, env=self.env)
        finally:
            sys.stderr = saved
        return code, stderr.getvalue()


class RunEntryPoint(RunnerFixture):
    """`python -m orsa_service.run` as a run's container starts it, with the
    job's paths given by environment variables."""

    def test_the_starter_succeeds_with_objective_15_and_logs_cbc(self):
        self.write("input.json", self.example)
        self.write("options.json", {"time_limit_s": 30, "seed": 7, "mine": True})
        code, stdout, stderr = self.run_process()
        self.assertEqual(code, 0, stderr)
        result = self.output("result.json")
        self.assertEqual(result["objective"], 15)
        self.assertEqual(result["status"], "Optimal")
        self.assertEqual(sorted(result["chosen"]), ["food", "lamp", "stove", "water"])
        self.assertEqual(os.listdir(self.out), ["result.json"])  # no temporary files left
        self.assertIn("sec 28", stdout)  # CBC's log is the run's log, with its time limit

    def test_without_an_options_file_the_options_are_empty(self):
        self.write("input.json", self.example)
        code, _, stderr = self.run_process()
        self.assertEqual(code, 0, stderr)
        self.assertEqual(self.output("result.json")["objective"], 15)

    def test_value_error_is_invalid_input_with_its_message(self):
        self.write("input.json", {"capacity": -1, "items": []})
        code, _, _ = self.run_process()
        self.assertEqual(code, 3)
        self.assertEqual(self.output("error.json"),
                         {"status": "invalid_input",
                          "message": "'capacity' must be a non-negative number"})
        self.assertFalse(os.path.exists(os.path.join(self.out, "result.json")))

    def test_input_and_options_must_be_json_objects(self):
        for input_text, options_text in (("{not json", "{}"), ("[1, 2]", "{}"),
                                         (json.dumps(self.example), "[]"),
                                         (json.dumps(self.example), '{"seed": "x"}')):
            self.write("input.json", input_text)
            self.write("options.json", options_text)
            code, _ = self.run_inline(lambda data: {"ok": True})
            self.assertEqual(code, 3, (input_text, options_text))
            self.assertEqual(self.output("error.json")["status"], "invalid_input")

    def test_a_crash_is_failed_with_the_traceback_in_the_log_only(self):
        def broken(data):
            raise RuntimeError("secret internal detail")

        self.write("input.json", {})
        code, stderr = self.run_inline(broken)
        self.assertEqual(code, 1)
        self.assertIn("Traceback", stderr)
        self.assertIn("secret internal detail", stderr)
        error = self.output("error.json")
        self.assertEqual(error["status"], "failed")
        self.assertNotIn("secret", json.dumps(error))
        self.assertFalse(os.path.exists(os.path.join(self.out, "result.json")))

    def test_a_result_that_is_not_json_is_failed(self):
        self.write("input.json", {})
        for result in ({"x": object()}, {"x": float("nan")}):
            code, stderr = self.run_inline(lambda data, *, r=result: r)
            self.assertEqual(code, 1, stderr)
            self.assertEqual(self.output("error.json")["status"], "failed")

    def test_options_reach_a_two_argument_entrypoint_only(self):
        self.write("input.json", {"n": 1})
        self.write("options.json", {"time_limit_s": 9, "seed": 5, "user": "x"})
        seen = []
        code, _ = self.run_inline(lambda data, options: seen.append((data, options)) or {})
        self.assertEqual(code, 0)
        self.assertEqual(seen, [({"n": 1}, {"time_limit_s": 9, "seed": 5, "user": "x"})])

        def with_default(data, options=None):
            seen.append(options)
            return {}

        self.assertEqual(self.run_inline(with_default)[0], 0)
        self.assertEqual(seen[-1]["user"], "x")
        self.assertEqual(self.run_inline(lambda data: {"one": data["n"]})[0], 0)
        self.assertEqual(self.output("result.json"), {"one": 1})

    def test_the_seed_seeds_random(self):
        self.write("input.json", {})
        draws = []
        for _ in range(2):
            self.write("options.json", {"seed": 42})
            import random
            self.run_inline(lambda data: draws.append(random.random()) or {})
        self.assertEqual(draws[0], draws[1])

    def test_prints_reach_the_log_as_they_happen(self):
        with open(os.path.join(self.app_dir, "chatty.py"), "w") as f:
            f.write("import sys\n\ndef solve(data):\n    print('progress 1')\n"
                    "    sys.stdin.readline()\n    return {}\n")
        self.write("input.json", {})
        script = ("import runpy, sys, chatty\nfrom orsa_service import config\n"
                  "config.ENTRYPOINT = 'chatty:solve'\n"
                  "runpy.run_module('orsa_service.run', run_name='__main__')\n")
        # As in an image: no PYTHONUNBUFFERED from the environment running the tests.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        process = subprocess.Popen([sys.executable, "-c", script], cwd=self.app_dir,
                                   env=dict(env, **self.env), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        try:
            # Before the model returns: line-buffered, not held in a pipe's buffer.
            ready, _, _ = select.select([process.stdout], [], [], 20)
            self.assertTrue(ready, "the print is held back")
            self.assertEqual(process.stdout.readline(), "progress 1\n")
            process.stdin.write("\n")
            process.stdin.flush()
            self.assertEqual(process.wait(timeout=30), 0)
        finally:
            process.kill()
            process.wait()
            process.stdin.close()
            process.stdout.close()

    def test_sigterm_stops_the_run_with_143(self):
        with open(os.path.join(self.app_dir, "sleepy.py"), "w") as f:
            f.write("import time\n\ndef solve(data):\n    print('working', flush=True)\n"
                    "    try:\n        time.sleep(600)\n    except Exception:\n"
                    "        pass\n")
        self.write("input.json", {})
        script = ("import sys, sleepy\nfrom orsa_service import run\n"
                  "run.install_signal_handlers()\nsys.exit(run.main(function=sleepy.solve))\n")
        process = subprocess.Popen([sys.executable, "-c", script], cwd=self.app_dir,
                                   env=dict(os.environ, **self.env), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(process.stdout.readline(), "working\n")
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=10), 143)
            self.assertLess(time.monotonic() - began, 5)
            self.assertIn("stopped by SIGTERM", process.stderr.read())
        finally:
            process.kill()
            process.wait()
            process.stdout.close()
            process.stderr.close()


class FakeJobsListener:
    """A jobs listener for the runner's side of the exchange (the real one is
    orsa-deployer's, exercised by the Kubernetes journey): serves one job's
    input and options for one token, keeps what is PUT, and can answer the
    first few requests with 503."""

    def __init__(self, token, files, failures=0):
        self.token, self.files, self.failures = token, dict(files), failures
        self.uploads, self.requests = {}, []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _refuse(self):
                listener.requests.append((self.command, self.path))
                if listener.failures > 0:
                    listener.failures -= 1
                    self.send_response(503)
                elif self.headers.get("Authorization") != f"Bearer {listener.token}":
                    self.send_response(401)
                else:
                    return False
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True

            def do_GET(self):
                if self._refuse():
                    return
                body = listener.files.get(self.path.rsplit("/", 1)[-1])
                self.send_response(200 if body is not None else 404)
                body = (body or "").encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self):
                if self._refuse():
                    return
                length = int(self.headers["Content-Length"])
                listener.uploads[self.path.rsplit("/", 1)[-1]] = self.rfile.read(length).decode()
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jobs/run_1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class RunOverTheJobsListener(RunnerFixture):
    """ORSA_JOB_URL set: the files come from and go to the jobs listener."""

    def listen(self, token="t0ken-of-run-1", failures=0, files=None):
        files = files if files is not None else {"input.json": json.dumps(self.example),
                                                 "options.json": "{}"}
        listener = FakeJobsListener("t0ken-of-run-1", files, failures)
        self.addCleanup(listener.close)
        self.env.update(ORSA_JOB_URL=listener.url, ORSA_JOB_TOKEN=token)
        return listener

    def test_the_input_is_fetched_and_the_result_uploaded(self):
        listener = self.listen()
        code, _, stderr = self.run_process()
        self.assertEqual(code, 0, stderr)
        self.assertEqual(json.loads(listener.uploads["result.json"])["objective"], 15)
        self.assertNotIn("error.json", listener.uploads)

    def test_a_refused_input_is_the_error_uploaded_by_the_runner(self):
        listener = self.listen(files={"input.json": "[1, 2]"})
        code, _, _ = self.run_process()
        self.assertEqual(code, 3)
        self.assertEqual(json.loads(listener.uploads["error.json"])["status"], "invalid_input")

    def test_unavailable_answers_are_tried_again(self):
        listener = self.listen(failures=2)
        code, _, stderr = self.run_process()
        self.assertEqual(code, 0, stderr)
        self.assertIn("trying again", stderr)
        self.assertIn("result.json", listener.uploads)

    def test_the_token_may_come_from_a_file(self):
        listener = self.listen(token="")
        token_file = os.path.join(self.job, "token")
        with open(token_file, "w") as f:
            f.write("t0ken-of-run-1\n")
        self.env["ORSA_JOB_TOKEN_FILE"] = token_file
        code, _, stderr = self.run_process()
        self.assertEqual(code, 0, stderr)
        self.assertIn("result.json", listener.uploads)

    def test_a_refused_token_fails_the_run_without_showing_the_token(self):
        listener = self.listen(token="wrong-token")
        code, stdout, stderr = self.run_process()
        self.assertEqual(code, 1)
        self.assertIn("fetching input.json: HTTP 401", stderr)
        self.assertNotIn("wrong-token", stdout + stderr)
        self.assertEqual(listener.uploads, {})
        # Refusals are not retried.
        self.assertEqual(len(listener.requests), 1)


class BuilderCli(unittest.TestCase):
    def run_builder(self, *args):
        return subprocess.run([BUILDER, *args], capture_output=True, text=True)

    def test_usage_errors_exit_2(self):
        self.assertEqual(self.run_builder().returncode, 2)
        self.assertEqual(self.run_builder("render", "--template", TEMPLATE).returncode, 2)
        self.assertEqual(self.run_builder("bogus").returncode, 2)

    def test_render_errors_exit_1_naming_file_and_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            context = os.path.join(tmp, "ctx.json")
            with open(context, "w") as f:
                f.write("{}")
            template = os.path.join(tmp, "tpl")
            os.makedirs(os.path.join(template, "{{cookiecutter.slug}}"))
            with open(os.path.join(template, "cookiecutter.json"), "w") as f:
                f.write('{"slug": "s"}')
            with open(os.path.join(template, "{{cookiecutter.slug}}", "m.py"), "w") as f:
                f.write("ok\n{{ cookiecutter.slug|nope }}\n")
            result = self.run_builder("render", "--template", template, "--context", context,
                                      "--out", os.path.join(tmp, "out"))
            self.assertEqual(result.returncode, 1)
            self.assertIn("m.py:2: unknown filter 'nope'", result.stderr)
            with open(context, "w") as f:
                f.write("[1]")
            result = self.run_builder("render", "--template", template, "--context", context,
                                      "--out", os.path.join(tmp, "out"))
            self.assertEqual(result.returncode, 1)
            self.assertIn("must be a JSON object", result.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
