"""nextToken paging over name-sorted listings, as ECR and CloudWatch Logs do.

A token holds the last name of the page before, so a listing stays correct
when entries come or go between pages. It is opaque to clients (base64), as
AWS's are; a token the stand-in did not issue is refused.
"""

import base64
import binascii
import bisect

import aws_errors

TOKEN_PREFIX = "standin:"


def page(names, next_token, limit, error_code):
    """(names on this page, token for the next page or None); `names` sorted."""
    start = 0
    if next_token is not None:
        start = bisect.bisect_right(names, _decode(next_token, error_code))
    chunk = names[start:start + limit]
    more = start + limit < len(names)
    return chunk, (_encode(chunk[-1]) if more else None)


def _encode(name):
    return base64.urlsafe_b64encode((TOKEN_PREFIX + name).encode()).decode()


def _decode(token, error_code):
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(TOKEN_PREFIX):
        raise aws_errors.AwsError(error_code, "Invalid NextToken")
    return text[len(TOKEN_PREFIX):]
