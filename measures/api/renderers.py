"""CSV for every list: the same filters, stable column names, UTF-8 with a BOM so that
spreadsheet programs show Chinese correctly."""

import csv
import io
from collections.abc import Iterable

from rest_framework.renderers import BaseRenderer


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(cell(item) for item in value)
    return str(value)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        view = (renderer_context or {}).get("view")
        columns = getattr(view, "csv_columns", None)
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        if not isinstance(data, list) or columns is None:
            # An error or a single object: one column per key, so it is still a valid CSV.
            rows = [data] if isinstance(data, dict) else []
            columns = list(rows[0]) if rows else ["detail"]
            return self.write(columns, ([row.get(c) for c in columns] for row in rows))
        return self.write(
            [name for name, _ in columns],
            ([cell(extract(item)) for _, extract in columns] for item in data),
        )

    @staticmethod
    def write(header: list[str], rows: Iterable[list]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(value) for value in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
