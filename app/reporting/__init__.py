"""Diagnostic reports as PDF documents (Jinja2 and sandboxed WeasyPrint).

Entry points live in :mod:`app.reporting.service` (``render_html``, ``render_pdf``,
``render_individual_report``) and :mod:`app.reporting.jobs` (batches); the web routes in
:mod:`app.reports` and the ``flask report`` commands call them. Charts and number formats
come from :mod:`app.presentation`. Importing this package is cheap: matplotlib and WeasyPrint
load on the first render.
"""
