"""The sections of the organisation and department reports, one module each.

Every section is a small builder over a :class:`~app.reporting.sections.base.ReportContext`
(the results object read for one report: its scope, language, scale and chapter numbering):
``build(report, ...)`` returns the section's view (a frozen dataclass of
:mod:`app.reporting.viewmodel`, or None when the report has no such chapter) and
``toc_entry(section)`` its line in the table of contents. A numbered chapter takes its number
with ``report.next_number()`` when it is built, so chapters are numbered in the order
:func:`app.reporting.assembler.build_report_view` builds them.

Adding a section: write its module here, add its view to the viewmodel and a field to
``ReportView``, call it from the assembler at its place in the chapter order, and render it
from the report templates (``reports/<name>/``).
"""
