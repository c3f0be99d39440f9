#!/usr/bin/python3
"""Renders templates/python-flask with orsa-builder, puts the starter
project next to it as the image's /app would hold them, and exercises the
service through Flask's test client with the real knapsack model (PuLP+CBC).

usage: flask_template_test.py ORSA_BUILDER TEMPLATE_DIR STARTER_DIR
"""

import importlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILDER, TEMPLATE, STARTER = sys.argv[1:4]
CONTEXT = {"project_name": "knapsack", "owner": "ada", "version": "3",
           "commit": "0123456789abcdef0123456789abcdef01234567", "max_body_bytes": 4096,
           "timeout": 42, "workers": 3}


class FlaskService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="orsa-flask-")
        context_file = os.path.join(cls.tmp, "context.json")
        with open(context_file, "w") as f:
            json.dump(CONTEXT, f)
        out = os.path.join(cls.tmp, "out")
        subprocess.run([BUILDER, "render", "--template", TEMPLATE, "--context", context_file,
                        "--out", out], check=True, stdout=subprocess.DEVNULL)
        cls.app_dir = os.path.join(out, "knapsack-service")
        for name in os.listdir(STARTER):
            shutil.copy(os.path.join(STARTER, name), cls.app_dir)
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
