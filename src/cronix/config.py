"""The operator config, ``cronix.yaml``: strict, documented, and actually loaded.

Resolution (first match wins): ``--config PATH`` → ``$CRONIX_CONFIG`` →
``~/.cronix/cronix.yaml`` → ``/etc/cronix/cronix.yaml``. An explicitly named file must
exist; when none of the default locations has one, built-in defaults apply. Command-line
flags override the file.

The schema is the dataclasses below; every field carries its documentation in
``metadata["doc"]``, from which ``docs/config.md`` and ``cronix init``'s commented starter
file are rendered, so the documentation cannot drift from what is accepted. Decoding is
strict: an unknown key, a duplicate key, or a value of the wrong type is an error naming
the key path (``locks.redis.addr``), and every problem is reported at once.

The reference's ``cronix.yaml`` keys (``log_level``, ``manifest_sources``, ``locks``,
``defaults``) keep their meaning, so a file written by the Go ``cronix init`` loads here.

``yaml`` is imported only when a file is actually read: ``cronix trigger`` loads this
module on every fire.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any, Literal

from cronix.errors import ConfigError
from cronix.secrets import ref_problem

_T = typing.TypeVar("_T")

__all__ = [
    "DEFAULT_PATHS",
    "DEFAULT_TRIGGER_BIN",
    "FILE_PATH",
    "IANA_ZONE",
    "PROGRAM",
    "SCHEDULER_PATH",
    "USER_NAME",
    "ApplyConfig",
    "Config",
    "DefaultsConfig",
    "FireConfig",
    "FlockConfig",
    "LocksConfig",
    "ManifestSource",
    "MetricsConfig",
    "MonitorConfig",
    "PluginsConfig",
    "PrometheusRulesConfig",
    "RedisConfig",
    "RetriesDefaults",
    "Rule",
    "TriggerConfig",
    "config_path",
    "decode_section",
    "documented",
    "load_config",
    "parse_config",
    "record_plugin_pin",
]


def documented(text: str, **extra: Any) -> dict[str, Any]:
    """Field metadata: ``doc`` (rendered into docs/config.md and ``cronix init``) plus
    ``required`` / ``check`` for the strict decoder. Backends' option classes use it too.

    A ``check`` that is a :class:`Rule` adds what it accepts to the documentation, so
    docs/config.md, ``cronix init`` and ``--help`` state every rule the decoder enforces.
    """
    check = extra.get("check")
    if isinstance(check, Rule):
        text = f"{text} Must be {check.description}."
    return {"doc": text, **extra}


class Rule:
    """A ``check=`` that can say what it accepts: ``Rule("a user name", predicate)``.

    Values rendered into a scheduler's files (a crontab line, a ``CRON_TZ=`` line, a unit
    file) must never carry a newline or another control character there: one in
    ``host_timezone`` would otherwise become a job line of its own. The message names the
    rule and shows the value with control characters escaped, on one line.
    """

    __slots__ = ("allow_empty", "description", "test")

    def __init__(self, description: str, test: Callable[[str], bool], *, allow_empty: bool = False) -> None:
        self.description = description
        self.test = test
        self.allow_empty = allow_empty

    def __call__(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None  # the type check already reported it
        if (value == "" and self.allow_empty) or (value and not _has_control(value) and self.test(value)):
            return None
        return f"must be {self.description}, got {value!r}"

    def empty_allowed(self) -> Rule:
        """The same rule, where ``""`` means "the default"."""
        return Rule(self.description, self.test, allow_empty=True)


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?")


def _zone(name: str) -> bool:
    from cronix.protocol.validation import is_valid_timezone

    return is_valid_timezone(name)


#: A path written into a scheduler entry (``trigger_bin``): cron splits on blanks and reads
#: ``%`` as a newline, so neither may appear.
SCHEDULER_PATH = Rule(
    "an absolute path without blanks, % or control characters",
    lambda v: v.startswith("/") and not any(c.isspace() or c == "%" for c in v),
)
#: A file or directory cronix reads or writes.
FILE_PATH = Rule("a path without control characters", lambda v: True)
#: A login name, as a crontab's user field or ``crontab -u`` takes it.
USER_NAME = Rule(
    "a user name (letters, digits, _ . -; up to 32 characters)", lambda v: bool(_USER.fullmatch(v))
)
#: A program to run, found on PATH or given as a path.
PROGRAM = Rule(
    "a program name or path without blanks or control characters", lambda v: not any(c.isspace() for c in v)
)
#: An IANA zone name this host's tz database knows.
IANA_ZONE = Rule('an IANA time zone name such as "UTC" or "Europe/Berlin"', _zone)


_doc = documented


def _one_of(*allowed: object) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(map(str, allowed))}, got {value!r}"

    return check


def _int_range(lo: int, hi: int | None = None) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value < lo or (hi is not None and value > hi):
            return (
                f"must be between {lo} and {hi}, got {value}"
                if hi is not None
                else f"must be >= {lo}, got {value}"
            )
        return None

    return check


#: Where the documented install puts cronix; see ``Config.trigger_bin``.
DEFAULT_TRIGGER_BIN = "/usr/local/bin/cronix"

#: The same as cronix.plugins.trust.PIN_PATTERN (a test keeps them equal; this layer cannot import it).
_PIN = re.compile(r"sha256:[0-9a-f]{64}(?:;record=sha256:[0-9a-f]{64})?")
_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")


def _secret_refs(value: Any) -> str | None:
    # Never quotes a bad ref: it may be the secret itself (cronix.secrets).
    problems = [(i, p) for i, p in enumerate(map(ref_problem, value)) if p is not None]
    return f"ref #{problems[0][0] + 1}: {problems[0][1]}" if problems else None


def _secret_ref(value: Any) -> str | None:
    return ref_problem(value) if value else None


@dataclass(frozen=True, slots=True)
class ManifestSource:
    """One app whose manifest this host reconciles."""

    app: str = field(default="", metadata=_doc("App id the manifest must declare.", required=True))
    url: str = field(
        default="",
        metadata=_doc(
            "Where the manifest is: https://…, http://<loopback>…, file://…, or a path.", required=True
        ),
    )
    secret_refs: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "Secrets for the signed manifest fetch and for the trigger (env:NAME, file:/path, raw:…, "
            "credential:NAME in a systemd service, ssm:NAME, secretsmanager:ID); "
            "the first signs, all verify.",
            check=_secret_refs,
        ),
    )


@dataclass(frozen=True, slots=True)
class FlockConfig:
    dir: str = field(
        default="/var/lock/cronix", metadata=_doc("Directory of per-job lock files (<app>.<job>.lock).")
    )


@dataclass(frozen=True, slots=True)
class RedisConfig:
    """Redis for ``concurrency_scope: global`` locks (shared by every host firing the job)."""

    addr: str = field(
        default="", metadata=_doc("host:port of the Redis server (required when this block is set).")
    )
    db: int = field(default=0, metadata=_doc("Database number.", check=_int_range(0)))
    username: str = field(default="", metadata=_doc("ACL user name, if any."))
    password: str = field(
        default="", metadata=_doc("Password (prefer password_ref so the file holds no secret).")
    )
    password_ref: str = field(
        default="",
        metadata=_doc(
            "Secret ref for the password: env:NAME, file:/path, ssm:NAME or secretsmanager:ID.",
            check=_secret_ref,
        ),
    )
    key_prefix: str = field(
        default="cronix:lock:", metadata=_doc("Prefix of lock keys (<prefix><app>.<job>).")
    )
    tls: bool = field(default=False, metadata=_doc("Connect with TLS."))
    ttl_seconds: int = field(
        default=30,
        metadata=_doc(
            "Lock TTL; cronix trigger refreshes it every third of this while a fire runs, "
            "so a crashed holder blocks the job for at most this long.",
            check=_int_range(3, 3600),
        ),
    )


@dataclass(frozen=True, slots=True)
class LocksConfig:
    default: Literal["flock", "redis"] = field(
        default="flock",
        metadata=_doc(
            "Lock used for concurrency_scope: host jobs (flock) — redis also locks host jobs globally."
        ),
    )
    flock: FlockConfig = field(default_factory=FlockConfig, metadata=_doc("Host-local file locks."))
    redis: RedisConfig | None = field(default=None, metadata=_doc("Redis lock server; unset means none."))


@dataclass(frozen=True, slots=True)
class RetriesDefaults:
    max_attempts: int = field(default=3, metadata=_doc("Kept for compatibility.", check=_int_range(1, 10)))
    min_seconds: int = field(default=1, metadata=_doc("Kept for compatibility.", check=_int_range(0)))
    max_seconds: int = field(default=60, metadata=_doc("Kept for compatibility.", check=_int_range(1)))


@dataclass(frozen=True, slots=True)
class DefaultsConfig:
    """Accepted for compatibility with the reference's cronix.yaml; manifests carry their own policy."""

    timeout_seconds: int = field(
        default=60, metadata=_doc("Kept for compatibility.", check=_int_range(1, 600))
    )
    retries: RetriesDefaults = field(
        default_factory=RetriesDefaults, metadata=_doc("Kept for compatibility.")
    )


@dataclass(frozen=True, slots=True)
class ApplyConfig:
    lock_path: str = field(
        default="/var/lock/cronix/apply.lock",
        metadata=_doc(
            "flock held for the whole apply of backends whose state is a local file "
            "(crontab, systemd-timer, vercel).",
            check=FILE_PATH,
        ),
    )
    lock_timeout_seconds: int = field(
        default=60,
        metadata=_doc("How long a second apply waits for the lock before failing.", check=_int_range(0)),
    )


def _http_url(value: Any) -> str | None:
    if value and not str(value).startswith(("http://", "https://")):
        return f"must be an http:// or https:// URL, got {value!r}"
    return None


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """Prometheus metrics from every fire (docs/monitoring.md); both empty: none (the default)."""

    textfile_dir: str = field(
        default="",
        metadata=_doc(
            "node_exporter textfile-collector directory: one cronix-<app>.<job>.prom file per job, "
            "rewritten atomically at the start and end of each fire; empty: none.",
            check=FILE_PATH.empty_allowed(),
        ),
    )
    pushgateway_url: str = field(
        default="",
        metadata=_doc(
            "Pushgateway base URL (http://host:9091): the same series are PUT to "
            "/metrics/job/cronix/app/<app>/job_name/<job> at the start and end of each fire; empty: none.",
            check=_http_url,
        ),
    )
    push_instance: str = field(
        default="",
        metadata=_doc(
            "Adds /instance/<value> to the Pushgateway grouping key (one group per host); "
            "empty: one group per job, for fires that run in throwaway pods or sandboxes."
        ),
    )
    push_timeout_seconds: int = field(
        default=2,
        metadata=_doc(
            "Deadline of each push; a push that fails is logged and never changes the fire's outcome.",
            check=_int_range(1, 30),
        ),
    )


@dataclass(frozen=True, slots=True)
class TriggerConfig:
    run_log: str = field(
        default="/var/log/cronix/runs.jsonl",
        metadata=_doc(
            "One JSON line per finished fire is appended here (read by cronix history); empty disables."
        ),
    )
    run_log_max_bytes: int = field(
        default=10 * 1024 * 1024, metadata=_doc("Rotate the run log past this size.", check=_int_range(4096))
    )
    run_log_keep: int = field(default=3, metadata=_doc("Rotated run logs kept.", check=_int_range(0, 100)))
    state_dir: str = field(
        default="/var/lib/cronix/state",
        metadata=_doc("Per-job state (last success time, sent as X-Cron-Previous-Success-Time)."),
    )
    contended_exit_code: int = field(
        default=4,
        metadata=_doc("Exit code when the job's lock is held: 4, or 75 (EX_TEMPFAIL).", check=_one_of(4, 75)),
    )
    otel: bool = field(default=False, metadata=_doc("Export OpenTelemetry traces (needs the otel extra)."))
    metrics: MetricsConfig = field(
        default_factory=MetricsConfig, metadata=_doc("Prometheus metrics of every fire (docs/monitoring.md).")
    )


@dataclass(frozen=True, slots=True)
class PrometheusRulesConfig:
    """The Prometheus rules file ``cronix apply`` keeps in step with the manifests (docs/monitoring.md)."""

    path: str = field(
        default="",
        metadata=_doc(
            "The rules file (listed under rule_files: in prometheus.yml); groups named cronix:… "
            "are cronix's, every other group is left as it is.",
            required=True,
            check=FILE_PATH,
        ),
    )
    group_by: Literal["job", "app"] = field(
        default="job",
        metadata=_doc("One rule group per job (cronix:<app>.<job>) or per app (cronix:<app>)."),
    )
    labels: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc(
            "Labels added to every alert (e.g. severity: page, team: billing).",
            check=lambda v: next(
                (
                    f"{k}: a label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"
                    for k in v
                    if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", k) or k.startswith("__")
                ),
                None,
            ),
        ),
    )
    reload_url: str = field(
        default="",
        metadata=_doc(
            "POSTed after the file changed, e.g. http://127.0.0.1:9090/-/reload "
            "(prometheus --web.enable-lifecycle); empty: Prometheus reloads on its own schedule.",
            check=_http_url,
        ),
    )
    promtool: str = field(
        default="",
        metadata=_doc(
            "promtool to check the new file with (promtool check rules) before it replaces the old one; "
            "empty: no check.",
            check=PROGRAM.empty_allowed(),
        ),
    )


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    """Alerts from the schedules themselves: grace defaults and the rules file (docs/monitoring.md)."""

    start_grace_seconds: int = field(
        default=300,
        metadata=_doc(
            "How late a fire may start before its occurrence counts as missed, for jobs whose manifest "
            "sets no monitoring.start_grace_seconds; longer than the scrape interval.",
            check=_int_range(1, 31 * 86400),
        ),
    )
    run_grace_seconds: int = field(
        default=60,
        metadata=_doc(
            "How much longer than its policy allows a run may take before it counts as stuck, for jobs "
            "whose manifest sets no monitoring.run_grace_seconds.",
            check=_int_range(0, 31 * 86400),
        ),
    )
    prometheus_rules: PrometheusRulesConfig | None = field(
        default=None, metadata=_doc("The Prometheus rules file apply reconciles; unset: none.")
    )


@dataclass(frozen=True, slots=True)
class PluginsConfig:
    trust: Literal["strict", "warn"] = field(
        default="strict",
        metadata=_doc(
            "strict: refuse a plugin that is unpinned or does not match its pin; "
            "warn: run unpinned plugins with a warning (a mismatch is always refused)."
        ),
    )
    dirs: tuple[str, ...] = field(default=(), metadata=_doc("Extra plugin directories, searched first."))
    pins: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc(
            'Plugin name → "sha256:<64 hex>" of its executable, with ";record=sha256:<64 hex>" of '
            "its distribution's RECORD for an entry-point plugin (written by cronix plugins pin --write).",
            check=lambda v: next(
                (
                    f"{k}: must be sha256:<64 lowercase hex>, optionally followed by "
                    ";record=sha256:<64 lowercase hex>"
                    for k, p in v.items()
                    if not _PIN.fullmatch(p)
                ),
                None,
            ),
        ),
    )
    config: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict,
        metadata=_doc("Plugin name → settings passed once at Configure (--backend-config name=value wins)."),
    )


@dataclass(frozen=True, slots=True)
class FireConfig:
    """How jobs are invoked at fire time (docs/fire-strategies.md): local-shim or managed-jwt."""

    strategy: str = field(
        default="",
        metadata=_doc(
            "Fire strategy of every backend: local-shim (the entry runs cronix trigger, HMAC) or "
            "managed-jwt (a managed scheduler calls the app with a JWT); empty: local-shim, or the "
            "backend's only strategy."
        ),
    )
    fallback: str = field(
        default="",
        metadata=_doc(
            "local-shim: fire with local-shim when the chosen strategy cannot be used, printing a "
            "DEGRADED warning on every plan and apply; empty: such a strategy is an error (exit 2).",
            check=_one_of("", "local-shim"),
        ),
    )
    backends: Mapping[str, str] = field(
        default_factory=dict, metadata=_doc("Backend name → fire strategy (wins over strategy).")
    )
    jobs: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc("<app>.<job> → fire strategy (wins over the backend's)."),
    )


@dataclass(frozen=True, slots=True)
class Config:
    """The whole file. ``path`` is where it was read from (``None``: built-in defaults)."""

    log_level: Literal["debug", "info", "warn", "error"] = field(
        default="info", metadata=_doc("Verbosity of cronix's own log lines.")
    )
    manifest_sources: tuple[ManifestSource, ...] = field(
        default=(), metadata=_doc("Apps this host reconciles; used when --manifest is not given.")
    )
    backend: str = field(default="crontab", metadata=_doc("Backend used when --backend is not given."))
    backends: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict,
        metadata=_doc(
            "Options per backend, keyed by backend name (a different name with `type: crontab` "
            "defines a second instance). global-status reports every backend listed here."
        ),
    )
    spec_dir: str = field(
        default="/etc/cronix/jobs",
        metadata=_doc("Trigger spec files (<app>.<job>.json).", check=FILE_PATH),
    )
    trigger_bin: str = field(
        default=DEFAULT_TRIGGER_BIN,
        metadata=_doc(
            "The cronix executable scheduler entries run. When it is the default and does not exist, "
            "the absolute path of the cronix running the command is used; any other path must be an "
            "executable file for backends that fire on this host.",
            check=SCHEDULER_PATH,
        ),
    )
    apply: ApplyConfig = field(default_factory=ApplyConfig, metadata=_doc("cronix apply."))
    trigger: TriggerConfig = field(default_factory=TriggerConfig, metadata=_doc("cronix trigger."))
    locks: LocksConfig = field(default_factory=LocksConfig, metadata=_doc("Concurrency locks at fire time."))
    defaults: DefaultsConfig = field(
        default_factory=DefaultsConfig, metadata=_doc("Reference compatibility.")
    )
    plugins: PluginsConfig = field(
        default_factory=PluginsConfig, metadata=_doc("Out-of-tree backend plugins.")
    )
    fire: FireConfig = field(default_factory=FireConfig, metadata=_doc("Fire strategies."))
    monitor: MonitorConfig = field(
        default_factory=MonitorConfig, metadata=_doc("Missed, failed and stuck runs (docs/monitoring.md).")
    )
    path: str | None = field(default=None, metadata={"internal": True})

    def backend_options(self, name: str) -> tuple[str, Mapping[str, Any]]:
        """``(backend type, options)`` for a configured backend name; unknown names get no options."""
        options = dict(self.backends.get(name, {}))
        kind = str(options.pop("type", name))
        return kind, options


DEFAULT_PATHS = ("~/.cronix/cronix.yaml", "/etc/cronix/cronix.yaml")


def config_path(explicit: str | None = None, *, environ: Mapping[str, str] | None = None) -> str | None:
    """The file to load: the explicit path, ``$CRONIX_CONFIG``, or the first default that exists."""
    env = os.environ if environ is None else environ
    if explicit:
        return explicit
    if env.get("CRONIX_CONFIG"):
        return env["CRONIX_CONFIG"]
    for candidate in DEFAULT_PATHS:
        path = os.path.expanduser(candidate)
        if os.path.exists(path):
            return path
    return None


def load_config(path: str | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Load the operator config per the resolution order; defaults when there is no file."""
    resolved = config_path(path, environ=environ)
    if resolved is None:
        return Config()
    try:
        text = _read_config_text(resolved)
    except FileNotFoundError:
        raise ConfigError(f"config file {resolved} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read config file {resolved}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return parse_config(text, source=resolved)


#: cronix.yaml is a few kilobytes; a cap keeps ``--config /dev/zero`` from eating memory.
MAX_CONFIG_BYTES = 1024 * 1024


def _read_config_text(path: str) -> str:
    """A regular file's text, capped (a FIFO or device is refused, never read)."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"cannot read config file {path}: not a regular file")
        data = fh.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES} bytes")
    return data.decode("utf-8")


def record_plugin_pin(name: str, digest: str, explicit: str | None = None) -> str:
    """Record ``plugins.pins.<name>`` in the config file (resolved as for loading); return its path.

    The file is rewritten through YAML, so one with comments is refused rather than
    stripped; the new text must load as a valid config before it replaces the old one.
    """
    import yaml

    target = config_path(explicit) or os.path.expanduser(DEFAULT_PATHS[0])
    try:
        with open(target, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise ConfigError(f"cannot read config file {target}: {exc.strerror or exc}") from None
    if "#" in text:
        raise ConfigError(
            f"{target} has comments that rewriting it would lose; add this under plugins.pins yourself: "
            f'{name}: "{digest}"'
        )
    doc = yaml.safe_load(text) if text.strip() else {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{target}: the top level is not a mapping")
    plugins = doc.setdefault("plugins", {})
    if not isinstance(plugins, dict):
        raise ConfigError(f"{target}: plugins is not a mapping")
    pins = plugins.setdefault("pins", {})
    if not isinstance(pins, dict):
        raise ConfigError(f"{target}: plugins.pins is not a mapping")
    pins[name] = digest
    new_text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    parse_config(new_text, source=target)  # never write a file cronix would then refuse
    from cronix.fileio import write_atomic

    write_atomic(target, new_text.encode("utf-8"), mode=0o600, keep_mode_and_owner=True)
    return target


def parse_config(text: str, *, source: str = "cronix.yaml") -> Config:
    """Decode YAML text strictly into a :class:`Config`."""
    import yaml

    class _StrictLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if key in seen:
                raise ConfigError(f"{source}: line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
        return dict(loader.construct_pairs(node))

    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except RecursionError:
        raise ConfigError(f"{source}: invalid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}: {where}invalid YAML: {problem}") from None
    if data is None:
        data = {}
    issues: list[str] = []
    config = _decode(Config, data, "", issues)
    if not issues:
        _cross_checks(config, issues)
    if issues:
        raise ConfigError(f"{source} is invalid: " + "; ".join(issues))
    assert isinstance(config, Config)
    return _replace_path(config, source)


def _replace_path(config: Config, source: str) -> Config:
    import dataclasses

    return dataclasses.replace(config, path=source)


def _cross_checks(config: Config, issues: list[str]) -> None:
    redis = config.locks.redis
    if redis is not None and not redis.addr:
        issues.append("locks.redis.addr: required when locks.redis is set")
    if config.locks.default == "redis" and redis is None:
        issues.append("locks.default: redis needs a locks.redis block")
    if redis is not None and redis.password and redis.password_ref:
        issues.append("locks.redis: set password or password_ref, not both")
    for i, src in enumerate(config.manifest_sources):
        if not _NAME.fullmatch(src.app):
            issues.append(f"manifest_sources[{i}].app: must match ^[a-z][a-z0-9-]{{0,62}}$, got {src.app!r}")


# ---------------------------------------------------------------- strict decoding


def decode_section(cls: type[_T], mapping: Any, path: str) -> _T:
    """Decode ``mapping`` strictly into the dataclass ``cls``; one :class:`ConfigError` lists every issue.

    Used by backends to validate their own options (``backends.<name>``) with the same
    rules and key-path messages as the rest of the file.
    """
    issues: list[str] = []
    value = _decode(cls, {} if mapping is None else mapping, path, issues)
    if issues:
        raise ConfigError("; ".join(issues))
    return typing.cast(_T, value)


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def _decode(tp: Any, value: Any, path: str, issues: list[str]) -> Any:
    """Convert ``value`` to ``tp``, appending ``path: problem`` strings to ``issues``."""
    origin = typing.get_origin(tp)
    if is_dataclass(tp) and isinstance(tp, type):
        return _decode_dataclass(tp, value, path, issues)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _decode(args[0], value, path, issues)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            issues.append(f"{path}: must be one of {', '.join(map(str, allowed))}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            issues.append(f"{path}: must be a list")
            return ()
        (item_tp, _ellipsis) = typing.get_args(tp)
        return tuple(_decode(item_tp, v, f"{path}[{i}]", issues) for i, v in enumerate(value))
    if origin in (Mapping, dict) or tp is Mapping:
        if not isinstance(value, dict):
            issues.append(f"{path}: must be a mapping")
            return {}
        _key_tp, val_tp = typing.get_args(tp)
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                issues.append(f"{path}: keys must be strings, got {k!r}")
                continue
            out[k] = v if val_tp is Any else _decode(val_tp, v, f"{path}.{k}", issues)
        return out
    if tp is Any:
        return value
    if tp in _TYPE_NAMES:
        ok = isinstance(value, tp) and (tp is bool or not isinstance(value, bool))
        if not ok:
            issues.append(f"{path}: must be {_TYPE_NAMES[tp]}, got {type(value).__name__}")
        return value
    raise TypeError(f"unsupported config type {tp!r}")  # pragma: no cover - schema bug


def _decode_dataclass(cls: type, value: Any, path: str, issues: list[str]) -> Any:
    if not isinstance(value, dict):
        issues.append(f"{path or '(top level)'}: must be a mapping")
        return cls()
    hints = typing.get_type_hints(cls)
    public = [f for f in fields(cls) if not f.metadata.get("internal")]
    known = {f.name for f in public}
    for key in value:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            issues.append(f"{where}: unknown key (known keys: {', '.join(sorted(known))})")
    kwargs: dict[str, Any] = {}
    for f in public:
        where = f"{path}.{f.name}" if path else f.name
        if f.name not in value:
            if f.metadata.get("required"):
                issues.append(f"{where}: required")
                kwargs[f.name] = ""
            continue
        before = len(issues)
        converted = _decode(hints[f.name], value[f.name], where, issues)
        check = f.metadata.get("check")
        if check is not None and len(issues) == before and converted is not None:
            problem = check(converted)
            if problem:
                issues.append(f"{where}: {problem}")
        if converted is None and f.default is not MISSING and f.default is not None:
            continue
        kwargs[f.name] = converted
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - a wrong type already reported above
        issues.append(f"{path}: {exc}")
        return cls()
