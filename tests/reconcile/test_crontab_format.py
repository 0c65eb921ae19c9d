"""Translation into Vixie cron syntax and the fenced-block document model (pure functions)."""

from __future__ import annotations

import pytest

from cronix.backends.crontab_format import (
    BEGIN,
    END,
    HEADER,
    CrontabDocument,
    InstalledEntry,
    TranslationError,
    translate,
)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("*/15 * * * *", "*/15 * * * *"),
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@every 1m", "* * * * *"),
        ("@every 5m", "*/5 * * * *"),
        ("@every 120s", "*/2 * * * *"),
        ("@every 30m", "*/30 * * * *"),
        ("@every 60m", "0 * * * *"),
        ("@every 1h", "0 * * * *"),
        ("@every 2H", "0 */2 * * *"),
        ("@every 12h", "0 */12 * * *"),
        ("@every 24h", "0 0 * * *"),
        ("@every5m", "*/5 * * * *"),
        # robfig-isms rewritten for Vixie cron
        ("0 2 * * mon-fri", "0 2 * * 1-5"),
        ("0 6 * * SAT,sun", "0 6 * * 6,0"),
        ("0 0 1 jan-mar *", "0 0 1 1-3 *"),
        ("? ? ? ? ?", "* * * * *"),
        ("?/5 * * * *", "*/5 * * * *"),
        ("1,,2 * * * *", "1,2 * * * *"),
        (",5 * * * *", "5 * * * *"),
        ("*-5 * * * *", "* * * * *"),
        ("+5 +1 * * *", "5 1 * * *"),
        ("05 01 * * *", "5 1 * * *"),
        ("5/10 * * * *", "5-59/10 * * * *"),
        ("0 3/6 * * *", "0 3-23/6 * * *"),
        ("1-10/3 * * * *", "1-10/3 * * * *"),
        ("*/2 * */3 * 1", "*/2 * */3 * 1"),
        ("  0   4 * * *  ", "0 4 * * *"),
    ],
)
def test_translation(schedule: str, expected: str) -> None:
    assert translate(schedule) == expected


@pytest.mark.parametrize(
    "schedule", ["@every 7m", "@every 90s", "@every 45m", "@every 5h", "@every 48h", "@every 25h"]
)
def test_every_that_crontab_cannot_express(schedule: str) -> None:
    with pytest.raises(TranslationError, match="crontab cannot express"):
        translate(schedule)


def test_invalid_schedule_is_a_translation_error() -> None:
    with pytest.raises(TranslationError, match="got 3 field"):
        translate("not a cron")


def _entry(job: str = "ping", idx: int = 0, line: str | None = None) -> InstalledEntry:
    return InstalledEntry(
        "billing", job, idx, "b4d36b09619ce838", line or f"0 * * * * /bin/cronix trigger billing.{job}"
    )


def test_new_block_goes_at_the_end_and_foreign_bytes_are_kept() -> None:
    foreign = "MAILTO=ops\r\n# comment é\n@reboot /bin/true\n"
    doc = CrontabDocument.parse(foreign)
    text = doc.render([_entry()])
    assert text.startswith(foreign)
    assert text[len(foreign) :] == (
        f"{BEGIN}\n{HEADER}\n0 * * * * /bin/cronix trigger billing.ping\n"
        "# cronix:owned app=billing job=ping hash=b4d36b09619ce838 idx=0\n"
        f"{END}\n"
    )


def test_unterminated_last_line_stays_last_and_unchanged() -> None:
    doc = CrontabDocument.parse("a\nlast line")
    text = doc.render([_entry()])
    assert text.startswith("a\n" + BEGIN)
    assert text.endswith(f"{END}\nlast line")


def test_no_entries_means_no_block_and_exactly_the_foreign_text() -> None:
    original = (
        f"x\n{BEGIN}\n{HEADER}\n0 * * * * /b trigger billing.ping\n"
        f"# cronix:owned app=billing job=ping hash=ab idx=0\n{END}\ny"
    )
    doc = CrontabDocument.parse(original)
    assert len(doc.entries) == 1
    assert doc.render([]) == "x\ny"


def test_block_keeps_its_place_and_foreign_lines_inside_it_move_just_after() -> None:
    original = f"top\n{BEGIN}\nhand added\n{END}\nbottom\n"
    doc = CrontabDocument.parse(original)
    text = doc.render([_entry()])
    lines = text.splitlines()
    assert lines[0] == "top"
    assert lines[1] == BEGIN
    assert lines[-3:] == [END, "hand added", "bottom"]


def test_reference_entries_without_fence_are_recognised_and_moved_into_the_block() -> None:
    original = (
        "# my jobs\n"
        "0 * * * * /usr/local/bin/cronix trigger billing.ping\n"
        "# cronix:owned app=billing job=ping hash=b4d36b09619ce838 idx=0\n"
        "5 5 * * * /usr/bin/backup\n"
    )
    doc = CrontabDocument.parse(original)
    assert [(e.app, e.job, e.index, e.hash, e.fenced) for e in doc.entries] == [
        ("billing", "ping", 0, "b4d36b09619ce838", False)
    ]
    text = doc.render(doc.entries)
    assert text == (
        f"# my jobs\n{BEGIN}\n{HEADER}\n0 * * * * /usr/local/bin/cronix trigger billing.ping\n"
        f"# cronix:owned app=billing job=ping hash=b4d36b09619ce838 idx=0\n{END}\n5 5 * * * /usr/bin/backup\n"
    )


def test_marker_after_a_foreign_line_is_an_orphan_and_the_line_is_kept() -> None:
    # The reference would delete whatever precedes its marker (reference §11 item 30); cronix keeps it.
    original = "5 5 * * * /usr/bin/backup\n# cronix:owned app=billing job=ping hash=ab idx=0\n"
    doc = CrontabDocument.parse(original)
    assert doc.entries == []
    assert [n for n, _ in doc.orphan_markers] == [2]
    assert doc.render([]) == "5 5 * * * /usr/bin/backup\n"


def test_malformed_marker_is_reported_and_kept_as_foreign() -> None:
    doc = CrontabDocument.parse("# cronix:owned app=Billing job=x hash=zz idx=0\n")
    assert doc.malformed_markers == [(1, "# cronix:owned app=Billing job=x hash=zz idx=0")]
    assert doc.render([]) == "# cronix:owned app=Billing job=x hash=zz idx=0\n"


def test_stray_fences_are_dropped() -> None:
    doc = CrontabDocument.parse(f"a\n{END}\nb\n{BEGIN}\nc\n")
    assert doc.render([]) == "a\nb\nc\n"


def test_cron_tz_lines_are_written_and_reset() -> None:
    entry = InstalledEntry(
        "billing", "ping", 0, "ab", "0 * * * * /b trigger billing.ping", "CRON_TZ=Europe/Berlin"
    )
    text = CrontabDocument.parse("").render([entry])
    assert text.splitlines()[2:6] == [
        "CRON_TZ=Europe/Berlin",
        "0 * * * * /b trigger billing.ping",
        "# cronix:owned app=billing job=ping hash=ab idx=0",
        'CRON_TZ=""',  # no CRON_TZ was in effect before the block: back to the daemon's zone
    ]
    reparsed = CrontabDocument.parse(text)
    assert reparsed.entries[0].tz_line == "CRON_TZ=Europe/Berlin"
    assert reparsed.foreign == []
