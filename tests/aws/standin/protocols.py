"""The wire protocols of the served services, as their models name them.

A protocol finds the operation a request calls, decodes its parameters to
typed values (shapes.py) and writes results and errors the way botocore's
parsers, and so AWS's clients, read them:

  json   (ecr, ecs, logs): POST /, `X-Amz-Target: <targetPrefix>.<Operation>`,
         `Content-Type: application/x-amz-json-<jsonVersion>`, JSON both ways,
         errors as {"__type": code, "message": ...}.
  query  (sts): form POST with Action=<Operation>&Version=<apiVersion>,
         answered in XML under <OperationResponse><resultWrapper>, errors as
         <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
"""

import json
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import aws_errors
import shapes

MAX_FORM_FIELDS = 1000


@dataclass
class Response:
    status: int
    body: bytes
    headers: list = field(default_factory=list)


def protocol_for(model):
    """The codec for a botocore ServiceModel; only the protocols served."""
    kinds = {"json": JsonProtocol, "query": QueryProtocol}
    if model.protocol not in kinds:
        raise ValueError(f"{model.service_name}: protocol {model.protocol} is not served")
    return kinds[model.protocol](model)


def guess_protocol(request):
    """The protocol to answer in before the service is known (an unsigned
    request names none): JSON services always send X-Amz-Target. `request`
    is anything with the received `headers`."""
    return JsonProtocol.NAME if request.headers.get("X-Amz-Target") else QueryProtocol.NAME


def error_response(protocol_name, error, request_id):
    """An error in the given protocol's format, for any service."""
    if protocol_name == QueryProtocol.NAME:
        return QueryProtocol.error_document(error, request_id, namespace=None)
    return JsonProtocol.error_document(error, request_id, "application/x-amz-json-1.1")


def _content_type(request):
    return (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class JsonProtocol:
    NAME = "json"

    def __init__(self, model):
        self._model = model
        self._content_type = f"application/x-amz-json-{model.metadata['jsonVersion']}"
        self._target_prefix = model.metadata["targetPrefix"]

    def operation(self, request):
        """The OperationModel named by X-Amz-Target."""
        target = request.headers.get("X-Amz-Target") or ""
        prefix, _, name = target.rpartition(".")
        if (request.method != "POST" or prefix != self._target_prefix
                or name not in self._model.operation_names):
            raise aws_errors.unknown_operation(
                f"Unknown operation {request.method} X-Amz-Target '{target}' for "
                f"{self._model.service_name} (expects POST and '{self._target_prefix}.<Operation>')")
        if _content_type(request) != self._content_type:
            raise aws_errors.serialization(
                f"{self._model.service_name} expects Content-Type: {self._content_type}, "
                f"not '{request.headers.get('Content-Type')}'")
        return self._model.operation_model(name)

    def decode(self, operation, request):
        """The body (a JSON object, `{}` when there are no parameters) as typed values."""
        try:
            document = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise aws_errors.serialization(f"The request body is not a JSON document: {error}")
        if not isinstance(document, dict):
            raise aws_errors.serialization("The request body must be a JSON object")
        if operation.input_shape is None:
            return document
        return shapes.from_json(document, operation.input_shape)

    def encode(self, operation, result, request_id):
        shape = operation.output_shape
        body = json.dumps(shapes.to_json(result, shape)).encode() if shape is not None else b""
        return Response(200, body, self._headers(request_id, self._content_type))

    def error(self, error, request_id):
        return self.error_document(error, request_id, self._content_type)

    @staticmethod
    def error_document(error, request_id, content_type):
        body = json.dumps({"__type": error.code_for(JsonProtocol.NAME), "message": error.message})
        return Response(error.status, body.encode(),
                        JsonProtocol._headers(request_id, content_type))

    @staticmethod
    def _headers(request_id, content_type):
        return [("x-amzn-RequestId", request_id), ("Content-Type", content_type)]


class QueryProtocol:
    NAME = "query"
    CONTENT_TYPE = "application/x-www-form-urlencoded"

    def __init__(self, model):
        self._model = model
        self._namespace = model.metadata.get("xmlNamespace")

    def operation(self, request):
        """The OperationModel named by Action, for the model's Version only."""
        if request.method != "POST" or _content_type(request) != self.CONTENT_TYPE:
            raise aws_errors.serialization(
                f"The stand-in takes {self._model.service_name} requests as a form POST "
                f"(Content-Type: {self.CONTENT_TYPE}) only")
        form = self._form(request)
        action, version = form.get("Action"), form.get("Version")
        if action not in self._model.operation_names or version != self._model.api_version:
            raise aws_errors.unknown_operation(
                f"Could not find operation {action} for version {version}")
        return self._model.operation_model(action)

    def decode(self, operation, request):
        form = self._form(request)
        del form["Action"], form["Version"]
        if operation.input_shape is None:
            return form
        return shapes.from_query(form, operation.input_shape)

    def _form(self, request):
        try:
            pairs = urllib.parse.parse_qsl(request.body.decode("utf-8"), keep_blank_values=True,
                                           strict_parsing=True, max_num_fields=MAX_FORM_FIELDS)
        except (UnicodeDecodeError, ValueError) as error:
            raise aws_errors.serialization(f"The request body is not a form: {error}")
        form = dict(pairs)
        if len(form) != len(pairs):
            raise aws_errors.serialization("A form parameter is repeated")
        return form

    def encode(self, operation, result, request_id):
        root = ET.Element(f"{operation.name}Response", self._xmlns(self._namespace))
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{operation.name}Result")
            shapes.to_xml(root, wrapper, result, shape)
        metadata = ET.SubElement(root, "ResponseMetadata")
        ET.SubElement(metadata, "RequestId").text = request_id
        return Response(200, ET.tostring(root, encoding="utf-8"), self._headers(request_id))

    def error(self, error, request_id):
        return self.error_document(error, request_id, self._namespace)

    @staticmethod
    def error_document(error, request_id, namespace):
        root = ET.Element("ErrorResponse", QueryProtocol._xmlns(namespace))
        detail = ET.SubElement(root, "Error")
        ET.SubElement(detail, "Type").text = "Sender" if error.sender_fault else "Receiver"
        ET.SubElement(detail, "Code").text = error.code_for(QueryProtocol.NAME)
        ET.SubElement(detail, "Message").text = error.message
        ET.SubElement(root, "RequestId").text = request_id
        return Response(error.status, ET.tostring(root, encoding="utf-8"),
                        QueryProtocol._headers(request_id))

    @staticmethod
    def _xmlns(namespace):
        return {"xmlns": namespace} if namespace else {}

    @staticmethod
    def _headers(request_id):
        return [("x-amzn-RequestId", request_id), ("Content-Type", "text/xml")]
