"""``flask report render`` and ``flask report batch``."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.reporting import service
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
        "00-organization-ja.pdf",
        "01-営業部-ja.pdf",
        "02-開発部-ja.pdf",
    ]
    assert all(p.read_bytes().startswith(b"%PDF") for p in out.iterdir())
    assert "3 written, 0 failed" in result.output


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
    assert sorted(p.name for p in out.iterdir()) == ["00-organization-ja.pdf", "01-営業部-ja.pdf"]
