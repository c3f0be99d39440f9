"""Holds deploy/aws/control-plane-policy.json to what ORSA's AWS clients call.

    iam_policy_check.py POLICY REQUEST_LOG...

REQUEST_LOG: the AWS stand-in's --request-log files of a contract run (one
JSON object per request, with the SigV4 signing name as "service" and the
operation). The check fails when:
  - the policy is not an IAM policy document of the 2012-10-17 grammar as
    ORSA uses it (Allow statements, each with a Sid, Actions and Resources);
  - an action names no operation of the service in botocore's model;
  - a call the clients made is not allowed by any statement;
  - an action is allowed that no client calls (least privilege);
  - ecr:GetAuthorizationToken is scoped to a resource (IAM requires "*");
    any other action is allowed on "*".
It is a contract check against botocore's published models; it does not
evaluate policies as IAM does.
"""

import json
import sys

import botocore.session

# IAM's service prefix → botocore's service name, for the services ORSA calls.
SERVICES = {"ecr": "ecr", "logs": "logs"}
# Actions IAM allows only on every resource.
UNSCOPED = {"ecr:GetAuthorizationToken"}


def fail(message):
    print(f"iam_policy_check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def as_list(value):
    return value if isinstance(value, list) else [value]


def statements(policy):
    if policy.get("Version") != "2012-10-17":
        fail('the policy must say "Version": "2012-10-17"')
    listed = policy.get("Statement")
    if not isinstance(listed, list) or not listed:
        fail("the policy has no Statement list")
    for statement in listed:
        if set(statement) != {"Sid", "Effect", "Action", "Resource"}:
            fail(f"statement keys {sorted(statement)}: want Sid, Effect, Action, Resource")
        if statement["Effect"] != "Allow":
            fail(f"{statement['Sid']}: only Allow statements are expected")
    return listed


def allowed_actions(listed, session):
    allowed = {}
    for statement in listed:
        resources = as_list(statement["Resource"])
        for action in as_list(statement["Action"]):
            prefix, _, operation = action.partition(":")
            if prefix not in SERVICES or "*" in action:
                fail(f"{statement['Sid']}: {action} is not an action of {sorted(SERVICES)}")
            model = session.get_service_model(SERVICES[prefix])
            if operation not in model.operation_names:
                fail(f"{statement['Sid']}: {action}: botocore's {prefix} model has no such operation")
            if action in UNSCOPED and resources != ["*"]:
                fail(f"{action} must be allowed on \"*\" (IAM scopes it to no resource)")
            if action not in UNSCOPED and "*" in resources:
                fail(f"{statement['Sid']}: {action} is allowed on every resource")
            allowed[action] = statement["Sid"]
    return allowed


def called_actions(paths):
    called = set()
    for path in paths:
        with open(path, encoding="utf-8") as log:
            for line in log:
                record = json.loads(line)
                if record.get("service") in SERVICES and record.get("operation"):
                    called.add(f"{record['service']}:{record['operation']}")
    if not called:
        fail("the request logs hold no call to check the policy against")
    return called


def main():
    if len(sys.argv) < 3:
        fail("usage: iam_policy_check.py POLICY REQUEST_LOG...")
    with open(sys.argv[1], encoding="utf-8") as file:
        policy = json.load(file)
    allowed = allowed_actions(statements(policy), botocore.session.get_session())
    called = called_actions(sys.argv[2:])
    missing = sorted(called - allowed.keys())
    if missing:
        fail(f"the clients call {missing}, which the policy does not allow")
    unused = sorted(allowed.keys() - called)
    if unused:
        fail(f"the policy allows {unused}, which no client calls")
    print(f"iam_policy_check: {len(called)} actions, each called and allowed")


if __name__ == "__main__":
    main()
