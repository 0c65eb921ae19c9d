"""cronix's AWS calls retry with botocore's own retry modes, never a loop of cronix's.

5xx answers are real: moto_server answers ``CreateSchedule`` into a schedule group that
does not exist with HTTP 500, and the sends are counted on the wire. moto cannot answer
with a throttling error, and botocore's ``Stubber`` answers before the retry handler runs,
so for throttling the test asks botocore's standard retry rules — the ones the configured
mode installs — whether a ``ThrottlingException`` is retried.
"""

from __future__ import annotations

import pytest

from cronix.awsclients import AwsSettings, client
from cronix.backends.base import HostContext
from cronix.backends.registry import backend_type
from tests.aws.conftest import ROLE_ARN, TARGET_ARN, Calls, Moto

REQUEST = {
    "Name": "cronix-billing-nightly-0",
    "GroupName": "no-such-group",
    "ScheduleExpression": "cron(0 2 * * ? *)",
    "FlexibleTimeWindow": {"Mode": "OFF"},
    "Target": {"Arn": TARGET_ARN, "RoleArn": ROLE_ARN},
}


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_a_5xx_is_retried_up_to_max_attempts(aws: Moto, mode: str) -> None:
    scheduler = client("scheduler", AwsSettings(endpoint_url=aws.url, retry_mode=mode, max_attempts=3))
    calls = Calls(scheduler)
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        scheduler.create_schedule(**REQUEST)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert (calls.ops, calls.sends) == (["CreateSchedule"], 3)


def test_a_4xx_is_not_retried(aws: Moto) -> None:
    scheduler = client("scheduler", AwsSettings(endpoint_url=aws.url, max_attempts=5))
    calls = Calls(scheduler)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name="absent")
    assert calls.sends == 1


def test_the_backend_configures_its_client_from_the_options(aws: Moto) -> None:
    kind = backend_type("aws-scheduler")
    assert kind is not None
    backend = kind.open(aws.options(api_retry_mode="adaptive", api_max_attempts=7), HostContext())
    assert backend.client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 7}


def test_throttling_is_retryable_under_the_standard_rules() -> None:
    from botocore.awsrequest import AWSResponse
    from botocore.retries import standard

    scheduler = client("scheduler", AwsSettings(region="us-east-1"))
    operation = scheduler.meta.service_model.operation_model("ListSchedules")
    conditions = standard.StandardRetryConditions(max_attempts=5)
    for code, status in (
        ("ThrottlingException", 400),
        ("TooManyRequestsException", 429),
        ("InternalServerException", 500),
    ):
        context = standard.RetryContext(
            attempt_number=1,
            operation_model=operation,
            parsed_response={"Error": {"Code": code, "Message": "slow down"}},
            http_response=AWSResponse("https://scheduler.us-east-1.amazonaws.com", status, {}, None),
        )
        assert conditions.is_retryable(context), code
    rejected = standard.RetryContext(
        attempt_number=1,
        operation_model=operation,
        parsed_response={"Error": {"Code": "ValidationException", "Message": "bad"}},
        http_response=AWSResponse("https://scheduler.us-east-1.amazonaws.com", 400, {}, None),
    )
    assert not conditions.is_retryable(rejected)
