"""``ssm:`` and ``secretsmanager:`` secret refs, resolved against moto_server's SSM and Secrets Manager."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cronix.config import parse_config
from cronix.secrets import SecretError, resolve_secrets
from cronix.secrets.aws import clear_cache
from tests.aws.conftest import Moto


def test_ssm_parameters_resolve_decrypted(aws: Moto) -> None:
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/cronix/plain", Value="plain-value", Type="String")
    ssm.put_parameter(Name="/cronix/secure", Value="secure-value", Type="SecureString")
    assert resolve_secrets(["ssm:/cronix/secure", "ssm:/cronix/plain"]) == ["secure-value", "plain-value"]


def test_secrets_manager_strings_binaries_and_the_sm_alias(aws: Moto) -> None:
    sm = aws.client("secretsmanager")
    sm.create_secret(Name="cronix/text", SecretString="text-value")
    sm.create_secret(Name="cronix/binary", SecretBinary=b"binary-value")
    arn = sm.describe_secret(SecretId="cronix/text")["ARN"]
    refs = ["secretsmanager:cronix/text", "sm:cronix/binary", f"secretsmanager:{arn}"]
    assert resolve_secrets(refs) == ["text-value", "binary-value", "text-value"]


def test_values_are_cached_per_process(aws: Moto) -> None:
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/cronix/cached", Value="first", Type="SecureString")
    assert resolve_secrets(["ssm:/cronix/cached"]) == ["first"]
    ssm.put_parameter(Name="/cronix/cached", Value="second", Type="SecureString", Overwrite=True)
    assert resolve_secrets(["ssm:/cronix/cached"]) == ["first"]  # within CACHE_SECONDS: no AWS call
    clear_cache()
    assert resolve_secrets(["ssm:/cronix/cached"]) == ["second"]


def test_a_missing_secret_is_one_line_naming_the_ref_never_a_value(aws: Moto) -> None:
    aws.client("ssm").put_parameter(Name="/cronix/present", Value="do-not-print", Type="SecureString")
    with pytest.raises(SecretError) as caught:
        resolve_secrets(["ssm:/cronix/absent"])
    assert str(caught.value).startswith("secret ref ssm:/cronix/absent: ParameterNotFound")
    with pytest.raises(SecretError, match=r"secret ref secretsmanager:nope: ResourceNotFoundException"):
        resolve_secrets(["secretsmanager:nope", "ssm:/cronix/present"])
    assert "\n" not in str(caught.value)


def test_cronix_yaml_accepts_aws_refs() -> None:
    config = parse_config(
        json.dumps(
            {
                "manifest_sources": [
                    {"app": "billing", "url": "x.json", "secret_refs": ["ssm:/a", "secretsmanager:b"]}
                ]
            }
        )
    )
    assert config.manifest_sources[0].secret_refs == ("ssm:/a", "secretsmanager:b")


def test_env_refs_never_import_boto3() -> None:
    code = (
        "import sys, os; os.environ['S']='v'; from cronix.secrets import resolve_secrets;"
        "assert resolve_secrets(['env:S']) == ['v']; print('boto3' in sys.modules or 'botocore' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def test_without_boto3_an_aws_ref_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    clear_cache()
    with pytest.raises(SecretError, match=r"secret ref ssm:/x: .*pip install 'cronix\[aws\]'"):
        resolve_secrets(["ssm:/x"])
