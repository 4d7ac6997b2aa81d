"""Demo data: a fictional Japanese regional bank with planted perception gaps."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from app.auth.passwords import hash_password
from app.models import (
    Action,
    Answer,
    Campaign,
    Department,
    Membership,
    Organization,
    OutcomeRecord,
    Participant,
    Response,
    User,
    utcnow,
)
from app.operations.actions import create_action, update_action
from app.operations.campaigns import (
    close_campaign,
    create_campaign,
    open_campaign,
    pair_campaigns,
    set_targets,
)
from app.operations.organizations import add_department, create_organization, set_benchmark
from app.operations.outcomes import OutcomeInput, save_outcomes
from app.operations.participants import add_link, invite_participant, new_participant
from app.operations.profile import save_profile
from app.platform.extensions import db
from app.queries.action_deadlines import months_later
from app.queries.profile import profile_definition, stored_answers
from app.queries.questionnaires import get_questionnaire
from app.questionnaire import Questionnaire

DEMO_SLUG = "minato-bank"
DEMO_NAME = "みなと地域銀行"
DEMO_NAME_EN = "Minato Regional Bank"
CONSULTANT_EMAIL = "consultant@example.com"
#: The bank's executive: read-only access to the results (the dashboard and reports).
EXECUTIVE_EMAIL = "executive@example.com"
DEMO_RESPONDENT_EMAIL = "demo.respondent@example.jp"

#: (name, parent name or None)
DEPARTMENTS: tuple[tuple[str, str | None], ...] = (
    ("経営企画部", None),
    ("営業本部", None),
    ("個人営業部", "営業本部"),
    ("法人営業部", "営業本部"),
    ("事務統括部", None),
    ("デジタル推進部", None),
    ("お客さまサポートセンター", None),
    ("人事部", None),
)

#: The English name of every organisation, department and campaign of the demo, by name.
ENGLISH_NAMES: dict[str, str] = {
    DEMO_NAME: DEMO_NAME_EN,
    "経営企画部": "Corporate Planning Department",
    "営業本部": "Sales Division",
    "個人営業部": "Retail Banking Department",
    "法人営業部": "Corporate Banking Department",
    "事務統括部": "Operations Administration Department",
    "デジタル推進部": "Digital Transformation Department",
    "お客さまサポートセンター": "Customer Support Center",
    "人事部": "Human Resources Department",
    "2025年度 CX 5つの力 成熟度診断": "FY2025 CX Five Capabilities Maturity Assessment",
    "2026年度 CX 5つの力 成熟度診断": "FY2026 CX Five Capabilities Maturity Assessment",
    "2026年度 CX向上サイクル 実践度診断": "FY2026 CX Improvement Cycle Practice Assessment",
}

#: Respondents per department and role key for each demo campaign.
HEADCOUNT: dict[str, dict[str, int]] = {
    "経営企画部": {"executive": 4, "middle_manager": 6, "frontline": 8},
    "営業本部": {"executive": 3, "middle_manager": 4, "frontline": 5},
    "個人営業部": {"executive": 2, "middle_manager": 7, "frontline": 20},
    "法人営業部": {"executive": 2, "middle_manager": 6, "frontline": 16},
    "事務統括部": {"executive": 1, "middle_manager": 5, "frontline": 14},
    "デジタル推進部": {"executive": 2, "middle_manager": 5, "frontline": 10},
    "お客さまサポートセンター": {"executive": 1, "middle_manager": 4, "frontline": 18},
    "人事部": {"executive": 1, "middle_manager": 3, "frontline": 4},
}

#: The previous round of the five-capabilities diagnosis, closed, for comparisons over time. It
#: ran on the first version of the questionnaire and keeps its frozen copy; the 2026 rounds run
#: on the newest, so its trend compares each dimension over the items the versions share.
PREVIOUS_ROUND = ("cx-five-capabilities", "2025年度 CX 5つの力 成熟度診断", "1.0.0")
CAMPAIGNS = (
    ("cx-five-capabilities", "2026年度 CX 5つの力 成熟度診断"),
    ("cx-improvement-cycle", "2026年度 CX向上サイクル 実践度診断"),
)
#: The previous round ran for three weeks, a year before the seed (its dates and answers).
PREVIOUS_ROUND_AGO = timedelta(days=365)
PREVIOUS_ROUND_LENGTH = timedelta(days=21)
#: How much lower the previous round scored, per dimension: the organisation has progressed,
#: most in digital and operations, hardly at all in unlearning.
PREVIOUS_ROUND_SHIFT: dict[str, float] = {
    "org_behavior": -0.3,
    "design": -0.3,
    "operations": -0.5,
    "digital": -0.6,
    "unlearning": -0.05,
}

#: Items on which the top sees a vision and governance the front line does not (the planted
#: role gap), by the newest version's ids; an earlier version's item counts through the item
#: that names it with ``was:``. The last three are facts only management knows, asked as
#: perceptions in 1.0.0 and moved to the organisation profile since.
VISION_ITEMS = frozenset(
    {
        "ob_vision_explain",
        "ob_vision_guides",
        "ob_cross_decision",
        "ob_budget_case",
        "pl_common_goals",
        "mo_strategy_review",
        "ob_cx_owner",
        "ob_kpi_review",
        "st_strategy_map",
    }
)

#: "Don't know" rates (executive, middle manager, front line) on items about budgets,
#: decisions and executives' practice, which the front line often cannot see; newest ids.
DONT_KNOW_RATES: dict[str, tuple[float, float, float]] = {
    "ob_cross_decision": (0.02, 0.10, 0.28),
    "ob_voice_up": (0.02, 0.08, 0.22),
    "ob_budget_case": (0.02, 0.12, 0.0),
    "op_by_segment": (0.03, 0.10, 0.25),
    "op_value_link": (0.03, 0.12, 0.33),
    "dg_prediction": (0.03, 0.08, 0.18),
    "dg_experience_first": (0.04, 0.15, 0.0),
    "st_segment_effort": (0.02, 0.09, 0.22),
    "st_ltv_churn": (0.03, 0.12, 0.30),
    "pl_common_goals": (0.02, 0.07, 0.20),
    "pl_roles": (0.02, 0.06, 0.15),
    "pl_scenario": (0.02, 0.10, 0.0),
    "ro_progress_open": (0.02, 0.06, 0.15),
    "mo_chain": (0.04, 0.12, 0.32),
    "mo_targeted": (0.03, 0.10, 0.28),
    "mo_decide_on_facts": (0.02, 0.10, 0.0),
    "mo_strategy_review": (0.02, 0.08, 0.25),
}
#: Elsewhere, "don't know" is rare, and rarest at the top.
BASE_DONT_KNOW_RATES = (0.01, 0.02, 0.04)
#: 1.0.0's items on facts only management knows, none kept in the newest version: its one
#: option "don't know / not applicable" chosen there by some of the front line, most of whom
#: guessed instead.
LEGACY_KNOWLEDGE_ITEMS = frozenset(
    {"ob_cx_owner", "ob_kpi_review", "ob_exec_investment", "dg_inventory", "op_journey_mgmt"}
)
LEGACY_KNOWLEDGE_RATES = (0.01, 0.05, 0.12)
#: A single option "don't know / not applicable" is chosen less than a plain "don't know".
COMBINED_OPTION_FACTOR = 0.6
NOT_APPLICABLE_RATE = 0.02
ROLE_INDEX = {"executive": 0, "middle_manager": 1, "frontline": 2}

#: Family names (kanji, romaji) and given names the demo's fictional staff are drawn from.
FAMILY_NAMES: tuple[tuple[str, str], ...] = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("前田", "maeda"), ("藤田", "fujita"),
    ("小川", "ogawa"), ("岡田", "okada"), ("後藤", "goto"), ("長谷川", "hasegawa"),
)  # fmt: skip
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("翔太", "shota"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"),
    ("直樹", "naoki"), ("和也", "kazuya"), ("誠", "makoto"), ("隆", "takashi"),
    ("浩二", "koji"), ("亮", "ryo"), ("悠斗", "yuto"), ("陽介", "yosuke"),
    ("剛", "tsuyoshi"), ("聡", "satoshi"), ("修", "osamu"), ("博之", "hiroyuki"),
    ("美咲", "misaki"), ("陽子", "yoko"), ("恵", "megumi"), ("裕子", "yuko"),
    ("由美", "yumi"), ("真由美", "mayumi"), ("彩", "aya"), ("愛", "ai"),
    ("千尋", "chihiro"), ("奈々", "nana"), ("香織", "kaori"), ("智子", "tomoko"),
    ("麻衣", "mai"), ("明美", "akemi"), ("沙織", "saori"), ("里美", "satomi"),
    ("優子", "yuko"), ("直美", "naomi"), ("久美子", "kumiko"), ("理恵", "rie"),
)  # fmt: skip
#: The domain of the demo staff's addresses (``.example`` is reserved: nothing is delivered).
STAFF_DOMAIN = "minato-bank.example"

#: The demo's free-text answers, by theme: what gets in the way (biggest obstacle, weakest
#: stage) and what to start first (next six months), each said in several ways.
OBSTACLES: dict[str, tuple[str, ...]] = {
    "silos": (
        "部署ごとにKPIが異なり、顧客視点での連携が難しい。",
        "縦割りが強く、部署間の引き継ぎでお客さまの情報が抜け落ちる。",
        "他部署との調整に時間がかかり、改善案が立ち消えになる。",
        "部署をまたぐ課題の持ち主がおらず、誰も動かない。",
    ),
    "voice": (
        "お客さまの声を集めても、分析して次の施策につなげる仕組みがない。",
        "お客様の声が現場で止まり、経営まで届いていない。",
        "苦情の件数は報告されるが、その中身が改善に使われていない。",
        "アンケート結果を見る会議が形だけになっている。",
    ),
    "systems": (
        "システムが部署ごとに分かれていて、顧客情報が一元化されていない。",
        "顧客データがばらばらで、同じことを何度もお客さまに聞いてしまう。",
        "端末の操作が煩雑で、お客さま対応の時間が削られている。",
        "基幹システムの制約で、新しい手続きを簡単に変えられない。",
    ),
    "staffing": (
        "人手不足で目の前の業務に追われ、改善に割く時間がない。",
        "窓口の人員が足りず、待ち時間の長さにお叱りを受けている。",
        "残業が常態化しており、新しい取り組みを始める余力がない。",
    ),
    "strategy": (
        "CX戦略が中期経営計画の言葉にとどまり、具体的な投資判断に結びついていない。",
        "顧客体験への投資の費用対効果を示せず、予算の確保が難しい。",
        "経営会議で顧客体験の指標が議題に上ることが少ない。",
    ),
    "incentives": (
        "評価制度が販売件数中心で、顧客体験の向上が評価されない。",
        "目標管理の指標に顧客満足度が入っておらず、優先順位が上がらない。",
        "支店の表彰基準が数字だけで、お客さま本位の行動が報われない。",
    ),
}
ACTIONS: dict[str, tuple[str, ...]] = {
    "silos": (
        "部署横断のジャーニー会議を毎月開き、引き継ぎの抜けを一つずつ潰したい。",
        "住宅ローンのジャーニーで、関係部署の責任者をそろえた改善チームを作りたい。",
        "部署ごとのKPIに、共通の顧客指標を一つ加えたい。",
    ),
    "voice": (
        "お客さまの声を毎週集約し、上位の不満を経営会議で扱う流れを作りたい。",
        "お客様の声の分類ルールを決め、どの部署が対応するかを明確にしたい。",
        "アンケートの自由記述を読み込み、改善のテーマを現場と一緒に決めたい。",
    ),
    "systems": (
        "顧客情報を一つの画面で見られるよう、システム部と要件を詰めたい。",
        "顧客データの統合に向けて、まず重複している項目を洗い出したい。",
        "窓口端末の入力項目を減らし、お客さまと話す時間を増やしたい。",
    ),
    "staffing": (
        "事務の手順を見直して、窓口の待ち時間を減らしたい。",
        "繁忙時間帯の人員配置を見直し、改善に使える時間を作りたい。",
    ),
    "strategy": (
        "顧客体験の指標を経営会議の定例議題にし、四半期ごとに投資判断を見直したい。",
        "CX投資の効果を測る指標を決め、予算の根拠を示したい。",
        "中期経営計画のCX方針を、部署ごとの具体的な目標に落とし込みたい。",
    ),
    "incentives": (
        "評価制度に顧客満足度を組み込み、お客さま本位の行動を表彰したい。",
        "支店の目標に顧客推奨度を加え、数字以外の成果も評価したい。",
    ),
}
#: The theme a drawn answer takes, by role: the front line writes of systems and staffing,
#: middle managers of silos and incentives, executives of strategy and budget.
THEMES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "frontline": ("systems", "staffing", "systems", "voice", "silos"),
    "middle_manager": ("silos", "incentives", "voice", "silos", "systems"),
    "executive": ("strategy", "strategy", "voice", "incentives", "silos"),
}
#: The five draws every free-text answer makes from the seed's generator.
OPEN_TEXT_DRAWS = range(5)


def demo_open_text(
    question_id: str, role_key: str, drawn: int, person: float, department: str
) -> str:
    """The demo's answer to an open question: its theme from the role and ``drawn`` (one of
    :data:`OPEN_TEXT_DRAWS`), its wording from who answers. Only ``drawn`` comes from the
    seed's generator, so the answers' figures stay those of every earlier seed."""
    themes = THEMES_BY_ROLE.get(role_key, THEMES_BY_ROLE["middle_manager"])
    theme = themes[drawn % len(themes)]
    pool = (ACTIONS if question_id == "next_six_months" else OBSTACLES)[theme]
    wording = random.Random(f"{question_id}|{role_key}|{department}|{person:.9f}")
    return wording.choice(pool)


@dataclass(frozen=True)
class SeedResult:
    organization: Organization
    campaigns: list[Campaign]
    consultant_email: str
    consultant_password: str | None
    respondent_token: str
    created: bool
    #: A link of someone who answered the closed round: it offers their individual report.
    report_token: str = ""
    executive_email: str = EXECUTIVE_EMAIL
    executive_password: str | None = None


def demo_people(count: int) -> list[tuple[str, str]]:
    """``count`` distinct fictional staff as ``(name, email)``, the same on every run.

    Every campaign of the demo invites the same people in the same order, so a person can be
    found in each round by name or address.
    """
    pairs = [(family, given) for family in FAMILY_NAMES for given in GIVEN_NAMES]
    random.Random("minato-bank-staff").shuffle(pairs)
    people: list[tuple[str, str]] = []
    used: set[str] = set()
    for (family, family_r), (given, given_r) in pairs:
        email = f"{given_r}.{family_r}@{STAFF_DOMAIN}"
        if email in used:
            continue
        used.add(email)
        people.append((f"{family} {given}", email))
        if len(people) == count:
            break
    return people


def _role_shift(role_key: str, dimension_id: str, item_id: str) -> float:
    """Planted role gaps: the top sees the vision and governance the front line does not.

    ``item_id`` is the newest version's id of the item (see :func:`_newest_ids`).
    """
    visionish = item_id in VISION_ITEMS
    if role_key == "executive":
        return 1.1 if visionish else 0.45 if dimension_id in ("org_behavior", "strategy") else 0.2
    if role_key == "frontline":
        return -0.55 if visionish else -0.1
    return 0.0


def _newest_ids(questionnaire: Questionnaire) -> dict[str, str]:
    """Each item of ``questionnaire`` by the id of the newest version's item keeping its
    meaning (``was:``); an item of the newest version, or one without successor, by its own."""
    newest = get_questionnaire(questionnaire.id)
    ids = {item.id: item.id for item in questionnaire.items}
    if newest.version != questionnaire.version:
        for pairs in newest.links_to(questionnaire).values():
            ids.update({earlier.id: item.id for item, earlier in pairs})
    return ids


def _unanswered_rate(questionnaire: Questionnaire, item_id: str, role_key: str) -> float:
    """How often ``role_key`` answers "don't know" to the item (by its newest id); with the
    one option "don't know / not applicable" of 1.0.0, how often that is chosen."""
    role = ROLE_INDEX.get(role_key, 1)
    if item_id in LEGACY_KNOWLEDGE_ITEMS:
        return LEGACY_KNOWLEDGE_RATES[role]
    rate = DONT_KNOW_RATES.get(item_id, BASE_DONT_KNOW_RATES)[role]
    return rate if questionnaire.scale.allows_dont_know else rate * COMBINED_OPTION_FACTOR


def _department_shift(department: str, dimension_id: str) -> float:
    """Planted department profiles: digital strong but organisational behaviour weak, etc."""
    if department == "デジタル推進部":
        return {"digital": 1.2, "org_behavior": -0.9}.get(dimension_id, 0.0)
    if department == "お客さまサポートセンター":
        return {"operations": 0.7, "monitoring": 0.6, "digital": -0.5}.get(dimension_id, 0.0)
    if department == "事務統括部":
        return {"unlearning": -0.7, "design": -0.4, "rollout": -0.4}.get(dimension_id, 0.0)
    return 0.0


def _answers_for(
    rng: random.Random,
    questionnaire: Questionnaire,
    newest_ids: dict[str, str],
    department: str,
    role_key: str,
    person: float,
    shift: dict[str, float] | None = None,
) -> dict[str, int | str]:
    """One respondent's answers; ``person`` is how much more mature than their role's
    average they see the organisation (see :func:`_person_shifts`)."""
    scale = questionnaire.scale
    answers: dict[str, int | str] = {}
    for dimension in questionnaire.dimensions:
        base = 2.8 + person + _department_shift(department, dimension.id)
        base += (shift or {}).get(dimension.id, 0.0)
        for item in dimension.items:
            if not item.asks(role_key):
                continue
            item_id = newest_ids.get(item.id, item.id)
            unanswered = rng.random()
            if unanswered < _unanswered_rate(questionnaire, item_id, role_key):
                answers[item.id] = "dk" if scale.allows_dont_know else "na"
                continue
            if scale.allows_dont_know and unanswered > 1.0 - NOT_APPLICABLE_RATE:
                answers[item.id] = "na"
                continue
            raw = base + _role_shift(role_key, dimension.id, item_id) + rng.gauss(0.0, 0.6)
            value = max(scale.min, min(scale.max, round(raw)))
            # A reverse-keyed item is agreed with by those who see the practice as weak.
            answers[item.id] = scale.min + scale.max - value if item.reverse else value
    for question in questionnaire.open_questions:
        if rng.random() < 0.35:
            drawn = rng.choice(OPEN_TEXT_DRAWS)
            answers[question.id] = demo_open_text(
                question.id, role_key, drawn, person, str(department)
            )
    return answers


def _person_shifts(rng: random.Random, role_keys: list[str]) -> list[float]:
    """Each respondent's own leaning, centred within their role: a role's respondents differ,
    but the planted gaps between roles come out as planted whatever the draw."""
    drawn = [rng.gauss(0.0, 0.45) for _key in role_keys]
    totals: dict[str, list[float]] = {}
    for key, value in zip(role_keys, drawn, strict=True):
        totals.setdefault(key, []).append(value)
    means = {key: sum(values) / len(values) for key, values in totals.items()}
    return [value - means[key] for key, value in zip(role_keys, drawn, strict=True)]


def _answer_rows(
    response_id: int, answers: dict[str, int | str], open_ids: set[str]
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for item_id, value in answers.items():
        row: dict[str, object] = {
            "response_id": response_id,
            "item_id": item_id,
            "value": None,
            "not_applicable": False,
            "dont_know": False,
            "text": None,
        }
        if item_id in open_ids:
            row["text"] = str(value)
        elif value == "na":
            row["not_applicable"] = True
        elif value == "dk":
            row["dont_know"] = True
        else:
            row["value"] = int(value)
        rows.append(row)
    return rows


def _ensure_staff(org: Organization, email: str, access: str) -> tuple[User, str]:
    """The demo's consultant or executive account, with ``access`` to ``org``."""
    user = db.session.scalar(select(User).where(User.email == email))
    password = secrets.token_urlsafe(12)
    if user is None:
        user = User(email=email, active=True, is_admin=False)
        db.session.add(user)
    # A fresh random password each run: the demo never ships a known credential.
    user.password_hash = hash_password(password)
    if not any(m.organization_id == org.id for m in user.memberships):
        user.memberships.append(Membership(organization=org, access=access))
    db.session.flush()
    return user, password


def _populate(
    campaign: Campaign,
    org: Organization,
    rng: random.Random,
    shift: dict[str, float] | None = None,
    now: datetime | None = None,
) -> None:
    """Invite the headcount and submit answers for most of it, with bulk inserts, at ``now``.

    The seed records no audit event per synthetic participant or answer, as an import
    records one for its whole file: the demo campaigns' own events say how they were made.
    """
    roles = {r.key: r for r in org.roles}
    departments = {d.name: d for d in org.departments}
    now = now or utcnow()
    answered: list[tuple[Response, str, str]] = []
    invited = sum(count + max(1, count // 4) for c in HEADCOUNT.values() for count in c.values())
    people = iter(demo_people(invited))
    for dept_name, counts in HEADCOUNT.items():
        dept = departments[dept_name]
        for role_key, count in counts.items():
            role = roles[role_key]
            # Invite a few more than answer, so progress shows a realistic response rate.
            for index in range(count + max(1, count // 4)):
                name, email = next(people)
                participant = new_participant(campaign, dept, role, name=name, email=email)
                participant.invited_at = now
                if index >= count:
                    continue
                participant.status = "submitted"
                participant.started_at = participant.submitted_at = now
                participant.last_activity_at = now
                response = Response(
                    campaign_id=campaign.id,
                    participant=participant,
                    department_id=dept.id,
                    role_id=role.id,
                    status="submitted",
                    source="web",
                    submitted_at=now,
                )
                db.session.add(response)
                answered.append((response, dept_name, role_key))
    people_shift = _person_shifts(rng, [role_key for _r, _d, role_key in answered])
    db.session.flush()
    _insert_answers(campaign, answered, people_shift, rng, shift, now)


def _insert_answers(
    campaign: Campaign,
    answered: list[tuple[Response, str, str]],
    people_shift: list[float],
    rng: random.Random,
    shift: dict[str, float] | None,
    now: datetime,
) -> None:
    """Every answer of the ``answered`` responses (and of the outcome item), in one insert."""
    questionnaire = campaign.questionnaire
    newest_ids = _newest_ids(questionnaire)
    open_ids = {question.id for question in questionnaire.open_questions}
    rows = [
        row
        for (response, dept_name, role_key), person in zip(answered, people_shift, strict=True)
        for row in _answer_rows(
            response.id,
            _answers_for(rng, questionnaire, newest_ids, dept_name, role_key, person, shift),
            open_ids,
        )
    ]
    rows += _outcome_rows(questionnaire, rows, campaign.id)
    for row in rows:
        row["updated_at"] = now
    db.session.execute(insert(Answer), rows)


#: How much each dimension moves the demo's answers to the outcome item (customers would
#: recommend us): design and operations most, as customers meet them; unnamed ones a little.
OUTCOME_WEIGHTS = {"design": 1.3, "operations": 1.1, "digital": 0.5, "org_behavior": 0.3}
OUTCOME_DEFAULT_WEIGHT = 0.4


def _outcome_rows(
    questionnaire: Questionnaire, rows: list[dict[str, object]], campaign_id: int
) -> list[dict[str, object]]:
    """Each respondent's answer to the questionnaire's outcome item (0-10), following their
    own answers on the dimensions that move it, with noise. A generator of its own keeps
    the other answers of the demo as they were."""
    outcomes = getattr(questionnaire, "outcomes", ())
    if not outcomes:
        return []
    rng = random.Random(campaign_id * 7919)
    by_response: dict[int, dict[str, list[float]]] = {}
    scale = questionnaire.scale
    for row in rows:
        value = row.get("value")
        if value is None:
            continue
        try:
            item = questionnaire.item(str(row["item_id"]))
        except KeyError:
            continue
        answer = scale.reflect(int(value)) if item.reverse else int(value)  # type: ignore[call-overload]
        by_response.setdefault(int(row["response_id"]), {}).setdefault(
            item.dimension_id, []
        ).append(float(answer))
    middle = (scale.min + scale.max) / 2
    found = []
    for response_id, dimensions in by_response.items():
        pull = sum(
            OUTCOME_WEIGHTS.get(dimension, OUTCOME_DEFAULT_WEIGHT)
            * (sum(values) / len(values) - middle)
            for dimension, values in dimensions.items()
        )
        value = round(6.0 + pull + rng.gauss(0.0, 1.4))
        found.append(
            {
                "response_id": response_id,
                "item_id": outcomes[0].id,
                "value": max(0, min(10, value)),
                "not_applicable": False,
                "dont_know": False,
                "text": None,
            }
        )
    return found


#: The organisation profile recorded for the 2026 rounds, as (answer, evidence note) per fact:
#: a dedicated CX office set up in the planning department, metrics reviewed each quarter,
#: customer data not yet joined up.
PROFILE_2026: dict[str, tuple[str | None, str | None]] = {
    "cx_owner": ("team_limited", "経営企画部 CX推進室（2025年10月設置）。他部署への指示権限はない"),
    "cx_team_size": ("5", None),
    "cx_body": ("reports_only", "CX推進委員会（四半期ごと開催）の議事録"),
    "metrics_reviewed": ("quarterly", "経営会議資料「お客さま満足度の推移」2026年度第1四半期"),
    "metrics_in_use": ("NPS（年2回）、顧客満足度（来店後アンケート）、口座の解約率", None),
    "metrics_by_segment": ("no", "個人・法人の別のみ。年代別・取引別の集計は未着手"),
    "voice_channels": (
        "店頭アンケート、お客さまサポートセンターの応対記録、アプリストアのレビュー",
        None,
    ),
    "tool_inventory": ("partial", "デジタル推進部のシステム台帳（営業店の独自ツールは含まない）"),
    "customer_data_joined": ("no", None),
    "cx_budget": ("yearly", "2026年度予算書 経営企画部「CX推進費」"),
    "cx_in_evaluation": ("awards_only", "頭取表彰「お客さまの声賞」（2025年度新設）"),
}
#: The profile a year earlier: CX handled on the side by the planning department.
PROFILE_2025: dict[str, tuple[str | None, str | None]] = {
    "cx_owner": ("side_department", "経営企画部が兼務で担当"),
    "cx_team_size": ("1", None),
    "cx_body": ("none", None),
    "metrics_reviewed": ("yearly", "年度末の経営会議で顧客満足度調査の結果を報告"),
    "metrics_in_use": ("顧客満足度（年1回）", None),
    "metrics_by_segment": ("no", None),
    "voice_channels": ("店頭アンケート、お客さまサポートセンターの応対記録", None),
    "tool_inventory": ("none", None),
    "customer_data_joined": ("no", None),
    "cx_budget": ("one_off", "アプリ改修の際に個別に予算化"),
    "cx_in_evaluation": ("none", None),
}

#: Target levels of the current five-capabilities round.
DEMO_TARGETS = {
    "org_behavior": 3.5,
    "design": 3.5,
    "operations": 3.5,
    "digital": 3.5,
    "unlearning": 3.0,
}


#: The departments that serve customers, with the customers who answered the NPS question in
#: a year and the department's ARPA (yen a year) and gross margin: the outcomes recorded
#: beside the assessments, for FY2025 and FY2026.
OUTCOME_DEPARTMENTS: dict[str, tuple[int, float, float]] = {
    "個人営業部": (420, 48_000.0, 0.42),
    "法人営業部": (160, 860_000.0, 0.35),
    "事務統括部": (120, 30_000.0, 0.30),
    "デジタル推進部": (380, 22_000.0, 0.55),
    "お客さまサポートセンター": (300, 36_000.0, 0.38),
}
OUTCOME_PERIODS = (("2025", PREVIOUS_ROUND_SHIFT), ("2026", {}))


def _demo_outcomes(seed: int) -> list[tuple[str, str, dict[str, object]]]:
    """Customer outcomes of the demo's customer-facing departments for both years:
    ``(department, period, figures)``. NPS follows the department's planted maturity (and
    the year's), with the noise of a few hundred answers, so that the outcome views show
    maturity and customers moving together without a perfect line."""
    rng = random.Random(seed + 1)
    found = []
    for period, shift in OUTCOME_PERIODS:
        for department, (answers, arpa, margin) in OUTCOME_DEPARTMENTS.items():
            maturity = sum(
                _department_shift(department, dimension) + shift.get(dimension, 0.0)
                for dimension in ("org_behavior", "design", "operations", "digital", "unlearning")
            )
            target = max(-60.0, min(60.0, 4.0 + 14.0 * maturity + rng.gauss(0.0, 4.0)))
            promoters = max(0.05, 0.30 + target / 200.0)
            detractors = max(0.05, 0.30 - target / 200.0)
            counts = [0] * 11
            for _ in range(answers):
                draw = rng.random()
                if draw < promoters:
                    point = rng.choice((9, 10))
                elif draw < promoters + detractors:
                    point = rng.choice((3, 4, 5, 5, 6, 6, 6))
                else:
                    point = rng.choice((7, 8))
                counts[point] += 1
            churn = max(0.02, round(0.09 - 0.012 * maturity + rng.gauss(0.0, 0.005), 3))
            found.append(
                (
                    department,
                    period,
                    {
                        "nps_counts": counts,
                        "csat": round(68.0 + 4.0 * maturity + rng.gauss(0.0, 1.5), 1),
                        "churn_rate": churn,
                        "arpa": arpa,
                        "gross_margin": margin,
                    },
                )
            )
    return found


def _record_outcomes(org: Organization, seed: int) -> None:
    """The demo's customer outcomes, once (a second seed keeps what is recorded)."""
    if db.session.scalar(
        select(func.count())
        .select_from(OutcomeRecord)
        .where(OutcomeRecord.organization_id == org.id)
    ):
        return
    by_name = {department.name: department.id for department in org.departments}
    records = []
    for line, (department, period, figures) in enumerate(_demo_outcomes(seed), start=1):
        counts = list(figures["nps_counts"])  # type: ignore[call-overload]
        values = {
            **figures,
            "promoters": sum(counts[9:]),
            "passives": sum(counts[7:9]),
            "detractors": sum(counts[:7]),
        }
        records.append(OutcomeInput(line, by_name[department], period, values))
    save_outcomes(org, records, source="demo")


def seed_demo(seed: int = 20261121) -> SeedResult:
    """Create the demo organisation, campaigns and responses; a second run adds nothing."""
    rng = random.Random(seed)
    org = db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    created = org is None
    if org is None:
        org = create_organization(DEMO_SLUG, DEMO_NAME, name_en=DEMO_NAME_EN)
        by_name: dict[str, Department] = {}
        for name, parent in DEPARTMENTS:
            by_name[name] = add_department(
                org, name, by_name.get(parent) if parent else None, name_en=ENGLISH_NAMES[name]
            )
    _name_in_english(org, *org.departments)
    questionnaire_id, name, version = PREVIOUS_ROUND
    previous = _ensure_campaign(
        org,
        questionnaire_id,
        name,
        rng,
        version=version,
        shift=PREVIOUS_ROUND_SHIFT,
        answered_at=utcnow() - PREVIOUS_ROUND_AGO + PREVIOUS_ROUND_LENGTH / 2,
    )
    if previous.status == "open":
        close_campaign(previous)
        previous.opened_at = previous.opens_at = utcnow() - PREVIOUS_ROUND_AGO
        previous.closed_at = previous.closes_at = previous.opened_at + PREVIOUS_ROUND_LENGTH
    campaigns = [previous]
    for questionnaire_id, name in CAMPAIGNS:
        earlier = previous if questionnaire_id == PREVIOUS_ROUND[0] else None
        campaigns.append(_ensure_campaign(org, questionnaire_id, name, rng, previous=earlier))
    # The two 2026 campaigns are companions: each report and dashboard shows the other's
    # results (pairing an already paired couple again changes nothing).
    pair_campaigns(campaigns[1], campaigns[2])
    # The bank's ambition for the current round: the dashed outline on the radar charts.
    set_targets(campaigns[1], DEMO_TARGETS)
    user, password = _ensure_staff(org, CONSULTANT_EMAIL, "consultant")
    _record_profile(previous, PROFILE_2025, user)
    for campaign in campaigns[1:]:
        _record_profile(campaign, PROFILE_2026, user)
    _executive, executive_password = _ensure_staff(org, EXECUTIVE_EMAIL, "executive")
    _record_outcomes(org, seed)
    _record_actions(previous, user)
    _seed_benchmark(org, seed)
    respondent_token = _demo_respondent_token(campaigns[1], org)
    report_token = _closed_round_token(previous)
    return SeedResult(
        org,
        campaigns,
        CONSULTANT_EMAIL,
        password,
        respondent_token,
        created,
        report_token,
        EXECUTIVE_EMAIL,
        executive_password,
    )


#: The actions agreed after the previous round: (title, what it answers, dimension,
#: department or None, owner, owner's e-mail, months after the round's close, status).
DEMO_ACTIONS: tuple[tuple[str, str, str, str | None, str, str | None, int, str], ...] = (
    (
        "経営層と現場の対話会を四半期ごとに開く",
        "経営層と現場の認識の差が大きい",
        "org_behavior",
        None,
        "経営企画部長",
        "planning@example.com",
        6,
        "in_progress",
    ),
    (
        "お客さまの声を一か所に集める仕組みを整える",
        "顧客の声が部署ごとに分散している",
        "operations",
        None,
        "デジタル推進部",
        "digital@example.com",
        9,
        "planned",
    ),
    (
        "個人営業部で月次の改善会議を開き、顧客の声への対応を確認する",
        None,
        "operations",
        "個人営業部",
        "個人営業部長",
        None,
        12,
        "in_progress",
    ),
    (
        "CX指標を経営会議の定例議題にする",
        None,
        "org_behavior",
        None,
        "経営企画部",
        None,
        3,
        "done",
    ),
)


def _record_actions(previous: Campaign, consultant: User) -> None:
    """The actions agreed after the previous round, once; the current round follows the
    open ones (two of them past their due date)."""
    exists = db.session.scalar(
        select(Action.id).where(Action.organization_id == previous.organization_id).limit(1)
    )
    if exists is not None:
        return
    closed = (previous.closed_at or utcnow()).date()
    departments = {d.name: d.id for d in previous.organization.departments}
    for title, answers, dimension, department, owner, email, months, status in DEMO_ACTIONS:
        due = months_later(closed.replace(day=1), months)
        values = {
            "title": title,
            "dimension": dimension,
            "department": departments.get(department) if department else None,
            "owner": owner,
            "owner_email": email,
            "due": due,
        }
        action = create_action(previous, values, origin_text=answers, actor=consultant)
        if status != "planned":
            update_action(action, {"status": status}, actor=consultant)


def _ensure_campaign(
    org: Organization,
    questionnaire_id: str,
    name: str,
    rng: random.Random,
    *,
    version: str | None = None,
    shift: dict[str, float] | None = None,
    previous: Campaign | None = None,
    answered_at: datetime | None = None,
) -> Campaign:
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.organization_id == org.id, Campaign.name == name)
    )
    if campaign is None:
        campaign = create_campaign(
            org,
            get_questionnaire(questionnaire_id, version),
            name,
            previous=previous,
            individual_reports=True,
            name_en=ENGLISH_NAMES.get(name),
        )
        open_campaign(campaign)
    _name_in_english(campaign)
    has_responses = db.session.scalar(
        select(func.count(Response.id)).where(Response.campaign_id == campaign.id)
    )
    if not has_responses:
        _populate(campaign, org, rng, shift, answered_at)
    return campaign


def _name_in_english(*named: Organization | Department | Campaign) -> None:
    """Give a demo seeded before English names existed its English names (a name already
    given is kept)."""
    for item in named:
        if not item.name_en and item.name in ENGLISH_NAMES:
            item.name_en = ENGLISH_NAMES[item.name]


def _record_profile(
    campaign: Campaign, facts: dict[str, tuple[str | None, str | None]], consultant: User
) -> None:
    """Record the organisation profile of ``campaign``, unless some fact is already recorded
    (a second run keeps what was recorded since) or the profile is not available."""
    profile = profile_definition()
    if profile is None or stored_answers(campaign):
        return
    save_profile(campaign, profile, facts, actor=consultant, locale="ja")


def _closed_round_token(campaign: Campaign) -> str:
    """A fresh link for the first participant who answered ``campaign`` (a closed round)."""
    participant = db.session.scalar(
        select(Participant)
        .where(Participant.campaign_id == campaign.id, Participant.status == "submitted")
        .order_by(Participant.id)
        .limit(1)
    )
    return add_link(participant, "manual") if participant is not None else ""


def _demo_respondent_token(campaign: Campaign, org: Organization) -> str:
    """A fresh link for the demo respondent (links are stored hashed, so another is added).

    Not audited, like the rest of the seed's participants (see ``_populate``).
    """
    participant = db.session.scalar(
        select(Participant).where(
            Participant.campaign_id == campaign.id, Participant.email == DEMO_RESPONDENT_EMAIL
        )
    )
    if participant is None:
        dept = next(d for d in org.departments if d.name == "個人営業部")
        role = next(r for r in org.roles if r.key == "middle_manager")
        participant, token = invite_participant(
            campaign, dept, role, name="デモ 回答者", email=DEMO_RESPONDENT_EMAIL
        )
        return token
    return add_link(participant, "manual")


# The benchmark ---------------------------------------------------------------------------------

#: The bank in the benchmark: a bank of 1,000 to 4,999 employees that has joined.
DEMO_INDUSTRY = "banking"
DEMO_SIZE_BAND = "1000-4999"


@dataclass(frozen=True)
class BenchmarkPeer:
    """Another fictional client that has joined the benchmark."""

    slug: str
    name: str
    name_en: str
    industry: str
    size_band: str
    #: How much more mature than the bank's baseline it sees itself, on average.
    shift: float


#: The bank's peers in the benchmark, each with one closed round on the version of the bank's
#: current five-capabilities round. Five banks make its pool "the same industry"; only four
#: peers share its size band, so the narrowest pool is passed over, as the page says.
BENCHMARK_PEERS: tuple[BenchmarkPeer, ...] = (
    BenchmarkPeer("kita-shinkin", "きた信用金庫", "Kita Shinkin Bank", "banking", "100-999", -0.35),
    BenchmarkPeer("higashi-bank", "ひがし銀行", "Higashi Bank", "banking", "1000-4999", 0.25),
    BenchmarkPeer(
        "nishi-bank", "にし地方銀行", "Nishi Regional Bank", "banking", "1000-4999", -0.1
    ),
    BenchmarkPeer("chuo-bank", "ちゅうおう銀行", "Chuo Bank", "banking", "1000-4999", 0.4),
    BenchmarkPeer("minami-trust", "みなみ信託銀行", "Minami Trust Bank", "banking", "5000+", 0.1),
    BenchmarkPeer(
        "sakura-insurance", "さくら損害保険", "Sakura Insurance", "insurance", "1000-4999", 0.3
    ),
)
#: Each peer's departments (none named like one of the bank's) and respondents per role in
#: each; their answers were collected on paper and imported, so they have no participants.
PEER_DEPARTMENTS = (
    ("営業部", "Sales Department"),
    ("業務部", "Operations Department"),
    ("企画部", "Planning Department"),
)
PEER_HEADCOUNT = {"executive": 2, "middle_manager": 4, "frontline": 8}
PEER_CAMPAIGN = ("2026年度 CX成熟度診断", "FY2026 CX Maturity Assessment")


def _seed_benchmark(bank: Organization, seed: int) -> None:
    """File the bank under its industry and size and join it to the benchmark (unless its
    settings were changed since), and seed its peers (those not seeded yet)."""
    if bank.industry is None and bank.size_band is None and not bank.benchmark_opt_in:
        set_benchmark(bank, industry=DEMO_INDUSTRY, size_band=DEMO_SIZE_BAND, opt_in=True)
    for peer in BENCHMARK_PEERS:
        if db.session.scalar(select(Organization.id).where(Organization.slug == peer.slug)):
            continue
        _seed_peer(peer, random.Random(f"{seed}|{peer.slug}"))


def _seed_peer(peer: BenchmarkPeer, rng: random.Random) -> None:
    org = create_organization(peer.slug, peer.name, name_en=peer.name_en)
    for name, name_en in PEER_DEPARTMENTS:
        add_department(org, name, name_en=name_en)
    set_benchmark(org, industry=peer.industry, size_band=peer.size_band, opt_in=True)
    name, name_en = PEER_CAMPAIGN
    questionnaire = get_questionnaire(CAMPAIGNS[0][0])
    campaign = create_campaign(org, questionnaire, name, name_en=name_en)
    open_campaign(campaign)
    roles = {role.key: role for role in org.roles}
    now = utcnow()
    answered: list[tuple[Response, str, str]] = []
    for department in org.departments:
        for role_key, count in PEER_HEADCOUNT.items():
            for _index in range(count):
                response = Response(
                    campaign_id=campaign.id,
                    department_id=department.id,
                    role_id=roles[role_key].id,
                    status="submitted",
                    source="import",
                    submitted_at=now,
                )
                db.session.add(response)
                answered.append((response, department.name, role_key))
    people_shift = _person_shifts(rng, [role_key for _r, _d, role_key in answered])
    db.session.flush()
    # Each peer is stronger in some capabilities than in others.
    shift = {d.id: peer.shift + rng.gauss(0.0, 0.25) for d in questionnaire.dimensions}
    _insert_answers(campaign, answered, people_shift, rng, shift, now)
    close_campaign(campaign)
