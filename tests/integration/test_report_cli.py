"""``flask report render`` and ``flask report batch``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from app.reporting import service
from tests.conftest import REPO_ROOT
from tests.integration.test_clean_stop import FLASK, app_environment, seed_closed_campaign
from tests.integration.test_report_data import world  # noqa: F401 - module-scoped fixture


@pytest.fixture(scope="module")
def runner(world):  # noqa: F811 - the fixture imported above
    app, built = world
    return app.test_cli_runner(), built


def test_render_writes_a_pdf(runner, tmp_path: Path) -> None:
    cli, built = runner
    output = tmp_path / "org.pdf"
    result = cli.invoke(args=["report", "render", str(built.campaign_id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF")
    assert "wrote" in result.output


def test_the_technical_note_is_rendered_on_request_only(runner, tmp_path: Path) -> None:
    cli, built = runner
    args = ["report", "render", str(built.campaign_id)]
    note, report = tmp_path / "note.pdf", tmp_path / "report.pdf"
    result = cli.invoke(args=[*args, "-o", str(note), "--technical-note", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert cli.invoke(args=[*args, "-o", str(report), "--lang", "en"]).exit_code == 0
    note_text, report_text = (
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
        for path in (note, report)
    )
    assert b"Technical note: methods" in note_text
    assert b"SHA-256" in note_text
    assert b"Welch" in note_text
    assert b"Appendix: how to read this report" in report_text
    assert b"SHA-256" not in report_text
    assert b"Welch" not in report_text


def test_render_a_department_as_html_in_english(runner, tmp_path: Path) -> None:
    cli, built = runner
    output = tmp_path / "sales.html"
    args = ["report", "render", str(built.campaign_id), "-o", str(output)]
    result = cli.invoke(args=[*args, "--department", "営業部", "--lang", "en", "--html"])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "営業部" in html


@pytest.mark.parametrize(
    ("department", "message"),
    [("人事部", "人事部"), ("経理部", "has no department '経理部'")],
)
def test_render_refuses_what_it_cannot_produce(runner, tmp_path, department, message) -> None:
    cli, built = runner
    output = tmp_path / "x.pdf"
    args = ["report", "render", str(built.campaign_id), "-o", str(output)]
    result = cli.invoke(args=[*args, "--department", department])
    assert result.exit_code == 1
    assert message in result.output
    assert not output.exists()


def test_render_an_unknown_campaign(runner, tmp_path) -> None:
    cli, _built = runner
    result = cli.invoke(args=["report", "render", "999999", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert "no campaign with id 999999" in result.output


def test_batch_in_two_processes(runner, tmp_path: Path) -> None:
    cli, built = runner
    out = tmp_path / "reports"
    result = cli.invoke(
        args=["report", "batch", str(built.campaign_id), "-o", str(out), "--jobs", "2"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".report-batch.json",  # which campaign the folder's reports belong to
        "00-organization-ja.pdf",
        "01-営業部-ja.pdf",
        "02-開発部-ja.pdf",
    ]
    assert all(p.read_bytes().startswith(b"%PDF") for p in out.glob("*.pdf"))
    assert "3 written, 0 failed" in result.output
    # Each row gives the peak memory of the worker that rendered the report: one that has
    # held the pipeline and a PDF, well over 100 MB.
    peaks = re.findall(r"│ ok\s+│\s+[\d.]+\s+│\s+(\d+)\s+│", result.output)
    assert len(peaks) == 3, result.output
    assert all(100 < int(peak) < 2000 for peak in peaks), peaks


def test_batch_reports_a_failure_and_still_writes_the_others(
    runner, tmp_path: Path, monkeypatch
) -> None:
    cli, built = runner

    # Rendering itself is tested above; here only what the batch does with a failure.
    def flaky(campaign, *, department=None, locale="ja"):
        if department is not None and department.name == "開発部":
            raise RuntimeError("disk full")
        return b"%PDF-1.7 stand-in"

    monkeypatch.setattr(service, "render_pdf", flaky)
    out = tmp_path / "reports"
    result = cli.invoke(
        args=["report", "batch", str(built.campaign_id), "-o", str(out), "--jobs", "1"]
    )
    assert result.exit_code == 1
    assert "2 written, 1 failed" in result.output
    assert "disk full" in result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "00-organization-ja.pdf",
        "01-営業部-ja.pdf",
    ]


def test_batch_resume_renders_only_the_report_that_failed(
    runner, tmp_path: Path, monkeypatch
) -> None:
    cli, built = runner
    real_render = service.render_pdf

    def crashes_for_one(campaign, *, department=None, locale="ja"):
        if department is not None and department.name == "開発部":
            raise RuntimeError("renderer crashed")
        return real_render(campaign, department=department, locale=locale)

    monkeypatch.setattr(service, "render_pdf", crashes_for_one)
    out = tmp_path / "reports"
    args = ["report", "batch", str(built.campaign_id), "-o", str(out)]
    first = cli.invoke(args=[*args, "--jobs", "1"])
    assert first.exit_code == 1, first.output
    assert "2 written, 1 failed" in first.output
    assert "--resume" in first.output
    kept = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("*.pdf")}
    assert sorted(kept) == ["00-organization-ja.pdf", "01-営業部-ja.pdf"]
    # What a run killed while writing without a temporary file would have left: not complete.
    missing = out / "02-開発部-ja.pdf"
    missing.write_bytes(b"%PDF-1.7\n1 0 obj")

    monkeypatch.setattr(service, "render_pdf", real_render)
    second = cli.invoke(args=[*args, "--jobs", "2", "--resume"])
    assert second.exit_code == 0, second.output
    assert "1 written, 2 reused, 0 failed" in second.output
    after = {name: (p.stat().st_ino, p.stat().st_mtime_ns) for name in kept for p in [out / name]}
    assert after == kept  # the reports of the first run were not rewritten
    assert sorted(p.name for p in out.iterdir()) == [
        ".report-batch.json",
        "00-organization-ja.pdf",
        "01-営業部-ja.pdf",
        "02-開発部-ja.pdf",
    ]
    text = subprocess.run(
        ["pdftotext", "-layout", str(missing), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "開発部" in text


def test_batch_refuses_to_resume_into_another_campaigns_folder(runner, tmp_path: Path) -> None:
    cli, built = runner
    out = tmp_path / "reports"
    out.mkdir()
    (out / ".report-batch.json").write_text(f'{{"campaign_id": {built.previous_id}}}')
    (out / "00-organization-ja.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    result = cli.invoke(
        args=["report", "batch", str(built.campaign_id), "-o", str(out), "--resume"]
    )
    assert result.exit_code == 1
    assert f"holds the reports of campaign {built.previous_id}" in result.output
    assert (out / "00-organization-ja.pdf").read_bytes() == b"%PDF-1.7\n%%EOF\n"


def test_a_batch_started_from_the_command_line_copies_its_own_process(tmp_path: Path) -> None:
    """``flask report batch`` runs a single thread: its workers start as copies of it (the
    report libraries loaded once, in it), and render the same reports as anywhere else."""
    url = f"sqlite:///{tmp_path / 'batch.sqlite3'}"
    campaign_id = seed_closed_campaign(url)
    env = app_environment(url)
    out, inline = tmp_path / "reports", tmp_path / "inline"
    command = [str(FLASK), "--app", "wsgi", "report", "batch", str(campaign_id), "-o"]
    # Beside it, the same batch rendered in the command's own process, one after another.
    runs = [
        subprocess.Popen(
            [*command, str(folder), "--jobs", jobs],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env=env,
        )
        for folder, jobs in ((out, "2"), (inline, "1"))
    ]
    (stdout, stderr), (_, inline_stderr) = (run.communicate(timeout=300) for run in runs)
    assert runs[0].returncode == 0, stderr
    assert runs[1].returncode == 0, inline_stderr
    assert "start_method=fork" in stderr
    # Each report's row gives the peak memory of the worker that rendered it.
    peaks = re.findall(r"│ ok\s+│\s+[\d.]+\s+│\s+(\d+)\s+│", stderr)
    assert len(peaks) == 3, stderr
    assert all(100 < int(peak) < 2000 for peak in peaks), peaks
    assert "3 written, 0 failed" in stdout + stderr
    names = ["00-organization-ja.pdf", "01-営業部-ja.pdf", "02-開発部-ja.pdf"]
    assert sorted(p.name for p in out.glob("*.pdf")) == names
    for name in names:
        assert (out / name).read_bytes() == (inline / name).read_bytes(), name
