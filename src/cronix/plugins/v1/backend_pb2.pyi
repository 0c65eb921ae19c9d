import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetMetadataRequest(_message.Message):
    __slots__ = ("host_version", "protocol_versions")
    HOST_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    host_version: str
    protocol_versions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, host_version: _Optional[str] = ..., protocol_versions: _Optional[_Iterable[int]] = ...) -> None: ...

class GetMetadataResponse(_message.Message):
    __slots__ = ("name", "version", "protocol_version", "protocol_minor", "capabilities", "host_local", "description", "fire_strategies", "fires_on_host", "local_state")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_MINOR_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    HOST_LOCAL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FIRE_STRATEGIES_FIELD_NUMBER: _ClassVar[int]
    FIRES_ON_HOST_FIELD_NUMBER: _ClassVar[int]
    LOCAL_STATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    protocol_version: int
    protocol_minor: int
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    host_local: bool
    description: str
    fire_strategies: _containers.RepeatedScalarFieldContainer[str]
    fires_on_host: bool
    local_state: bool
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., protocol_version: _Optional[int] = ..., protocol_minor: _Optional[int] = ..., capabilities: _Optional[_Iterable[str]] = ..., host_local: _Optional[bool] = ..., description: _Optional[str] = ..., fire_strategies: _Optional[_Iterable[str]] = ..., fires_on_host: _Optional[bool] = ..., local_state: _Optional[bool] = ...) -> None: ...

class ConfigureRequest(_message.Message):
    __slots__ = ("host_version", "settings", "host")
    class SettingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HOST_VERSION_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    host_version: str
    settings: _containers.ScalarMap[str, str]
    host: HostContext
    def __init__(self, host_version: _Optional[str] = ..., settings: _Optional[_Mapping[str, str]] = ..., host: _Optional[_Union[HostContext, _Mapping]] = ...) -> None: ...

class HostContext(_message.Message):
    __slots__ = ("trigger_command", "spec_dir", "trigger_bin", "fire_strategy", "read_only")
    TRIGGER_COMMAND_FIELD_NUMBER: _ClassVar[int]
    SPEC_DIR_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_BIN_FIELD_NUMBER: _ClassVar[int]
    FIRE_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    trigger_command: str
    spec_dir: str
    trigger_bin: str
    fire_strategy: str
    read_only: bool
    def __init__(self, trigger_command: _Optional[str] = ..., spec_dir: _Optional[str] = ..., trigger_bin: _Optional[str] = ..., fire_strategy: _Optional[str] = ..., read_only: _Optional[bool] = ...) -> None: ...

class FireSpec(_message.Message):
    __slots__ = ("strategy", "secret_refs", "has_secret_refs", "specs")
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    SECRET_REFS_FIELD_NUMBER: _ClassVar[int]
    HAS_SECRET_REFS_FIELD_NUMBER: _ClassVar[int]
    SPECS_FIELD_NUMBER: _ClassVar[int]
    strategy: str
    secret_refs: _containers.RepeatedScalarFieldContainer[str]
    has_secret_refs: bool
    specs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, strategy: _Optional[str] = ..., secret_refs: _Optional[_Iterable[str]] = ..., has_secret_refs: _Optional[bool] = ..., specs: _Optional[_Iterable[str]] = ...) -> None: ...

class ConfigureResponse(_message.Message):
    __slots__ = ("diagnostics",)
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    def __init__(self, diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ...) -> None: ...

class Diagnostic(_message.Message):
    __slots__ = ("severity", "message", "path", "code")
    class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SEVERITY_UNSPECIFIED: _ClassVar[Diagnostic.Severity]
        SEVERITY_ERROR: _ClassVar[Diagnostic.Severity]
        SEVERITY_WARNING: _ClassVar[Diagnostic.Severity]
    SEVERITY_UNSPECIFIED: Diagnostic.Severity
    SEVERITY_ERROR: Diagnostic.Severity
    SEVERITY_WARNING: Diagnostic.Severity
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    severity: Diagnostic.Severity
    message: str
    path: str
    code: str
    def __init__(self, severity: _Optional[_Union[Diagnostic.Severity, str]] = ..., message: _Optional[str] = ..., path: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("name", "schedules", "timezone", "normalized_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    schedules: _containers.RepeatedScalarFieldContainer[str]
    timezone: str
    normalized_json: str
    def __init__(self, name: _Optional[str] = ..., schedules: _Optional[_Iterable[str]] = ..., timezone: _Optional[str] = ..., normalized_json: _Optional[str] = ...) -> None: ...

class ManagedEntry(_message.Message):
    __slots__ = ("app", "job", "index", "hash", "raw_json")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    RAW_JSON_FIELD_NUMBER: _ClassVar[int]
    app: str
    job: str
    index: int
    hash: str
    raw_json: str
    def __init__(self, app: _Optional[str] = ..., job: _Optional[str] = ..., index: _Optional[int] = ..., hash: _Optional[str] = ..., raw_json: _Optional[str] = ...) -> None: ...

class ValidateRequest(_message.Message):
    __slots__ = ("app", "job")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    app: str
    job: Job
    def __init__(self, app: _Optional[str] = ..., job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class ValidateResponse(_message.Message):
    __slots__ = ("diagnostics",)
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    def __init__(self, diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ...) -> None: ...

class ValidateManyRequest(_message.Message):
    __slots__ = ("app", "jobs")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    app: str
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, app: _Optional[str] = ..., jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class ValidateManyResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ValidateResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[ValidateResponse, _Mapping]]] = ...) -> None: ...

class ListRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[ManagedEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[ManagedEntry, _Mapping]]] = ...) -> None: ...

class MutateRequest(_message.Message):
    __slots__ = ("app", "job", "hashes", "fire")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    FIRE_FIELD_NUMBER: _ClassVar[int]
    app: str
    job: Job
    hashes: _containers.RepeatedScalarFieldContainer[str]
    fire: FireSpec
    def __init__(self, app: _Optional[str] = ..., job: _Optional[_Union[Job, _Mapping]] = ..., hashes: _Optional[_Iterable[str]] = ..., fire: _Optional[_Union[FireSpec, _Mapping]] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("app", "job")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    app: str
    job: str
    def __init__(self, app: _Optional[str] = ..., job: _Optional[str] = ...) -> None: ...

class MutateResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AdoptRequest(_message.Message):
    __slots__ = ("app", "job", "hashes", "dry_run", "fire")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    FIRE_FIELD_NUMBER: _ClassVar[int]
    app: str
    job: Job
    hashes: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    fire: FireSpec
    def __init__(self, app: _Optional[str] = ..., job: _Optional[_Union[Job, _Mapping]] = ..., hashes: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ..., fire: _Optional[_Union[FireSpec, _Mapping]] = ...) -> None: ...

class AdoptResponse(_message.Message):
    __slots__ = ("found", "adopted", "already_managed", "diverged", "divergences", "entries")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    ADOPTED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_MANAGED_FIELD_NUMBER: _ClassVar[int]
    DIVERGED_FIELD_NUMBER: _ClassVar[int]
    DIVERGENCES_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    found: bool
    adopted: bool
    already_managed: bool
    diverged: bool
    divergences: _containers.RepeatedScalarFieldContainer[str]
    entries: _containers.RepeatedCompositeFieldContainer[ManagedEntry]
    def __init__(self, found: _Optional[bool] = ..., adopted: _Optional[bool] = ..., already_managed: _Optional[bool] = ..., diverged: _Optional[bool] = ..., divergences: _Optional[_Iterable[str]] = ..., entries: _Optional[_Iterable[_Union[ManagedEntry, _Mapping]]] = ...) -> None: ...

class HistoryRequest(_message.Message):
    __slots__ = ("app", "job", "since", "until", "status", "limit")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    app: str
    job: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    status: str
    limit: int
    def __init__(self, app: _Optional[str] = ..., job: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("app", "job", "run_id", "attempt", "started_at", "finished_at", "status", "source", "detail")
    APP_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    app: str
    job: str
    run_id: str
    attempt: int
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    status: str
    source: str
    detail: str
    def __init__(self, app: _Optional[str] = ..., job: _Optional[str] = ..., run_id: _Optional[str] = ..., attempt: _Optional[int] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., source: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class HistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ...) -> None: ...

class VerifyOwnershipRequest(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: ManagedEntry
    def __init__(self, entry: _Optional[_Union[ManagedEntry, _Mapping]] = ...) -> None: ...

class VerifyOwnershipResponse(_message.Message):
    __slots__ = ("owned", "reason")
    OWNED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    owned: bool
    reason: str
    def __init__(self, owned: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class VerifyOwnershipManyRequest(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[ManagedEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[ManagedEntry, _Mapping]]] = ...) -> None: ...

class VerifyOwnershipManyResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[VerifyOwnershipResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[VerifyOwnershipResponse, _Mapping]]] = ...) -> None: ...

class HealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthResponse(_message.Message):
    __slots__ = ("diagnostics",)
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    def __init__(self, diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ...) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ("grace_ms",)
    GRACE_MS_FIELD_NUMBER: _ClassVar[int]
    grace_ms: int
    def __init__(self, grace_ms: _Optional[int] = ...) -> None: ...

class ShutdownResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
