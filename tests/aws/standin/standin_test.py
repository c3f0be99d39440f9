#!/usr/bin/python3
"""Proves the AWS stand-in (awsserver.py) against AWS's own SDK.

Starts two stand-ins on free loopback ports, one plain and one with
--throttle-first 2 --max-body 4096, and drives them with real botocore
clients (Debian's python3-botocore) and, where a client would refuse to send
what is tested, with raw requests signed by botocore's SigV4Auth:

  - every implemented operation of sts, ecr and logs succeeds, signed with a
    long-term key and with a session token, and its answer parses;
  - AWS's errors come back with AWS's codes: a wrong secret, an unknown key,
    a missing session token, a date 20 minutes old, an unsigned request, an
    unknown operation, a body that is not JSON, an unknown member, a wrong
    enum value, a broken pattern, a value above `max`, an unknown form
    parameter, a too large body;
  - throttling makes botocore retry until it succeeds (the request log shows
    the 3 attempts);
  - the stand-in's own output check refuses a result AWS could not send.

Prints "standin_test: PASS: N checks, T s"; exits 1 on any failure. The
servers are always stopped. These are contract tests: nothing is run on AWS.
"""

import base64
import datetime
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET
from unittest import mock

# The stand-in's modules are imported for the output-check test; they live
# in the source tree: leave no __pycache__ there.
sys.dont_write_bytecode = True

import botocore.auth  # noqa: E402
import botocore.session  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import aws_errors  # noqa: E402
import pipeline  # noqa: E402

REGION = "us-east-1"
USER = {"access_key": "AKIDORSASTANDIN00001", "secret_key": "standin-secret-one",
        "account": "123456789012"}
SESSION_USER = {"access_key": "ASIAORSASTANDIN00002", "secret_key": "standin-secret-two",
                "session_token": "standin-session-token-two", "account": "210987654321"}
STARTUP_SECONDS = 20
STOP_SECONDS = 5
HTTP_TIMEOUT_SECONDS = 15
JSON_TARGETS = {"ecr": "AmazonEC2ContainerRegistry_V20150921", "logs": "Logs_20140328"}


class Checks:
    """Counts checks and reports each failure as it happens."""

    def __init__(self):
        self.count = 0
        self.failures = []

    def check(self, name, condition, detail=""):
        self.count += 1
        if not condition:
            self.failures.append(name)
            print(f"standin_test: FAIL: {name}" + (f": {detail}" if detail else ""), file=sys.stderr)

    def error(self, name, call, code, message_part=None):
        """`call()` must fail with a botocore ClientError of `code` whose
        message contains `message_part`."""
        try:
            call()
        except ClientError as error:
            got, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
            self.check(name, got == code and (message_part is None or message_part in message),
                       f"got {got}: {message}")
            return message
        self.check(name, False, f"succeeded, expected {code}")
        return None


class StandIn:
    """One awsserver.py process on a free port, stopped on exit whatever happens."""

    def __init__(self, workdir, name, *options):
        self.workdir = workdir
        self.name = name
        self.options = options
        self.process = None
        self.request_log = os.path.join(workdir, f"{name}.requests.jsonl")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.password_file = os.path.join(workdir, f"{name}.ecr-password")
        self.endpoint = None

    def __enter__(self):
        port_file = os.path.join(self.workdir, f"{self.name}.port")
        credentials = os.path.join(self.workdir, "credentials.json")
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                ["/usr/bin/python3", os.path.join(HERE, "awsserver.py"),
                 "--credentials", credentials, "--port-file", port_file, "--region", REGION,
                 "--request-log", self.request_log, "--ecr-password-file", self.password_file,
                 *self.options], stderr=stderr)
        deadline = time.monotonic() + STARTUP_SECONDS
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"{self.name} stand-in did not start:\n{self.stderr()}")
            time.sleep(0.05)
        with open(port_file, encoding="utf-8") as f:
            self.endpoint = f"http://127.0.0.1:{int(f.read())}"
        return self

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def requests(self):
        with open(self.request_log, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def ecr_password(self):
        with open(self.password_file, encoding="utf-8") as f:
            return f.read()


def client(server, service, user, **config):
    return botocore.session.get_session().create_client(
        service, endpoint_url=server.endpoint, region_name=REGION,
        aws_access_key_id=user["access_key"], aws_secret_access_key=user["secret_key"],
        aws_session_token=user.get("session_token"), config=Config(**config))


def frozen_clock(moment):
    """A datetime class whose utcnow() is `moment`, for signing in the past."""
    class Clock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return moment
    return Clock


def signed(server, service, headers, body, user=USER, path="/", at=None):
    """A request signed by botocore's SigV4Auth, optionally at time `at`
    (naive UTC): for what a botocore client would not send."""
    request = AWSRequest("POST", server.endpoint + path, headers=headers, data=body)
    signer = botocore.auth.SigV4Auth(
        Credentials(user["access_key"], user["secret_key"], user.get("session_token")),
        service, REGION)
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch.object(botocore.auth.datetime, "datetime", frozen_clock(at)):
            signer.add_auth(request)
    return request


def send(request):
    """(status, error code, message) of a raw request (code None on success)."""
    url = urllib.parse.urlsplit(request.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        target = url.path + (f"?{url.query}" if url.query else "")
        connection.request(request.method, target, body=request.body, headers=dict(request.headers))
        response = connection.getresponse()
        status, body = response.status, response.read()
        content_type = response.getheader("Content-Type", "")
    finally:
        connection.close()
    if status == 200:
        return status, None, body
    if content_type == "text/xml":
        error = ET.fromstring(body).find("{*}Error")
        return status, error.findtext("{*}Code"), error.findtext("{*}Message")
    document = json.loads(body)
    return status, document["__type"], document["message"]


def json_call(server, service, operation, document, user=USER, path="/", at=None, raw_body=None):
    headers = {"X-Amz-Target": f"{JSON_TARGETS[service]}.{operation}",
               "Content-Type": "application/x-amz-json-1.1"}
    body = raw_body if raw_body is not None else json.dumps(document).encode()
    return send(signed(server, service, headers, body, user, path, at))


def check_raw_error(checks, name, result, status, code, message_part):
    got_status, got_code, message = result
    checks.check(name, (got_status, got_code) == (status, code) and message_part in str(message),
                 f"got {got_status} {got_code}: {message}")


# --- the checks ------------------------------------------------------------

def test_sts(checks, server):
    identity = client(server, "sts", USER).get_caller_identity()
    checks.check("sts GetCallerIdentity: account and ARN",
                 identity["Account"] == USER["account"]
                 and identity["Arn"] == f"arn:aws:iam::{USER['account']}:user/orsa"
                 and identity["UserId"].startswith("AIDA"), str(identity))
    session = client(server, "sts", SESSION_USER).get_caller_identity()
    checks.check("sts GetCallerIdentity with a session token", session["Account"] ==
                 SESSION_USER["account"], str(session))


def test_ecr(checks, server):
    ecr = client(server, "ecr", USER)
    before = datetime.datetime.now(datetime.timezone.utc)
    repository = ecr.create_repository(repositoryName="orsa/app", imageTagMutability="IMMUTABLE",
                                       imageScanningConfiguration={"scanOnPush": True})["repository"]
    account = USER["account"]
    checks.check("ecr CreateRepository: fields", repository == {
        "repositoryArn": f"arn:aws:ecr:{REGION}:{account}:repository/orsa/app",
        "registryId": account, "repositoryName": "orsa/app",
        "repositoryUri": f"{account}.dkr.ecr.{REGION}.amazonaws.com/orsa/app",
        "createdAt": repository["createdAt"], "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfiguration": {"encryptionType": "AES256"}}, str(repository))
    checks.check("ecr CreateRepository: createdAt is now",
                 abs((repository["createdAt"] - before).total_seconds()) < 60)
    checks.error("ecr CreateRepository twice", lambda: ecr.create_repository(repositoryName="orsa/app"),
                 "RepositoryAlreadyExistsException", "already exists")
    ecr.create_repository(repositoryName="orsa/db")
    first = ecr.describe_repositories(maxResults=1)
    second = ecr.describe_repositories(maxResults=1, nextToken=first["nextToken"])
    checks.check("ecr DescribeRepositories pages by nextToken",
                 [r["repositoryName"] for r in first["repositories"] + second["repositories"]]
                 == ["orsa/app", "orsa/db"] and "nextToken" not in second, f"{first} {second}")
    named = ecr.describe_repositories(repositoryNames=["orsa/db"])["repositories"]
    checks.check("ecr DescribeRepositories by name", [r["repositoryName"] for r in named] == ["orsa/db"])
    checks.error("ecr DescribeRepositories of a missing repository",
                 lambda: ecr.describe_repositories(repositoryNames=["orsa/none"]),
                 "RepositoryNotFoundException", "orsa/none")
    others = client(server, "ecr", SESSION_USER).describe_repositories()["repositories"]
    checks.check("ecr: another account sees none of them", others == [], str(others))
    test_ecr_token(checks, server, ecr)
    test_ecr_images(checks, ecr)
    deleted = ecr.delete_repository(repositoryName="orsa/db", force=True)["repository"]
    checks.check("ecr DeleteRepository returns it", deleted["repositoryName"] == "orsa/db")
    checks.error("ecr DescribeRepositories after DeleteRepository",
                 lambda: ecr.describe_repositories(repositoryNames=["orsa/db"]),
                 "RepositoryNotFoundException")


def test_ecr_token(checks, server, ecr):
    data = ecr.get_authorization_token()["authorizationData"]
    token = base64.b64decode(data[0]["authorizationToken"]).decode()
    checks.check("ecr GetAuthorizationToken: AWS:<password of --ecr-password-file>",
                 len(data) == 1 and token == f"AWS:{server.ecr_password()}", token)
    lifetime = data[0]["expiresAt"] - datetime.datetime.now(datetime.timezone.utc)
    checks.check("ecr GetAuthorizationToken: expires in 12 h",
                 abs(lifetime - datetime.timedelta(hours=12)) < datetime.timedelta(minutes=5))
    checks.check("ecr GetAuthorizationToken: proxyEndpoint", data[0]["proxyEndpoint"] ==
                 f"https://{USER['account']}.dkr.ecr.{REGION}.amazonaws.com")


def test_ecr_images(checks, ecr):
    """Repositories hold no images in the stand-in."""
    listed = ecr.describe_images(repositoryName="orsa/app")["imageDetails"]
    checks.check("ecr DescribeImages of an empty repository", listed == [], str(listed))
    checks.error("ecr DescribeImages of a missing image", lambda: ecr.describe_images(
        repositoryName="orsa/app", imageIds=[{"imageTag": "v1"}]), "ImageNotFoundException",
        "imageTag:'v1'")
    deleted = ecr.batch_delete_image(repositoryName="orsa/app", imageIds=[{"imageTag": "v1"}])
    checks.check("ecr BatchDeleteImage of a missing image fails it", "imageIds" not in deleted
                 and [f["failureCode"] for f in deleted["failures"]] == ["ImageNotFound"], str(deleted))


def test_logs(checks, server):
    logs = client(server, "logs", SESSION_USER)
    group, stream = "/orsa/standin", "app"
    logs.create_log_group(logGroupName=group)
    checks.error("logs CreateLogGroup twice", lambda: logs.create_log_group(logGroupName=group),
                 "ResourceAlreadyExistsException")
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    checks.error("logs CreateLogStream in a missing group",
                 lambda: logs.create_log_stream(logGroupName="/orsa/none", logStreamName=stream),
                 "ResourceNotFoundException")
    start = int(time.time() * 1000)
    put = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": start + i, "message": f"m{i}"} for i in range(5)])
    checks.check("logs PutLogEvents", "nextSequenceToken" in put, str(put))
    checks.check("logs GetLogEvents pages forward to the end",
                 read_forward(logs, group, stream) == ["m0", "m1", "m2", "m3", "m4"])
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=2)["events"]
    checks.check("logs GetLogEvents reads the newest by default",
                 [e["message"] for e in tail] == ["m3", "m4"], str(tail))
    checks.error("logs PutLogEvents out of order", lambda: logs.put_log_events(
        logGroupName=group, logStreamName=stream,
        logEvents=[{"timestamp": start + 9, "message": "late"}, {"timestamp": start, "message": "early"}]),
        "InvalidParameterException", "chronological order")
    groups = logs.describe_log_groups(logGroupNamePrefix="/orsa/")["logGroups"]
    checks.check("logs DescribeLogGroups", [g["logGroupName"] for g in groups] == [group]
                 and groups[0]["arn"] == f"arn:aws:logs:{REGION}:{SESSION_USER['account']}:"
                                         f"log-group:{group}:*", str(groups))


def read_forward(logs, group, stream):
    """All messages by pages of 2 from the head, until the token repeats (AWS's end marker)."""
    messages, token = [], None
    for _ in range(10):
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True,
                                   limit=2, **({"nextToken": token} if token else {}))
        messages += [event["message"] for event in page["events"]]
        if page["nextForwardToken"] == token:
            return messages
        token = page["nextForwardToken"]
    return messages + ["<no end>"]


def test_authentication(checks, server):
    wrong = dict(USER, secret_key="not-the-secret")
    message = checks.error("ecr with a wrong secret", lambda: client(server, "ecr", wrong)
                           .describe_repositories(), "InvalidSignatureException",
                           "The request signature we calculated does not match the signature you provided")
    checks.check("the mismatch shows the canonical request", "Canonical String" in str(message))
    checks.error("sts with a wrong secret", lambda: client(server, "sts", wrong).get_caller_identity(),
                 "SignatureDoesNotMatch")
    unknown = dict(USER, access_key="AKIDUNKNOWN000000000")
    checks.error("ecr with an unknown key", lambda: client(server, "ecr", unknown)
                 .describe_repositories(), "UnrecognizedClientException")
    checks.error("sts with an unknown key", lambda: client(server, "sts", unknown)
                 .get_caller_identity(), "InvalidClientTokenId")
    tokenless = {k: v for k, v in SESSION_USER.items() if k != "session_token"}
    checks.error("logs with a session key but no token", lambda: client(server, "logs", tokenless)
                 .describe_log_groups(), "UnrecognizedClientException")
    past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    check_raw_error(checks, "ecr signed 20 minutes ago",
                    json_call(server, "ecr", "DescribeRepositories", {}, at=past),
                    403, "InvalidSignatureException", "Signature expired")
    unsigned = AWSRequest("POST", server.endpoint + "/", data=b"{}", headers={
        "X-Amz-Target": f"{JSON_TARGETS['ecr']}.DescribeRepositories",
        "Content-Type": "application/x-amz-json-1.1"})
    check_raw_error(checks, "an unsigned request", send(unsigned), 403,
                    "MissingAuthenticationTokenException", "Missing Authentication Token")
    status, code, _ = json_call(server, "ecr", "DescribeRepositories", {}, path="/?b=2&a=%2F")
    checks.check("a signed query string is accepted by both reference signers", status == 200,
                 f"{status} {code}")


def test_validation(checks, server):
    check_raw_error(checks, "ecr: an unknown member is named",
                    json_call(server, "ecr", "CreateRepository",
                              {"repositoryName": "orsa/x", "bogusMember": 1}),
                    400, "InvalidParameterException", "bogusMember")
    check_raw_error(checks, "ecr: a missing required member is named",
                    json_call(server, "ecr", "CreateRepository", {}),
                    400, "InvalidParameterException", "repositoryName")
    ecr = client(server, "ecr", USER, parameter_validation=False)
    checks.error("ecr: a wrong enum value is named", lambda: ecr.create_repository(
        repositoryName="orsa/enum", imageTagMutability="SOMETIMES"),
        "InvalidParameterException", "at 'imageTagMutability' failed to satisfy constraint: "
                                     "Member must satisfy enum value set: [MUTABLE, IMMUTABLE]")
    checks.error("ecr: a pattern violation is named", lambda: ecr.create_repository(
        repositoryName="Orsa/Upper"), "InvalidParameterException",
        "at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression")
    logs = client(server, "logs", USER, parameter_validation=False)
    checks.error("logs: a value above max is named", lambda: logs.describe_log_groups(limit=51),
                 "InvalidParameterException", "at 'limit' failed to satisfy constraint: "
                                              "Member must have value less than or equal to 50")
    form = urllib.parse.urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15",
                                   "Foo": "1"}).encode()
    check_raw_error(checks, "sts: an unknown form parameter is named",
                    send(signed(server, "sts", {"Content-Type": "application/x-www-form-urlencoded"},
                                form)), 400, "ValidationError", '"Foo"')


def test_protocol(checks, server):
    check_raw_error(checks, "ecr: an unknown operation",
                    json_call(server, "ecr", "FlyToTheMoon", {}),
                    400, "UnknownOperationException", "FlyToTheMoon")
    check_raw_error(checks, "ecr: a body that is not JSON",
                    json_call(server, "ecr", "DescribeRepositories", None, raw_body=b"{nope"),
                    400, "SerializationException", "not a JSON document")
    wrong_type = signed(server, "ecr", {"X-Amz-Target": f"{JSON_TARGETS['ecr']}.DescribeRepositories",
                                        "Content-Type": "application/json"}, b"{}")
    check_raw_error(checks, "ecr: a wrong Content-Type", send(wrong_type), 400,
                    "SerializationException", "application/x-amz-json-1.1")


def test_output_check(checks):
    """In process: a result AWS could not send, or an undeclared error, is refused."""
    operation = botocore.session.get_session().get_service_model("ecr").operation_model(
        "CreateRepository")
    try:
        pipeline.check_output(operation, {"repository": {"imageTagMutability": "SOMETIMES"}})
        refused = None
    except aws_errors.AwsError as error:
        refused = error
    checks.check("a result off the output shape is a 500", refused is not None
                 and refused.status == 500 and "imageTagMutability" in refused.message, str(refused))
    try:
        pipeline.check_declared(operation, aws_errors.AwsError("ClusterNotFoundException", "x"))
        refused = None
    except aws_errors.AwsError as error:
        refused = error
    checks.check("an undeclared handler error is a 500", refused is not None and refused.status == 500)


def test_throttling(checks, server):
    identity = client(server, "sts", USER).get_caller_identity()
    checks.check("sts: botocore retries 2 throttled attempts",
                 identity["ResponseMetadata"]["RetryAttempts"] == 2, str(identity["ResponseMetadata"]))
    client(server, "ecr", USER).describe_repositories()
    seen = [(r["service"], r["status"], r.get("code")) for r in server.requests()]
    checks.check("the stand-in saw 3 attempts of each", seen == [
        ("sts", 400, "Throttling"), ("sts", 400, "Throttling"), ("sts", 200, None),
        ("ecr", 400, "ThrottlingException"), ("ecr", 400, "ThrottlingException"), ("ecr", 200, None)],
        str(seen))
    big = json.dumps({"repositoryNames": ["x" * 100] * 60}).encode()
    check_raw_error(checks, "a body over --max-body is a 413",
                    json_call(server, "ecr", "DescribeRepositories", None, raw_body=big),
                    413, "RequestEntityTooLargeException", "4096")


def run(checks, workdir):
    with open(os.path.join(workdir, "credentials.json"), "w", encoding="utf-8") as f:
        json.dump([USER, SESSION_USER], f)
    with StandIn(workdir, "plain") as plain, \
            StandIn(workdir, "throttled", "--throttle-first", "2", "--max-body", "4096") as throttled:
        for test in (lambda: test_sts(checks, plain), lambda: test_ecr(checks, plain),
                     lambda: test_logs(checks, plain), lambda: test_authentication(checks, plain),
                     lambda: test_validation(checks, plain), lambda: test_protocol(checks, plain),
                     lambda: test_output_check(checks), lambda: test_throttling(checks, throttled)):
            try:
                test()
            except Exception:
                checks.check("no unexpected exception", False, traceback.format_exc())
        if checks.failures:
            for server in (plain, throttled):
                print(f"--- {server.name} stand-in stderr:\n{server.stderr()}", file=sys.stderr)


def main():
    started = time.monotonic()
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="aws-standin-test-") as workdir:
        run(checks, workdir)
    seconds = time.monotonic() - started
    if checks.failures:
        print(f"standin_test: FAIL: {len(checks.failures)} of {checks.count} checks failed, "
              f"{seconds:.1f} s")
        return 1
    print(f"standin_test: PASS: {checks.count} checks, {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
