"""Checks a request's Signature Version 4 by AWS's own two signers.

The stand-in does not trust its own reading of the SigV4 specification: for
every request it recomputes the signature with botocore's SigV4Auth (Python,
the SDK's signer) and with awscrt (AWS's C signer, used by the newer SDKs),
for the request's own X-Amz-Date, requires that the two agree, and only then
compares the client's signature with theirs. A client signer (ORSA's C++ one)
that passes here produces what AWS's SDKs produce for the same request.

The checks before the signature (known key, session token, date, scope,
clock skew) follow AWS's order and wording. Deliberately stricter than AWS:
X-Amz-Date is required (AWS also takes Date), host, x-amz-date and every
x-amz-* header sent must be signed, and an x-amz-content-sha256 header must
be the body's SHA-256 (AWS lets some services take UNSIGNED-PAYLOAD).
"""

import datetime
import hashlib
import hmac
import io
import json
import re
from dataclasses import dataclass

from awscrt import auth as crt_auth
from awscrt import http as crt_http
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

import aws_errors

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = datetime.timedelta(minutes=15)
MAX_CREDENTIALS = 100
CRT_TIMEOUT_SECONDS = 10
# Headers the CRT signer adds itself from its configuration; it refuses a
# request that already carries them.
CRT_ADDED_HEADERS = frozenset({"authorization", "x-amz-date", "x-amz-security-token",
                               "x-amz-content-sha256"})
ACCOUNT_RE = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class Credential:
    """One identity the stand-in knows; `account` owns what it creates."""
    access_key: str
    secret_key: str
    session_token: str
    account: str


@dataclass(frozen=True)
class Authorization:
    """The parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., ...` header."""
    access_key: str
    scope_date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple
    signature: str


def load_credentials(path):
    """Reads the --credentials file: a JSON list of {access_key, secret_key,
    session_token (optional), account}. Fails loudly on a malformed entry,
    since a typo would otherwise surface as a puzzling 403 in some test."""
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    if not isinstance(entries, list) or not 0 < len(entries) <= MAX_CREDENTIALS:
        raise ValueError(f"{path}: expected a list of 1..{MAX_CREDENTIALS} credentials")
    known = {}
    for entry in entries:
        credential = Credential(str(entry["access_key"]), str(entry["secret_key"]),
                                str(entry.get("session_token") or ""), str(entry["account"]))
        if not ACCOUNT_RE.fullmatch(credential.account):
            raise ValueError(f"{path}: account {credential.account!r} is not 12 digits")
        if credential.access_key in known:
            raise ValueError(f"{path}: access key {credential.access_key} listed twice")
        known[credential.access_key] = credential
    return known


def parse_authorization(value):
    """Splits the Authorization header into its scope and fields."""
    if value is None:
        raise aws_errors.missing_authentication()
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise aws_errors.incomplete_signature(
            f"Authorization header requires the {ALGORITHM} algorithm, not '{algorithm}'.")
    fields = {}
    for part in rest.split(","):
        key, _, val = part.strip().partition("=")
        fields[key] = val
    for key in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(key):
            raise aws_errors.incomplete_signature(
                f"Authorization header requires '{key}' parameter. Authorization={value}")
    scope = fields["Credential"].split("/")
    if len(scope) != 5:
        raise aws_errors.incomplete_signature(
            "Credential should have exactly 5 slash-separated parts: "
            f"'{fields['Credential']}'.")
    return Authorization(scope[0], scope[1], scope[2], scope[3], scope[4],
                         tuple(fields["SignedHeaders"].split(";")), fields["Signature"])


def header_values(headers, name):
    """All values of one header (http.client.HTTPMessage keeps repeats)."""
    return headers.get_all(name) or []


class SignatureVerifier:
    """Verifies requests for one region against the known credentials."""

    def __init__(self, credentials, region, now=None):
        self._credentials = credentials
        self._region = region
        self._now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))

    def verify(self, request, authorization):
        """Returns the caller's Credential, or raises the AwsError AWS would."""
        credential = self._credential(request, authorization)
        signed_at = self._signing_time(request, authorization)
        self._check_signed_header_set(request, authorization)
        self._check_signature(request, authorization, credential, signed_at)
        return credential

    def _credential(self, request, authorization):
        credential = self._credentials.get(authorization.access_key)
        if credential is None:
            raise aws_errors.unrecognized_client()
        tokens = header_values(request.headers, "X-Amz-Security-Token")
        expected = [credential.session_token] if credential.session_token else []
        if tokens != expected:
            raise aws_errors.unrecognized_client()
        return credential

    def _signing_time(self, request, authorization):
        """X-Amz-Date as an aware datetime, after the scope and skew checks."""
        amz_date = request.headers.get("X-Amz-Date")
        if amz_date is None:
            raise aws_errors.incomplete_signature(
                "Authorization header requires existence of a 'X-Amz-Date' header "
                "(the stand-in does not take 'Date').")
        try:
            signed_at = datetime.datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise aws_errors.incomplete_signature(
                f"X-Amz-Date '{amz_date}' is not in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z'.")
        if authorization.scope_date != amz_date[:8]:
            raise aws_errors.invalid_signature(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{authorization.scope_date}' != '{amz_date[:8]}', "
                f"from '{amz_date}'.")
        if authorization.region != self._region:
            raise aws_errors.invalid_signature(
                f"Credential should be scoped to a valid region, not '{authorization.region}'. "
                f"The stand-in serves '{self._region}'.")
        if authorization.terminator != "aws4_request":
            raise aws_errors.invalid_signature(
                "Credential should be scoped with a valid terminator: 'aws4_request', "
                f"not '{authorization.terminator}'.")
        self._check_skew(signed_at)
        return signed_at

    def _check_skew(self, signed_at):
        now = self._now()
        if signed_at < now - MAX_CLOCK_SKEW:
            raise aws_errors.invalid_signature(
                f"Signature expired: {signed_at.strftime(AMZ_DATE_FORMAT)} is now earlier than "
                f"{(now - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)} "
                f"({now.strftime(AMZ_DATE_FORMAT)} - 15 min.)")
        if signed_at > now + MAX_CLOCK_SKEW:
            raise aws_errors.invalid_signature(
                f"Signature not yet current: {signed_at.strftime(AMZ_DATE_FORMAT)} is still later "
                f"than {(now + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)} "
                f"({now.strftime(AMZ_DATE_FORMAT)} + 15 min.)")

    def _check_signed_header_set(self, request, authorization):
        """The headers a signature must cover, and the body hash it may claim."""
        signed = authorization.signed_headers
        if list(signed) != sorted(set(signed)) or any(name != name.lower() for name in signed):
            raise aws_errors.invalid_signature(
                f"SignedHeaders must be lowercase, sorted and unique: {';'.join(signed)}")
        missing = [name for name in signed if not header_values(request.headers, name)]
        if missing:
            raise aws_errors.invalid_signature(
                f"Signed headers absent from the request: {', '.join(missing)}")
        sent = {name.lower() for name in request.headers.keys()}
        must_sign = {"host", "x-amz-date"} | {name for name in sent if name.startswith("x-amz-")}
        unsigned = sorted(must_sign - set(signed))
        if unsigned:
            raise aws_errors.invalid_signature(
                "There were headers present in the request which were not signed: "
                + ", ".join(unsigned))
        claimed = request.headers.get("X-Amz-Content-SHA256")
        if claimed is not None and claimed != hashlib.sha256(request.body).hexdigest():
            raise aws_errors.invalid_signature(
                "The provided 'x-amz-content-sha256' header does not match what was computed.")

    def _check_signature(self, request, authorization, credential, signed_at):
        reference = botocore_signature(request, authorization, credential, signed_at)
        crt = crt_signature(request, authorization, credential, signed_at)
        if (reference.signed_headers, reference.signature) != (crt.signed_headers, crt.signature):
            raise aws_errors.invalid_signature(
                "The stand-in's two reference signers disagree on this request, so it is "
                "outside what AWS's SDKs produce: botocore signs "
                f"[{reference.signed_headers}] -> {reference.signature}, awscrt signs "
                f"[{crt.signed_headers}] -> {crt.signature}.")
        if reference.signed_headers != ";".join(authorization.signed_headers):
            raise aws_errors.invalid_signature(
                f"{aws_errors.SIGNATURE_MISMATCH} The SDK signers sign "
                f"[{reference.signed_headers}], you signed [{';'.join(authorization.signed_headers)}] "
                "(they never sign user-agent, expect or x-amzn-trace-id).")
        if not hmac.compare_digest(reference.signature, authorization.signature):
            raise aws_errors.invalid_signature(
                f"{aws_errors.SIGNATURE_MISMATCH}\n\nThe Canonical String for this request "
                f"should have been\n'{reference.canonical_request}'\n\nThe String-to-Sign "
                f"should have been\n'{reference.string_to_sign}'\n")


@dataclass(frozen=True)
class Signed:
    """What a reference signer computed for a request."""
    signed_headers: str
    signature: str
    canonical_request: str = ""
    string_to_sign: str = ""


def signed_header_pairs(request, authorization):
    """(name, value) of every header the client signed, repeats kept in order."""
    return [(name, value) for name in authorization.signed_headers
            for value in header_values(request.headers, name)]


def botocore_signature(request, authorization, credential, signed_at):
    """botocore's SigV4Auth for the received request at its own timestamp.

    add_auth() would stamp the current time, so this runs the steps after it
    (canonical_request, string_to_sign, signature) with
    request.context['timestamp'] set to the received X-Amz-Date, as add_auth
    does before them."""
    host = request.headers.get("Host", "")
    aws_request = AWSRequest(method=request.method, url=f"http://{host}{request.path}",
                             headers=HTTPHeaders.from_pairs(signed_header_pairs(request, authorization)),
                             data=request.body)
    aws_request.context["timestamp"] = signed_at.strftime(AMZ_DATE_FORMAT)
    signer = SigV4Auth(Credentials(credential.access_key, credential.secret_key,
                                   credential.session_token or None),
                       authorization.service, authorization.region)
    canonical_request = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical_request)
    return Signed(signer.signed_headers(signer.headers_to_sign(aws_request)),
                  signer.signature(string_to_sign, aws_request), canonical_request, string_to_sign)


def crt_signature(request, authorization, credential, signed_at):
    """awscrt's signer for the received request at its own timestamp.

    The CRT adds X-Amz-Date, X-Amz-Security-Token and x-amz-content-sha256
    itself (from the date, the credentials and signed_body_value), so those
    are left out of the request handed to it."""
    pairs = [(name, value) for name, value in signed_header_pairs(request, authorization)
             if name not in CRT_ADDED_HEADERS]
    body_hash = request.headers.get("X-Amz-Content-SHA256")
    header_type = (crt_auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256 if body_hash
                   else crt_auth.AwsSignedBodyHeaderType.NONE)
    config = crt_auth.AwsSigningConfig(
        algorithm=crt_auth.AwsSigningAlgorithm.V4,
        signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=crt_auth.AwsCredentialsProvider.new_static(
            credential.access_key, credential.secret_key, credential.session_token or None),
        region=authorization.region,
        service=authorization.service,
        date=signed_at,
        should_normalize_uri_path=True,
        use_double_uri_encode=authorization.service != "s3",
        signed_body_value=body_hash,
        signed_body_header_type=header_type)
    crt_request = crt_http.HttpRequest(request.method, request.path, crt_http.HttpHeaders(pairs),
                                       io.BytesIO(request.body))
    signed = crt_auth.aws_sign_request(crt_request, config).result(timeout=CRT_TIMEOUT_SECONDS)
    fields = parse_authorization(signed.headers.get("Authorization"))
    return Signed(";".join(fields.signed_headers), fields.signature)
