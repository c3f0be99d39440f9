"""HTTP front of {{ cookiecutter.owner }}/{{ cookiecutter.project_name }}: calls `{{ cookiecutter.entrypoint_module }}.{{ cookiecutter.entrypoint_function }}(dict)`.

Routes:
  GET  /healthz  200 {"status": "ok"}
  GET  /         project, version, commit and image digest (HTML for browsers)
  POST /solve    JSON object in, the entrypoint's JSON-serialisable result out

Errors are {"error": {"code", "message", "request_id"}}: 400 for a body that
is not a JSON object, 413 over the body limit, 422 with the message when the
model raises ValueError, 500 with only a request id (the traceback goes to
the log). Every response carries X-Request-Id (the caller's, if sane).
"""

import json
import logging
import os
import re
import uuid

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from orsa_service import config
from orsa_service.entrypoint import load_entrypoint

log = logging.getLogger("orsa_service")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CODES = {400: "invalid_argument", 404: "not_found", 405: "method_not_allowed",
          413: "too_large", 422: "unprocessable", 500: "internal"}


def service_info():
    return {
        "project": config.PROJECT,
        "owner": config.OWNER,
        "version": config.VERSION,
        "commit": os.environ.get("ORSA_COMMIT", config.COMMIT),
        "image_digest": os.environ.get("ORSA_IMAGE_DIGEST", ""),
        "entrypoint": config.ENTRYPOINT,
    }


def _json(status, payload):
    return Response(json.dumps(payload) + "\n", status=status, mimetype="application/json")


def _error(status, message):
    error = {"code": _CODES.get(status, "error"), "message": message,
             "request_id": g.get("request_id", "")}
    return _json(status, {"error": error})


def read_body(limit):
    """The request body, or 413 past `limit` bytes (also without Content-Length)."""
    # Werkzeug enforces MAX_CONTENT_LENGTH only when parsing forms.
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    return body


def create_app(entrypoint=None):
    """Builds the Flask app around `entrypoint` (default: the configured one)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_BODY_BYTES
    solve = entrypoint or load_entrypoint()

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    @app.errorhandler(HTTPException)
    def http_error(error):
        return _error(error.code, error.description)

    @app.get("/healthz")
    def healthz():
        return _json(200, {"status": "ok"})

    @app.get("/")
    def index():
        info = service_info()
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return render_template("index.html", **info)
        return _json(200, info)

    @app.post("/solve")
    def solve_route():
        try:
            data = json.loads(read_body(config.MAX_BODY_BYTES))
        except ValueError as error:  # includes bad UTF-8
            return _error(400, f"request body is not valid JSON: {error}")
        if not isinstance(data, dict):
            return _error(400, "request body must be a JSON object")
        try:
            result = solve(data)
        except ValueError as error:
            return _error(422, str(error))
        except SystemExit as stop:  # would end the worker; this request fails instead
            log.error("request %s: %s called sys.exit(%s)", g.request_id, config.ENTRYPOINT, stop.code)
            return _error(500, "the model called sys.exit(); return a result or raise ValueError")
        except Exception:  # the model's bug: log it, never show it
            log.exception("request %s: %s failed", g.request_id, config.ENTRYPOINT)
            return _error(500, "the model failed; the service log has the details")
        try:
            body = json.dumps(result, allow_nan=False)
        except (TypeError, ValueError):
            log.exception("request %s: result is not JSON-serialisable", g.request_id)
            return _error(500, "the model returned a value that is not JSON")
        return Response(body + "\n", status=200, mimetype="application/json")

    return app


app = create_app()
