"""MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE for url-encoded forms too, on every route.

Werkzeug applies both settings only while it parses a multipart body; a url-encoded body is
read whole (within MAX_CONTENT_LENGTH) and split into as many fields, of any size, as it holds.
``LimitedRequest`` parses url-encoded bodies with the same two limits, and
``parse_urlencoded_form`` parses them before any view runs, so that a route which never reads
its form (or does not exist) refuses them as well. A refusal is a ``FormTooLarge`` (413) that
names the limit; ``hardening`` turns it into the page or the JSON error.
"""

from __future__ import annotations

import io
from typing import IO, Any
from urllib.parse import unquote_to_bytes

from flask import Request, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

URLENCODED = "application/x-www-form-urlencoded"


class FormTooLarge(RequestEntityTooLarge):
    """A url-encoded form over ``MAX_FORM_PARTS`` fields, or with a field over
    ``MAX_FORM_MEMORY_SIZE`` bytes; ``limit`` is the setting's name, ``maximum`` its value."""

    def __init__(self, limit: str, maximum: int) -> None:
        unit = "fields" if limit == "MAX_FORM_PARTS" else "bytes in one field"
        super().__init__(
            f"The form holds more than this site accepts: at most {maximum} {unit} ({limit})."
        )
        self.limit = limit
        self.maximum = maximum


def check_urlencoded(body: bytes, max_parts: int | None, max_field_bytes: int | None) -> None:
    """Raise ``FormTooLarge`` when ``body`` has more fields than ``max_parts`` or a value
    longer than ``max_field_bytes`` once decoded. Cheap for ordinary forms: fields are counted
    only when the separators say there may be too many, and decoded only when long."""
    if max_parts is not None and body.count(b"&") >= max_parts:
        # Empty segments ("a=1&&b=2") are not fields: the parser skips them.
        fields = sum(1 for part in body.split(b"&") if part)
        if fields > max_parts:
            raise FormTooLarge("MAX_FORM_PARTS", max_parts)
    if max_field_bytes is not None and len(body) > max_field_bytes:
        for part in body.split(b"&"):
            if len(part) <= max_field_bytes:
                continue
            value = part.partition(b"=")[2] if b"=" in part else part
            if len(unquote_to_bytes(value.replace(b"+", b" "))) > max_field_bytes:
                raise FormTooLarge("MAX_FORM_MEMORY_SIZE", max_field_bytes)


class LimitedFormDataParser(FormDataParser):
    """Werkzeug's parser, with the multipart limits applied to url-encoded bodies as well."""

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        body = stream.read()
        check_urlencoded(body, self.max_form_parts, self.max_form_memory_size)
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


class LimitedRequest(Request):
    """Flask's request, parsing forms with ``LimitedFormDataParser``."""

    form_data_parser_class = LimitedFormDataParser


def parse_urlencoded_form() -> None:
    """Parse a url-encoded body before the view (a ``before_request`` hook), so that its
    limits hold on every route, including those that never read a form."""
    if request.mimetype == URLENCODED:
        request.form  # noqa: B018 (parsing is the point)
