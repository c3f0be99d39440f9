"""The path of every request: signature, protocol, validation, handler,
output validation, serialization.

Each step refuses with the AwsError AWS would send, in the service's
protocol. The handler's result is checked against the operation's output
shape before it is written, and an error a handler raises must be one the
operation declares, so the stand-in never answers what AWS could not; a
breach of either is the stand-in's own bug and comes back as a 500
InternalFailure (and on stderr), never as a plausible answer.
"""

import sys
import threading
import traceback
import uuid
from dataclasses import dataclass

import aws_errors
import protocols
import shapes
from sigv4_check import parse_authorization


@dataclass
class Request:
    """What the HTTP server received; headers is an http.client.HTTPMessage."""
    method: str
    path: str
    headers: object
    body: bytes


@dataclass(frozen=True)
class Caller:
    """Who a handler works for: resources belong to the caller's account."""
    account: str
    access_key: str
    region: str
    request_id: str


class ServiceEndpoint:
    """One served service: its botocore model, protocol codec and handlers.

    `service` is an object of a *_service.py module: handlers() maps
    operation names to functions(params, caller) -> result dict, and
    VALIDATION_ERROR is the code the service answers invalid parameters with.
    Handlers of one service run one at a time (their state is plain dicts)."""

    def __init__(self, model, service):
        self.model = model
        self.protocol = protocols.protocol_for(model)
        self.handlers = service.handlers()
        self.validation_error = service.VALIDATION_ERROR
        self.lock = threading.Lock()
        unknown = sorted(set(self.handlers) - set(model.operation_names))
        if unknown:
            raise ValueError(f"{model.service_name}: no such operations in the model: {unknown}")


class Pipeline:
    """Serves requests for the endpoints, keyed by their SigV4 signing name."""

    def __init__(self, endpoints, verifier, region, throttle_first=0, observe=None):
        self._endpoints = endpoints
        self._verifier = verifier
        self._region = region
        self._throttle_first = throttle_first
        self._observe = observe or (lambda record: None)
        self._calls = {}
        self._calls_lock = threading.Lock()

    @property
    def services(self):
        """The signing names served."""
        return sorted(self._endpoints)

    def handle(self, request):
        """The Response for a request; never raises."""
        request_id = str(uuid.uuid4())
        record = {"request_id": request_id, "service": None, "operation": None}
        protocol_name = protocols.guess_protocol(request)
        codec = None
        try:
            authorization = parse_authorization(request.headers.get("Authorization"))
            endpoint = self._endpoint(authorization.service)
            record["service"] = authorization.service
            codec = endpoint.protocol
            protocol_name = codec.NAME
            credential = self._verifier.verify(request, authorization)
            operation = codec.operation(request)
            record["operation"] = operation.name
            self._throttle(authorization.service, operation.name)
            params = self._input(endpoint, operation, request)
            caller = Caller(credential.account, credential.access_key, self._region, request_id)
            result = self._call(endpoint, operation, params, caller)
            response = codec.encode(operation, result, request_id)
        except aws_errors.AwsError as error:
            if error.status == 500:
                print(f"awsserver: {error.message}", file=sys.stderr, flush=True)
            response = self._error(codec, protocol_name, error, request_id)
            record["code"] = error.code_for(protocol_name)
        except Exception:  # a stand-in bug: say so, loudly, in both places
            traceback.print_exc(file=sys.stderr)
            error = aws_errors.internal("The stand-in failed on this request; see its stderr")
            response = self._error(codec, protocol_name, error, request_id)
            record["code"] = error.code
        record["status"] = response.status
        self._observe(record)
        return response

    @staticmethod
    def _error(codec, protocol_name, error, request_id):
        if codec is not None:
            return codec.error(error, request_id)
        return protocols.error_response(protocol_name, error, request_id)

    def _endpoint(self, service):
        endpoint = self._endpoints.get(service)
        if endpoint is None:
            raise aws_errors.invalid_signature(
                f"Credential should be scoped to correct service: the stand-in serves "
                f"{', '.join(sorted(self._endpoints))}, not '{service}'.")
        return endpoint

    def _throttle(self, service, operation):
        """--throttle-first N: the first N calls of each operation are throttled."""
        with self._calls_lock:
            count = self._calls.get((service, operation), 0) + 1
            self._calls[(service, operation)] = count
        if count <= self._throttle_first:
            raise aws_errors.throttling()

    @staticmethod
    def _input(endpoint, operation, request):
        params = endpoint.protocol.decode(operation, request)
        shape = operation.input_shape
        if shape is None:
            messages = [f"Unknown parameter in input: \"{name}\", the operation takes none"
                        for name in params]
        else:
            messages = shapes.check(params, shape)
        if messages:
            raise aws_errors.validation(endpoint.validation_error, messages)
        return params

    @staticmethod
    def _call(endpoint, operation, params, caller):
        handler = endpoint.handlers.get(operation.name)
        if handler is None:
            raise aws_errors.AwsError(
                "NotImplemented",
                f"The stand-in does not implement {endpoint.model.service_name}:{operation.name}",
                501)
        try:
            with endpoint.lock:
                result = handler(params, caller) or {}
        except aws_errors.AwsError as error:
            check_declared(operation, error)
            raise
        check_output(operation, result)
        return result


def check_declared(operation, error):
    """A handler may only fail with an error its operation declares."""
    declared = {shape.name for shape in operation.error_shapes}
    if error.code not in declared:
        raise aws_errors.internal(
            f"Stand-in bug: {operation.name} raised {error.code}, which the model does not "
            f"declare for it ({', '.join(sorted(declared))})")


def check_output(operation, result):
    """Raises InternalFailure when a result breaks the output shape."""
    shape = operation.output_shape
    if shape is None:
        messages = ["the operation has no output"] if result else []
    else:
        messages = shapes.check(result, shape)
    if messages:
        raise aws_errors.internal(f"Stand-in bug: the {operation.name} result breaks its "
                                  "output shape: " + "; ".join(messages))
