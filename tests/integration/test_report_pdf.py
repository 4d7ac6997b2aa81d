"""The PDFs, checked with real tools: poppler's pdftotext, pdffonts, pdfinfo and pdftoppm."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from app.models import Campaign, Participant
from app.platform.extensions import db
from app.reporting import service
from app.reporting.service import ReportUnavailableError, render_individual_report
from app.results import campaign_results
from tests.integration.test_report_data import world  # noqa: F401 - module-scoped fixture


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def organization_pdf(world, tmp_path_factory) -> tuple[Path, object]:  # noqa: F811
    _app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    path = tmp_path_factory.mktemp("pdf") / "organization.pdf"
    path.write_bytes(service.render_pdf(campaign, locale="ja"))
    return path, campaign_results(campaign)


def test_text_holds_the_japanese_headings_and_the_numbers(organization_pdf) -> None:
    path, results = organization_pdf
    text = _run("pdftotext", "-layout", str(path), "-")
    for heading in (
        "エグゼクティブサマリー",
        "組織行動の力",
        "認識ギャップ",
        "付録：このレポートの読み方",
    ):
        assert heading in text, heading
    assert f"{results.organization.overall['capability'].mean:.2f}" in text
    for dimension in results.dimensions:
        assert f"{dimension.organization.mean:.2f}" in text
    # Boxes instead of glyphs would extract as nothing, or as replacement characters.
    assert "\ufffd" not in text


def test_japanese_font_is_embedded_and_subset(organization_pdf) -> None:
    path, _results = organization_pdf
    lines = _run("pdffonts", str(path)).splitlines()[2:]
    assert lines, "no fonts in the PDF"
    fonts = [line.split() for line in lines]
    assert any("Noto-Sans-CJK-JP" in line[0] for line in fonts)
    for line in lines:
        assert "Type 3" not in line, line
        # Columns from the right: object id, generation, uni, sub, emb.
        columns = line.split()
        assert columns[-5:-2] == ["yes", "yes", "yes"], line


def test_page_count_and_table_of_contents_page_numbers(organization_pdf) -> None:
    path, _results = organization_pdf
    pages = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(path))).group(1))
    assert 12 <= pages <= 60
    # The cover, the two-page executive summary, then the contents.
    contents = _run("pdftotext", "-layout", "-f", "4", "-l", "4", str(path), "-")
    assert "目次" in contents
    numbers = [int(n) for n in re.findall(r"(\d+)\s*$", contents, re.M)]
    # target-counter() filled in real page numbers, in increasing order.
    assert len(numbers) >= 6
    assert numbers == sorted(numbers)
    assert numbers[0] == 2
    assert numbers[1] >= 5
    assert numbers[-1] <= pages
    footer = _run("pdftotext", "-layout", "-f", "3", "-l", "3", str(path), "-")
    assert f"3 / {pages}" in footer


def test_rendered_pages_are_not_blank(organization_pdf, tmp_path) -> None:
    path, _results = organization_pdf
    for page in (1, 3):
        prefix = tmp_path / f"page{page}"
        _run(
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(path),
            str(prefix),
        )
        with Image.open(f"{prefix}.png") as image:
            variance = ImageStat.Stat(image.convert("L")).var[0]
        assert variance > 100, (page, variance)


def test_individual_report_of_a_closed_round(world, tmp_path) -> None:  # noqa: F811
    _app, built = world
    participant = db.session.get(Participant, built.respondent_id)
    path = tmp_path / "individual.pdf"
    path.write_bytes(render_individual_report(participant, "ja"))
    text = _run("pdftotext", "-layout", str(path), "-")
    assert "あなたのプロフィール" in text
    assert "組織行動の力" in text
    assert participant.department.name in text


def test_no_individual_report_while_the_campaign_is_open(world) -> None:  # noqa: F811
    _app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    participant = next(p for p in campaign.participants if p.status == "submitted")
    campaign.individual_reports = True
    try:
        with pytest.raises(ReportUnavailableError):
            render_individual_report(participant, "ja")
    finally:
        campaign.individual_reports = False
        db.session.commit()
