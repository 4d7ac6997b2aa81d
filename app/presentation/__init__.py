"""What the dashboard and the PDF reports both draw and print: charts (matplotlib to SVG),
the Japanese fonts they use, and how numbers, dates and levels are formatted."""
