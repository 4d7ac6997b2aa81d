"""Property-based run of the API against its own OpenAPI document: no 500, documented shapes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from app.api.openapi import openapi_document
from app.operations.campaigns import close_campaign
from app.platform.extensions import db as _db
from tests.integration.test_api_v1 import World, auth, make_world, module_app

# Built from the document itself rather than from a fixture: the schema is the same for every
# app instance, and requests go to the test's app through the WSGI transport.
schema = schemathesis.openapi.from_dict(openapi_document())
# Every value outside the document's (negative data) must be refused with a 4xx. Unknown query
# parameters are ignored, as web APIs usually do, so none are sent; the token is the test's own.
schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)


@pytest.fixture(scope="module")
def api(database_url) -> Iterator[tuple[Flask, World]]:
    """The API tests' world, with its campaign closed so repeated requests hit the cache."""
    with module_app(database_url) as app:
        world = make_world(_db)
        close_campaign(world.campaign)
        _db.session.commit()
        yield app, world


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, api: tuple[Flask, World]) -> None:
    app, world = api
    # Checks that send requests of their own (for instance without the token) go to this app.
    case.operation.schema.app = app
    case.operation.app = app
    headers = auth(world.consultant)
    # A write names the campaign's own dimensions, items and departments, which no document
    # can list: a well-formed value that names none of them is a 400, not a 2xx.
    writes = [positive_data_acceptance] if case.method.upper() != "GET" else []
    case.call_and_validate(headers=headers, excluded_checks=writes)
    if "campaign_id" in (case.path_parameters or {}):
        # Random ids are almost always unknown: also ask about the campaign that has data.
        # The id is no longer the generated one, so negative data is judged by the first call.
        case.path_parameters["campaign_id"] = world.campaign.id
        case.call_and_validate(headers=headers, excluded_checks=[negative_data_rejection, *writes])
