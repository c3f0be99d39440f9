"""CloudWatch Logs (JSON 1.1): log groups, streams and events, in memory.

PutLogEvents follows the current API: no sequence token is needed (one
sent is ignored, a nextSequenceToken is still returned), events of one
batch must be in chronological order and span at most 24 hours, and a batch
is at most 1,048,576 bytes counting 26 bytes per event. Events are kept
sorted by timestamp, as GetLogEvents reads them; its tokens (f/N, b/N) are
positions in that order.

Not implemented (refused with InvalidParameterException rather than
ignored): rejectedLogEventsInfo for too old or too new events (all are
kept), logGroupIdentifier, and DescribeLogGroups' accountIdentifiers,
logGroupNamePattern and includeLinkedAccounts.
"""

import bisect
import datetime
import itertools
import re

from aws_errors import AwsError
from paging import page

INVALID = "InvalidParameterException"
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
TOKEN_RE = re.compile(r"([fb])/([0-9]{56})")


def now_ms():
    return int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)


class LogsService:
    VALIDATION_ERROR = INVALID
    MAX_LOG_GROUPS = 1000  # per account
    MAX_STREAMS_PER_GROUP = 1000
    MAX_EVENTS_PER_STREAM = 100_000
    MAX_EVENTS_PER_PAGE = 10_000
    DEFAULT_GROUPS_PAGE = 50

    def __init__(self, region):
        self._region = region
        self._groups = {}  # (account, name) -> {"group": LogGroup shape, "streams": {...}}
        self._sequence = itertools.count(1)

    def handlers(self):
        return {
            "CreateLogGroup": self.create_log_group,
            "CreateLogStream": self.create_log_stream,
            "PutLogEvents": self.put_log_events,
            "GetLogEvents": self.get_log_events,
            "DescribeLogGroups": self.describe_log_groups,
        }

    def create_log_group(self, params, caller):
        key = (caller.account, params["logGroupName"])
        if key in self._groups:
            raise AwsError("ResourceAlreadyExistsException", "The specified log group already exists")
        if sum(1 for owner, _ in self._groups if owner == caller.account) >= self.MAX_LOG_GROUPS:
            raise AwsError("LimitExceededException",
                           f"The stand-in holds at most {self.MAX_LOG_GROUPS} log groups per account")
        group = {"logGroupName": key[1], "creationTime": now_ms(), "metricFilterCount": 0,
                 "arn": f"arn:aws:logs:{self._region}:{caller.account}:log-group:{key[1]}:*",
                 "storedBytes": 0}
        if "kmsKeyId" in params:
            group["kmsKeyId"] = params["kmsKeyId"]
        self._groups[key] = {"group": group, "streams": {}}

    def create_log_stream(self, params, caller):
        streams = self._group(caller, params)["streams"]
        name = params["logStreamName"]
        if name in streams:
            raise AwsError("ResourceAlreadyExistsException", "The specified log stream already exists")
        if len(streams) >= self.MAX_STREAMS_PER_GROUP:
            raise AwsError("ServiceUnavailableException",
                           f"The stand-in holds at most {self.MAX_STREAMS_PER_GROUP} streams per group")
        streams[name] = []  # (timestamp, sequence, ingestionTime, message), sorted

    def put_log_events(self, params, caller):
        group = self._group(caller, params)
        stream = self._stream(group, params)
        batch = params["logEvents"]
        check_batch(batch)
        if len(stream) + len(batch) > self.MAX_EVENTS_PER_STREAM:
            raise AwsError("ServiceUnavailableException",
                           f"The stand-in keeps at most {self.MAX_EVENTS_PER_STREAM} events per stream")
        ingested = now_ms()
        for event in batch:
            bisect.insort(stream, (event["timestamp"], next(self._sequence), ingested, event["message"]))
        group["group"]["storedBytes"] += sum(len(e["message"].encode()) for e in batch)
        return {"nextSequenceToken": str(next(self._sequence))}

    def get_log_events(self, params, caller):
        if "logGroupIdentifier" in params:
            raise AwsError(INVALID, "The stand-in does not implement logGroupIdentifier; "
                                    "use logGroupName")
        stream = self._stream(self._group(caller, params), params)
        events = [e for e in stream if params.get("startTime", 0) <= e[0]
                  and ("endTime" not in params or e[0] < params["endTime"])]
        start, end = window(params, len(events), params.get("limit", self.MAX_EVENTS_PER_PAGE))
        return {"events": [{"timestamp": t, "ingestionTime": ingested, "message": message}
                           for t, _, ingested, message in events[start:end]],
                "nextForwardToken": f"f/{end:056d}", "nextBackwardToken": f"b/{start:056d}"}

    def describe_log_groups(self, params, caller):
        unsupported = sorted({"accountIdentifiers", "logGroupNamePattern",
                              "includeLinkedAccounts"} & set(params))
        if unsupported:
            raise AwsError(INVALID, f"The stand-in does not implement {', '.join(unsupported)}")
        prefix = params.get("logGroupNamePrefix", "")
        names = sorted(name for owner, name in self._groups
                       if owner == caller.account and name.startswith(prefix))
        names, next_token = page(names, params.get("nextToken"),
                                 params.get("limit", self.DEFAULT_GROUPS_PAGE), INVALID)
        result = {"logGroups": [self._groups[(caller.account, n)]["group"] for n in names]}
        return {**result, "nextToken": next_token} if next_token else result

    def _group(self, caller, params):
        group = self._groups.get((caller.account, params["logGroupName"]))
        if group is None:
            raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
        return group

    @staticmethod
    def _stream(group, params):
        stream = group["streams"].get(params["logStreamName"])
        if stream is None:
            raise AwsError("ResourceNotFoundException", "The specified log stream does not exist.")
        return stream


def check_batch(batch):
    """PutLogEvents' batch rules, in AWS's words."""
    stamps = [event["timestamp"] for event in batch]
    if stamps != sorted(stamps):
        raise AwsError(INVALID, "Log events in a single PutLogEvents request must be in "
                                "chronological order.")
    if stamps[-1] - stamps[0] > MAX_BATCH_SPAN_MS:
        raise AwsError(INVALID, "The batch of log events in a single PutLogEvents request "
                                "cannot span more than 24 hours.")
    size = sum(len(event["message"].encode()) + EVENT_OVERHEAD_BYTES for event in batch)
    if size > MAX_BATCH_BYTES:
        raise AwsError(INVALID, f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")


def window(params, count, limit):
    """[start, end) of the events GetLogEvents returns: from nextToken's
    position (f/N forward from N, b/N backward before N), else from the
    first event (startFromHead) or back from the last (the default)."""
    token = params.get("nextToken")
    if token is None:
        direction, position = ("f", 0) if params.get("startFromHead") else ("b", count)
    else:
        match = TOKEN_RE.fullmatch(token)
        if match is None or int(match.group(2)) > count:
            raise AwsError(INVALID, "The specified nextToken is invalid.")
        direction, position = match.group(1), int(match.group(2))
    if direction == "f":
        return position, min(count, position + limit)
    return max(0, position - limit), position
