"""The campaign's participant list searched by name or email, paged, within the campaign."""

from __future__ import annotations

import re

import pytest

from app.workspace import pages
from tests.factories import grant, invite, make_campaign, make_org, make_user
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def setup(app):
    org = make_org("acme")
    grant(make_user("c@example.com"), org, "consultant")
    campaign = make_campaign(org)
    invite(campaign, name="山田 太郎", email="taro.yamada@example.jp")
    invite(campaign, name="佐藤 花子", email="hanako.sato@example.jp")
    invite(campaign, name="Yamamoto Ken", email="ken@example.jp")
    invite(campaign, name="100%_本部長", email="boss@example.jp")
    other = make_campaign(org, name="別の診断")
    invite(other, name="山田 次郎", email="jiro.yamada@example.jp")
    client = make_client(app)
    login(client, "c@example.com")
    return client, campaign


def _names(html: str) -> list[str]:
    table = html.split('id="participant-table"')[1].split("</table>")[0]
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", table)


def _list(client, campaign, **args):
    return client.get(f"/workspace/campaigns/{campaign.id}", query_string=args).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("山田", ["山田 太郎"]),  # not 山田 次郎 of the other campaign
        ("YAMA", ["山田 太郎", "Yamamoto Ken"]),  # email and name, case ignored
        ("hanako.SATO@", ["佐藤 花子"]),
        ("  花子  ", ["佐藤 花子"]),
        ("%_", ["100%_本部長"]),  # LIKE's wildcards are taken literally
        ("_", ["100%_本部長"]),
    ],
)
def test_search_by_name_or_email(setup, q, found):
    client, campaign = setup
    html = _list(client, campaign, q=q)
    assert _names(html) == found
    assert f"Participants found for “{q.strip()}”: {len(found)}" in html


def test_no_match_says_so_and_keeps_the_query(setup):
    client, campaign = setup
    html = _list(client, campaign, q="鈴木")
    assert 'id="participant-table"' not in html
    assert "No participant's name or email contains “鈴木”." in html
    assert 'name="q" value="鈴木"' in html
    assert "Clear search" in html


def test_search_combines_with_the_status_filter_and_keeps_it(setup):
    client, campaign = setup
    html = _list(client, campaign, q="yama", status="submitted")
    assert "No participant's name or email contains “yama”." in html
    assert '<input type="hidden" name="status" value="submitted">' in html
    # The status filters keep the search.
    assert (
        f'href="/workspace/campaigns/{campaign.id}?status=started&amp;q=yama#participants"' in html
    )


def test_pages_of_a_search_keep_the_query(setup, monkeypatch):
    client, campaign = setup
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    first = _list(client, campaign, q="yama")
    assert _names(first) == ["山田 太郎"]
    assert "Page 1 of 2" in first
    link = re.search(r'href="([^"]+)">Next', first).group(1).replace("&amp;", "&")
    assert "q=yama" in link
    assert "page=2" in link
    second = client.get(link).get_data(as_text=True)
    assert _names(second) == ["Yamamoto Ken"]
    assert "q=yama" in re.search(r'href="([^"]+)">‹ Previous', second).group(1)


def test_search_page_in_japanese(app, setup):
    _client, campaign = setup
    client = make_client(app, "ja")
    login(client, "c@example.com")
    html = _list(client, campaign, q="鈴木")
    assert "「鈴木」を含む参加者はいません" in html
