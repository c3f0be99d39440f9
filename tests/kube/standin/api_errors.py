"""Failures as the API server reports them: a v1 Status with an HTTP code.

Clients read `reason` and `code` (kubectl prints `message`; client-go maps
reasons to IsNotFound, IsConflict...), so each constructor below uses the
wording and reason of the real server for the same failure.
"""


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        doc = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            doc["details"] = self.details
        return doc


def _details(rtype, name, **extra):
    details = {"name": name, "kind": rtype.plural, **extra}
    if rtype.group:
        details["group"] = rtype.group
    return details


def not_found(rtype, name):
    return ApiError(404, "NotFound", f'{rtype.qualified} "{name}" not found', _details(rtype, name))


def path_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def already_exists(rtype, name):
    return ApiError(409, "AlreadyExists", f'{rtype.qualified} "{name}" already exists',
                    _details(rtype, name))


def conflict(rtype, name, why="the object has been modified; please apply your changes "
                               "to the latest version and try again"):
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rtype.qualified} "{name}": {why}',
                    _details(rtype, name))


def invalid(rtype, name, problems):
    """problems: [(field path, message)], as the validator reports them."""
    listed = [f"{field}: {message}" for field, message in problems]
    summary = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
    causes = [{"reason": "FieldValueInvalid", "message": message, "field": field}
              for field, message in problems]
    return ApiError(422, "Invalid", f'{rtype.qualified_kind} "{name}" is invalid: {summary}',
                    _details(rtype, name, kind=rtype.kind, causes=causes))


def unprocessable(message):
    """A patch that cannot be applied (the server answers 422 without a field)."""
    return ApiError(422, "Invalid", message)


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(message):
    return ApiError(403, "Forbidden", message)


def method_not_allowed(method, what):
    return ApiError(405, "MethodNotAllowed", f"the server does not allow this method on the requested "
                                             f"resource ({method} {what})")


def expired(requested, oldest):
    """A watch from a resourceVersion whose events are no longer kept."""
    return ApiError(410, "Expired", f"too old resource version: {requested} ({oldest})")


def length_required():
    return ApiError(411, "BadRequest", "a request body needs a Content-Length")


def too_large(limit):
    return ApiError(413, "RequestEntityTooLarge", f"the request body is larger than {limit} bytes")


def unsupported_media_type(content_type, supported):
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format ({content_type}) - accepted "
                    f"media types include: {', '.join(supported)}")


def too_many_requests(message):
    return ApiError(429, "TooManyRequests", message)


def internal(message):
    return ApiError(500, "InternalError", message)
