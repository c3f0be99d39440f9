"""STS (query protocol): who the caller is.

Every known credential is reported as the IAM user `orsa` of its account;
the stand-in has no roles, so session-token credentials are that user too
(on AWS they would show an assumed-role ARN).
"""

import hashlib


class StsService:
    VALIDATION_ERROR = "ValidationError"

    def handlers(self):
        return {"GetCallerIdentity": self.get_caller_identity}

    @staticmethod
    def get_caller_identity(params, caller):
        return {"UserId": user_id(caller.access_key), "Account": caller.account,
                "Arn": f"arn:aws:iam::{caller.account}:user/orsa"}


def user_id(access_key):
    """A stable IAM-user-style unique id (AIDA + 17 characters) per access key."""
    digest = hashlib.sha256(access_key.encode()).hexdigest().upper()
    return "AIDA" + digest[:17]
