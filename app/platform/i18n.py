"""Locale selection and localized-text helpers shared by templates and views."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request, session, url_for
from flask_babel import get_locale


def remember_requested_locale() -> None:
    """Keep ``?lang=`` in the session even when the request only redirects (a personal link)."""
    requested = request.args.get("lang")
    if requested in current_app.config["CX_LOCALES"]:
        session["lang"] = requested


def select_locale() -> str:
    """The explicit choice (``?lang=``, remembered in the session), then Japanese for respondents
    and the browser's preference for staff pages, then Japanese."""
    locales = current_app.config["CX_LOCALES"]
    requested = request.args.get("lang")
    if requested in locales:
        session["lang"] = requested
        return requested
    chosen = session.get("lang")
    if chosen in locales:
        return chosen
    if request.blueprint == "survey":
        # Respondents start in the questionnaires' default language (Japanese) whatever their
        # browser says; the language switch is on every page and the choice is remembered.
        return locales[0]
    return request.accept_languages.best_match(locales) or locales[0]


def current_locale() -> str:
    locale = get_locale()
    return str(locale) if locale else current_app.config["CX_LOCALES"][0]


def language_url(code: str) -> str:
    """This page in another language: same endpoint, path and query (sort, filters, overlays).

    Pages reached by a form post (an error shown after a POST) switch on the home page instead,
    since their address cannot be requested again as it is.
    """
    rule = request.url_rule
    if request.endpoint is None or rule is None or "GET" not in (rule.methods or ()):
        return url_for("main.index", lang=code)
    path_args: dict[str, Any] = dict(request.view_args or {})
    query = {
        key: request.args.getlist(key)
        for key in request.args
        if key != "lang" and key not in path_args
    }
    return url_for(request.endpoint, **path_args, **query, lang=code)


def localized(text: Any, locale: str | None = None) -> str:
    """Pick the text for the locale from a ``{locale: text}`` mapping or a LocalizedText."""
    if text is None:
        return ""
    locale = locale or current_locale()
    if hasattr(text, "get") and not isinstance(text, Mapping):
        return text.get(locale)
    if isinstance(text, Mapping):
        return text.get(locale) or next(iter(text.values()), "")
    return str(text)
