"""The base of the staff forms: every text field refuses control characters.

Each form states only what is particular to it; the rule on invisible characters
(``app.platform.text``) is applied here once, to every text field a form declares, so a field
added later is covered without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from babel.support import NullTranslations, Translations
from flask import current_app
from flask_babel import get_locale, gettext
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField, ValidationError
from wtforms.i18n import messages_path

from app.platform.cache import BoundedCache
from app.platform.text import find_control_character

Validator = Callable[[Any, Field], None]


def refuse_control_characters(*, allow_line_breaks: bool = False) -> Validator:
    """A WTForms validator: the field's text may not contain a control character."""

    def check(_form: Any, field: Field) -> None:
        if not isinstance(field.data, str):
            return
        found = find_control_character(field.data, allow_line_breaks=allow_line_breaks)
        if found is not None:
            raise ValidationError(
                gettext(
                    "%(field)s contains a control character (%(char)s) at character "
                    "%(position)d; remove it and try again.",
                    field=field.label.text,
                    char=found.codepoint,
                    position=found.position,
                )
            )

    return check


_SINGLE_LINE = refuse_control_characters()
_ONE_PER_LINE = refuse_control_characters(allow_line_breaks=True)


def _text_policy(field: Field) -> Validator | None:
    # Passwords are never stored or shown, and hidden fields carry data the view checks itself
    # (a previewed CSV file is parsed again, cell by cell).
    if isinstance(field, PasswordField | HiddenField) or not isinstance(field, StringField):
        return None
    return _ONE_PER_LINE if isinstance(field, TextAreaField) else _SINGLE_LINE


#: WTForms' own messages ("Not a valid choice"...), read once per process and locale.
_wtforms_messages: BoundedCache[str, NullTranslations] = BoundedCache(8)


def wtforms_messages(locale: str) -> NullTranslations:
    """WTForms' catalogue of its built-in messages in ``locale``."""
    return _wtforms_messages.get_or_create(
        locale, lambda: Translations.load(messages_path(), [locale], domain="wtforms")
    )


class BaseForm(FlaskForm):
    """A Flask-WTF form whose built-in messages come from a catalogue read once per process
    (Flask-WTF reads it again on every request that builds a form)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_messages(str(get_locale()))


class Form(BaseForm):
    """A Flask-WTF form whose text fields refuse control characters (names, keys, emails).

    Single-line fields refuse every control character; text areas (one name per line) accept
    line breaks only. Free text that keeps its line breaks and tabs (open answers) is not a
    staff form: the survey cleans it with ``clean_free_text`` instead.
    """

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        extra: dict[str, list[Any]] = {
            name: list(validators) for name, validators in (extra_validators or {}).items()
        }
        for name, field in self._fields.items():
            policy = _text_policy(field)
            if policy is not None:
                extra.setdefault(name, []).append(policy)
        return super().validate(extra_validators=extra)
