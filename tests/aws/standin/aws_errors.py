"""Failures as AWS reports them: an error code, a message and an HTTP status.

The JSON protocols (ecr, ecs, logs) and the query protocol (sts) name the
same framework failure differently (UnrecognizedClientException versus
InvalidClientTokenId...), and clients branch on the code, so each failure
carries both names and the protocol that answers picks one
(AwsError.code_for). The wording of the messages is AWS's own where AWS's is
known, so a client's logs read the same against the stand-in and AWS.
"""

SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature "
                      "you provided. Check your AWS Secret Access Key and signing method. "
                      "Consult the service documentation for details.")


class AwsError(Exception):
    """One failed request: `code` for the JSON protocols, `query_code` for query."""

    def __init__(self, code, message, status=400, query_code=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.query_code = query_code or code

    def code_for(self, protocol):
        return self.query_code if protocol == "query" else self.code

    @property
    def sender_fault(self):
        """The query protocol's <Type>: Sender for the client's faults, else Receiver."""
        return self.status < 500


def missing_authentication():
    return AwsError("MissingAuthenticationTokenException", "Missing Authentication Token",
                    403, "MissingAuthenticationToken")


def incomplete_signature(message):
    return AwsError("IncompleteSignatureException", message, 403, "IncompleteSignature")


def invalid_signature(message):
    return AwsError("InvalidSignatureException", message, 403, "SignatureDoesNotMatch")


def unrecognized_client():
    return AwsError("UnrecognizedClientException",
                    "The security token included in the request is invalid.", 403,
                    "InvalidClientTokenId")


def throttling():
    return AwsError("ThrottlingException", "Rate exceeded", 400, "Throttling")


def unknown_operation(message):
    return AwsError("UnknownOperationException", message, 400, "InvalidAction")


def serialization(message):
    return AwsError("SerializationException", message, 400, "MalformedQueryString")


def validation(code, messages):
    """AWS's summary line ("N validation errors detected: ...") over per-member messages."""
    count = len(messages)
    noun = "error" if count == 1 else "errors"
    return AwsError(code, f"{count} validation {noun} detected: " + "; ".join(messages))


def too_large(limit):
    return AwsError("RequestEntityTooLargeException",
                    f"Request body is larger than the stand-in's limit of {limit} bytes", 413,
                    "RequestEntityTooLarge")


def length_required():
    return AwsError("MissingContentLength", "The request needs a Content-Length header", 411)


def internal(message):
    return AwsError("InternalFailure", message, 500)
