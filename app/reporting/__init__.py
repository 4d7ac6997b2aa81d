"""Diagnostic reports as PDF documents (Jinja2 and sandboxed WeasyPrint).

Entry points live in :mod:`app.reporting.service` (``render_html``, ``render_pdf``,
``render_individual_report``) and :mod:`app.reporting.jobs` (batches); the web routes in
:mod:`app.reports` and the ``flask report`` commands call them, and hand over the app factory
when a report is rendered in a process of its own (the factory the app was built with, see
:func:`app.reporting.processes.app_factory`). The organisation and department reports
are assembled (:mod:`app.reporting.assembler`) from one module per section
(:mod:`app.reporting.sections`), all reading the campaign's results object. Charts, number
formats and the view pieces the dashboard shares come from :mod:`app.presentation`.
WeasyPrint, the one heavy library only reports need, loads on the first render.
"""
