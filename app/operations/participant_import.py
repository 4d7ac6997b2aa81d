"""Importing participants from a CSV file: parse and validate first, then apply.

The two steps are plain functions so that the CLI and the consultant's browser upload share
them: ``parse_participants`` returns an ``ImportPreview`` (the rows as they would be created,
or every problem with its file line and column), and ``apply_import`` creates the participants
only when the whole file is valid. Nothing is written when any row has a problem.

Files of any size take a bounded number of statements of bounded size: emails are looked up
in ``IN`` lists of ``QUERY_CHUNK`` values (PostgreSQL allows 65,535 parameters a statement),
and participants and links are written in bulk INSERTs of ``INSERT_CHUNK`` rows, never one
query per row. Large browser imports run in the background (``app.operations.import_jobs``).

The file has a header line (line 1) with the columns ``name``, ``email``, ``department`` and
``role`` in any order (Japanese headers 氏名, メールアドレス, 部署, 役割 are accepted too). It
may be UTF-8 with or without a byte-order mark, UTF-16, or Shift_JIS (cp932) as Excel writes
it in Japan (``app.operations.csv_input`` reads it). Departments are matched by name, roles by
key (``frontline``) or by label in any locale (``現場``). Every cell names something, so a
control character in any of them is refused at its line and column.

An optional column ``department_en`` (部署（英語）) gives a department's English name, which
English reports show: a department without one gets it; one whose English name differs, or a
file that gives one department two English names, is a problem of that line.

``check_entries`` checks a list of participants given as JSON objects (the API's upsert) with
the same rules and messages, an entry's position (from 1) standing for the file line; there a
participant already in the campaign is one to update, not a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Table, func, insert, select

from app.models import Campaign, Department, Participant, ParticipantLink, Role, User, utcnow
from app.models.participant import new_link_epoch
from app.operations import audit
from app.operations.csv_input import (
    CSV_MESSAGES,
    CsvProblem,
    UnreadableCsv,
    control_character,
    decode_csv,
    header_control_character,
    read_records,
)
from app.operations.errors import N_, OperationError
from app.operations.participants import EMAIL_RE, MAX_EMAIL_LENGTH
from app.platform.extensions import db
from app.platform.security import hash_token, new_token
from app.platform.text import find_control_character
from app.queries.organizations import find_department, find_role

REQUIRED_COLUMNS: tuple[str, ...] = ("email", "department", "role")
#: The fields of a participant given as a JSON object (``check_entries``).
ENTRY_FIELDS: tuple[str, ...] = ("name", "email", "department", "role")
OPTIONAL_COLUMNS: tuple[str, ...] = ("name", "department_en")
#: Accepted header spellings, compared case-insensitively after trimming.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "氏名", "名前"),
    "email": ("email", "e-mail", "mail", "メールアドレス", "メール"),
    "department": ("department", "部署", "部門", "所属"),
    "role": ("role", "役割", "階層"),
    "department_en": (
        "department_en",
        "department (english)",
        "部署（英語）",
        "部署(英語)",
        "部署英語名",
    ),
}
MAX_NAME_LENGTH = 200
#: Values in one ``IN (...)`` list: far below PostgreSQL's 65,535 bind parameters per
#: statement and SQLite's 32,766, whatever the size of the file.
QUERY_CHUNK = 1000
#: Rows written per bulk INSERT statement batch (each batch is split further by the driver).
INSERT_CHUNK = 5000
#: Emails named at most in the message refusing an import whose emails are taken now.
MAX_LISTED_EMAILS = 20
#: How often (in rows) ``parse_participants`` reports its progress.
PROGRESS_EVERY = 2000

#: Called with (rows checked, rows in the file) while a file is checked.
ProgressCallback = Callable[[int, int], None]
_T = TypeVar("_T")

MESSAGES: dict[str, str] = {
    **CSV_MESSAGES,
    "empty_file": N_("The file is empty: it needs a header line with the columns %(columns)s."),
    "missing_column": N_("Required column %(column)s is missing from the header."),
    "duplicate_column": N_("Column %(column)s appears more than once in the header."),
    "missing_value": N_("%(column)s is empty."),
    "too_few_fields": N_("This row has no %(column)s field (too few commas)."),
    "too_many_fields": N_("This row has more fields than the header."),
    "bad_email": N_("%(value)s is not a valid email address."),
    "too_long": N_("%(column)s is longer than %(max)d characters."),
    "duplicate_in_file": N_("%(value)s appears twice in the file (first on line %(first)d)."),
    "duplicate_in_campaign": N_("%(value)s is already a participant of this campaign."),
    "unknown_department": N_("There is no department named %(value)s (known: %(known)s)."),
    "unknown_role": N_("There is no role %(value)s (known: %(known)s)."),
    "english_name_differs": N_(
        "%(department)s already has the English name %(current)s, not %(value)s: change it "
        "in the department's settings first."
    ),
    "english_name_varies": N_(
        "%(department)s is given the English name %(value)s here but %(first)s on line %(line)d."
    ),
    "not_an_object": N_("A participant is a JSON object with the fields %(fields)s."),
    "unknown_field": N_("%(column)s is not a field of a participant (the fields: %(fields)s)."),
    "not_a_string": N_("%(column)s must be a string."),
}


@dataclass(frozen=True)
class ImportProblem(CsvProblem):
    """A problem in a participants file."""

    MESSAGES: ClassVar[Mapping[str, str]] = MESSAGES


@dataclass(slots=True)
class ImportRow:
    """A valid row, resolved against the organisation, ready to become a participant."""

    line: int
    name: str | None
    email: str
    department: Department
    role: Role
    #: The department's English name as the file gives it (None: not given).
    department_en: str | None = None


@dataclass
class ImportPreview:
    """The outcome of ``parse_participants``: rows to create, or the problems that stop it."""

    campaign_id: int
    encoding: str
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class ImportedParticipant:
    """A participant the import created (written in bulk: the row as saved, not an object)."""

    id: int
    name: str | None
    email: str
    department: Department
    role: Role
    #: The personal link token, known only now (it is stored hashed); None when the import
    #: added no link (the browser upload: links are handed out later).
    token: str | None
    line: int
    status: str = "invited"


def _canonical_header(raw: str) -> str | None:
    wanted = raw.strip().strip("\ufeff").casefold()
    for column, aliases in HEADER_ALIASES.items():
        if wanted in (alias.casefold() for alias in aliases):
            return column
    return None


def chunked(values: Sequence[_T], size: int = QUERY_CHUNK) -> Iterator[Sequence[_T]]:
    """``values`` in slices of at most ``size``, for bounded ``IN`` lists and batches."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def parse_participants(
    campaign: Campaign, data: bytes | str, *, on_progress: ProgressCallback | None = None
) -> ImportPreview:
    """Parse and validate a participants CSV against the campaign; writes nothing.

    Every problem is collected (not only the first), each with its line and column, so a file
    can be fixed in one pass. ``on_progress`` is called every ``PROGRESS_EVERY`` rows and at
    the end with (rows checked, rows in the file).
    """
    if isinstance(data, bytes):
        try:
            text, encoding = decode_csv(data)
        except UnreadableCsv as exc:
            preview = ImportPreview(campaign.id, "unknown")
            preview.problems.append(ImportProblem(exc.line, None, exc.code, exc.params))
            return preview
    else:
        text, encoding = data.lstrip("\ufeff"), "text"
    preview = ImportPreview(campaign.id, encoding)
    problems = preview.problems
    try:
        records = [
            (line, fields) for line, fields in read_records(text) if any(f.strip() for f in fields)
        ]
    except UnreadableCsv as exc:
        problems.append(ImportProblem(exc.line, None, exc.code, exc.params))
        return preview
    if not records or records[0][0] != 1:
        columns = ", ".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
        problems.append(ImportProblem(1, None, "empty_file", {"columns": columns}))
        return preview

    header_line, header = records[0]
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        refused = header_control_character(raw, index)
        if refused is not None:
            # Reported once; the column is still recognised by its visible name.
            raw = refused[0]
            problems.append(ImportProblem(header_line, raw, "control_character", refused[1]))
        column = _canonical_header(raw)
        if column is None:
            continue
        if column in positions:
            problems.append(
                ImportProblem(header_line, column, "duplicate_column", {"column": column})
            )
        positions[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            problems.append(
                ImportProblem(header_line, column, "missing_column", {"column": column})
            )
    if problems:
        return preview

    context = _RowContext.for_campaign(campaign, positions, len(header))
    # One scan of the whole file instead of one per cell: without a control character
    # between the line breaks, and without quotes (the only way a cell holds a line break),
    # no cell can have one.
    context.check_controls = '"' in text or (
        find_control_character(text, allow_line_breaks=True) is not None
    )
    total = len(records) - 1
    for checked, (line, fields) in enumerate(records[1:], start=1):
        row, row_problems = context.check(line, fields)
        problems.extend(row_problems)
        if row is not None:
            preview.rows.append(row)
        if on_progress is not None and checked % PROGRESS_EVERY == 0:
            on_progress(checked, total)
    if on_progress is not None:
        on_progress(total, total)
    return preview


@dataclass
class _RowContext:
    """What checking one row needs: the campaign's organisation and what was seen so far."""

    campaign: Campaign
    positions: dict[str, int]
    width: int
    existing: set[str]
    known_departments: str
    known_roles: str
    first_seen: dict[str, int] = field(default_factory=dict)
    #: Whether cells may hold control characters (else the per-cell check is skipped).
    check_controls: bool = True
    #: Departments and roles already looked up by the text of a cell (None: not found).
    departments: dict[str, Department | None] = field(default_factory=dict)
    roles: dict[str, Role | None] = field(default_factory=dict)
    #: The first English name the file gives each department, with its line, by department id.
    english_names: dict[int, tuple[str, int]] = field(default_factory=dict)

    @classmethod
    def for_campaign(
        cls,
        campaign: Campaign,
        positions: dict[str, int],
        width: int,
        *,
        refuse_existing: bool = True,
    ) -> _RowContext:
        """``refuse_existing``: an email already in the campaign is a problem of its row."""
        org = campaign.organization
        existing: set[str] = set()
        if refuse_existing:
            existing = set(
                db.session.scalars(
                    select(func.lower(Participant.email)).where(
                        Participant.campaign_id == campaign.id, Participant.email.is_not(None)
                    )
                )
            )
        return cls(
            campaign=campaign,
            positions=positions,
            width=width,
            existing=existing,
            known_departments=", ".join(d.name for d in org.departments if not d.archived),
            known_roles=", ".join(
                f"{r.key} ({' / '.join(str(v) for v in r.labels.values())})" for r in org.roles
            ),
        )

    def check(self, line: int, fields: list[str]) -> tuple[ImportRow | None, list[ImportProblem]]:
        problems: list[ImportProblem] = []
        values: dict[str, str] = {}
        for column, index in self.positions.items():
            if index < len(fields):
                values[column] = fields[index].strip()
            elif column in REQUIRED_COLUMNS:
                problems.append(ImportProblem(line, column, "too_few_fields", {"column": column}))
        if len(fields) > self.width and any(f.strip() for f in fields[self.width :]):
            problems.append(ImportProblem(line, None, "too_many_fields"))
        for column in REQUIRED_COLUMNS:
            if values.get(column) == "":
                problems.append(ImportProblem(line, column, "missing_value", {"column": column}))
        for column, value in list(values.items()) if self.check_controls else ():
            refused = control_character(value, column)
            if refused is not None:
                problems.append(ImportProblem(line, column, "control_character", refused))
                del values[column]
        name = values.get("name") or None
        if name and len(name) > MAX_NAME_LENGTH:
            problems.append(
                ImportProblem(line, "name", "too_long", {"column": "name", "max": MAX_NAME_LENGTH})
            )
        email = (values.get("email") or "").lower()
        if email:
            problems.extend(self._check_email(line, email))
        org = self.campaign.organization
        dept_name = values.get("department")
        department = None
        if dept_name:
            if dept_name not in self.departments:
                self.departments[dept_name] = find_department(org, dept_name)
            department = self.departments[dept_name]
        if dept_name and department is None:
            problems.append(
                ImportProblem(
                    line,
                    "department",
                    "unknown_department",
                    {"value": dept_name, "known": self.known_departments},
                )
            )
        role_name = values.get("role")
        role = None
        if role_name:
            if role_name not in self.roles:
                self.roles[role_name] = find_role(org, role_name)
            role = self.roles[role_name]
        if role_name and role is None:
            problems.append(
                ImportProblem(
                    line, "role", "unknown_role", {"value": role_name, "known": self.known_roles}
                )
            )
        department_en = values.get("department_en") or None
        if department_en and len(department_en) > MAX_NAME_LENGTH:
            problems.append(
                ImportProblem(
                    line,
                    "department_en",
                    "too_long",
                    {"column": "department_en", "max": MAX_NAME_LENGTH},
                )
            )
        elif department_en and department is not None:
            problems.extend(self._check_english_name(line, department, department_en))
        if problems or department is None or role is None or not email:
            return None, problems
        return ImportRow(line, name, email, department, role, department_en), problems

    def _check_english_name(
        self, line: int, department: Department, value: str
    ) -> list[ImportProblem]:
        """The English name a row gives its department agrees with the department's and with
        the file's earlier rows."""
        if department.name_en and department.name_en != value:
            params = {"department": department.name, "current": department.name_en, "value": value}
            return [ImportProblem(line, "department_en", "english_name_differs", params)]
        first, first_line = self.english_names.setdefault(department.id, (value, line))
        if first != value:
            params = {
                "department": department.name,
                "value": value,
                "first": first,
                "line": first_line,
            }
            return [ImportProblem(line, "department_en", "english_name_varies", params)]
        return []

    def _check_email(self, line: int, email: str) -> list[ImportProblem]:
        first = self.first_seen.setdefault(email, line)
        if len(email) > MAX_EMAIL_LENGTH:
            return [
                ImportProblem(
                    line, "email", "too_long", {"column": "email", "max": MAX_EMAIL_LENGTH}
                )
            ]
        if not EMAIL_RE.match(email):
            return [ImportProblem(line, "email", "bad_email", {"value": email})]
        if first != line:
            return [
                ImportProblem(line, "email", "duplicate_in_file", {"value": email, "first": first})
            ]
        if email in self.existing:
            return [ImportProblem(line, "email", "duplicate_in_campaign", {"value": email})]
        return []


def check_entries(
    campaign: Campaign, entries: Sequence[Any]
) -> tuple[list[ImportRow], list[ImportProblem]]:
    """Check participants given as JSON objects (``ENTRY_FIELDS``; ``name`` may be left out
    or null) as the rows of a file are checked; writes nothing.

    Each problem names the entry's position from 1 as its line, and the field. Emails already
    in the campaign are no problem here: the caller updates those participants.
    """
    fields_text = ", ".join(ENTRY_FIELDS)
    positions = {column: index for index, column in enumerate(ENTRY_FIELDS)}
    context = _RowContext.for_campaign(
        campaign, positions, len(ENTRY_FIELDS), refuse_existing=False
    )
    rows: list[ImportRow] = []
    problems: list[ImportProblem] = []
    for line, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(ImportProblem(line, None, "not_an_object", {"fields": fields_text}))
            continue
        shape: list[ImportProblem] = []
        for key in entry:
            if key not in positions:
                column = str(key)[:MAX_NAME_LENGTH]
                params = {"column": column, "fields": fields_text}
                shape.append(ImportProblem(line, column, "unknown_field", params))
        cells: list[str] = []
        for column in ENTRY_FIELDS:
            value = entry.get(column)
            if value is None:
                value = ""
            elif not isinstance(value, str):
                shape.append(ImportProblem(line, column, "not_a_string", {"column": column}))
                value = ""
            cells.append(value)
        row, found = context.check(line, cells)
        if shape:
            # A value of the wrong type was checked as empty: report what was sent instead.
            wrong = {problem.column for problem in shape}
            found = [p for p in found if not (p.code == "missing_value" and p.column in wrong)]
            problems.extend(shape)
            row = None
        problems.extend(found)
        if row is not None:
            rows.append(row)
    return rows, problems


def apply_import(
    campaign: Campaign,
    preview: ImportPreview,
    *,
    actor: User | None = None,
    with_links: bool = False,
) -> list[ImportedParticipant]:
    """Create the previewed participants; refuses a preview with problems or of another campaign.

    Records the ``participants.imported`` audit event (``actor`` is None from the CLI).
    ``with_links`` adds a personal link to each new participant, returned once in the
    result (the CLI prints them); otherwise links are handed out later (emails, links CSV).
    The caller commits. Emails are checked again, since someone may have added one of them
    between the preview and now.
    """
    if preview.campaign_id != campaign.id:
        raise OperationError(N_("This preview was made for another campaign."))
    if not preview.ok:
        raise OperationError(
            N_("The file has %(n)d problem(s); nothing was imported."), n=len(preview.problems)
        )
    taken = taken_emails(campaign, [row.email for row in preview.rows])
    if taken:
        shown = sorted(taken)
        more = len(shown) - MAX_LISTED_EMAILS
        raise OperationError(
            N_("Already participants of this campaign: %(emails)s."),
            emails=", ".join(shown[:MAX_LISTED_EMAILS]) + (f" (+{more})" if more > 0 else ""),
        )
    imported = insert_participants(campaign, preview.rows, with_links=with_links)
    named = _name_departments(preview.rows)
    # The campaign's participant list, if loaded, predates the rows written above.
    db.session.expire(campaign, ["participants"])
    audit.record(
        "participants.imported",
        campaign=campaign,
        user=actor,
        count=len(imported),
        **({"english_names": named} if named else {}),
    )
    return imported


def _name_departments(rows: Sequence[ImportRow]) -> int:
    """Give the departments without an English name the one the file gives; how many."""
    named = 0
    for row in rows:
        if row.department_en and not row.department.name_en:
            row.department.name_en = row.department_en
            named += 1
    if named:
        db.session.flush()
    return named


def taken_emails(campaign: Campaign, emails: Sequence[str]) -> set[str]:
    """Which of ``emails`` (lower case) already belong to participants of the campaign.

    Asked in bounded ``IN`` lists of ``QUERY_CHUNK`` values, so a file of any size stays
    within the database's limit of parameters per statement.
    """
    unique = sorted(set(emails))
    taken: set[str] = set()
    for part in chunked(unique):
        taken.update(
            db.session.scalars(
                select(func.lower(Participant.email)).where(
                    Participant.campaign_id == campaign.id,
                    func.lower(Participant.email).in_(part),
                )
            )
        )
    return taken


def _insert_many(table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (all with the same keys) in batches of ``INSERT_CHUNK``.

    One statement compiled once and run with the driver's executemany: SQLAlchemy's own
    executemany converts every value of every row through its column type, which costs more
    than the database's work here. The values are converted once per distinct value instead
    (the same timestamp on every row; integers and strings need nothing).
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    converters = {}
    for key in keys:
        process = table.c[key].type._cached_bind_processor(dialect)
        if process is not None:
            converters[key] = process
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = compiled.positiontup
    for part in chunked(rows, INSERT_CHUNK):
        cache: dict[tuple[str, Any], Any] = {}
        converted = []
        for row in part:
            values = dict(row)
            for key, process in converters.items():
                value = values[key]
                if value is not None:
                    marker = (key, value)
                    if marker not in cache:
                        cache[marker] = process(value)
                    values[key] = cache[marker]
            converted.append(tuple(values[name] for name in order) if order else values)
        connection.exec_driver_sql(compiled.string, converted)


def insert_participants(
    campaign: Campaign, rows: Sequence[ImportRow], *, with_links: bool
) -> list[ImportedParticipant]:
    """Bulk INSERTs of the rows (and their links), in file order; no query per row."""
    for department in {row.department for row in rows}:
        if department.organization_id != campaign.organization_id:
            raise OperationError(N_("The department belongs to another organisation."))
    for role in {row.role for row in rows}:
        if role.organization_id != campaign.organization_id:
            raise OperationError(N_("The role belongs to another organisation."))
    now = utcnow()
    _insert_many(
        Participant.__table__,
        [
            {
                "campaign_id": campaign.id,
                "department_id": row.department.id,
                "role_id": row.role.id,
                "name": row.name or None,
                "email": row.email,
                "status": "invited",
                "link_epoch": new_link_epoch(),
                "invited_at": now,
            }
            for row in rows
        ],
    )
    # Emails are unique in a campaign: one query maps them to the new ids, whatever the
    # database (no RETURNING of many rows in order needed).
    ids = dict(
        db.session.execute(
            select(Participant.email, Participant.id).where(Participant.campaign_id == campaign.id)
        ).all()
    )
    tokens: list[str | None] = [None] * len(rows)
    if with_links:
        tokens = [new_token() for _ in rows]
        _insert_many(
            ParticipantLink.__table__,
            [
                {
                    "participant_id": ids[row.email],
                    "token_hash": hash_token(token),
                    "channel": "import",
                    "created_at": now,
                }
                for row, token in zip(rows, tokens, strict=True)
            ],
        )
    imported = [
        ImportedParticipant(
            ids[row.email], row.name, row.email, row.department, row.role, token, row.line
        )
        for row, token in zip(rows, tokens, strict=True)
    ]
    return imported


def import_participants(
    campaign: Campaign, data: bytes | str, *, actor: User | None = None, with_links: bool = True
) -> tuple[ImportPreview, list[ImportedParticipant]]:
    """Parse, and apply when the whole file is valid; the caller commits."""
    preview = parse_participants(campaign, data)
    if not preview.ok:
        return preview, []
    return preview, apply_import(campaign, preview, actor=actor, with_links=with_links)
