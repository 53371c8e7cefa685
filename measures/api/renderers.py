"""Every list as a spreadsheet: CSV and Excel (.xlsx) with the same filters and stable column
names. CSV is UTF-8 with a BOM, so that spreadsheet programs show Chinese correctly; xlsx keeps
numbers as numbers."""

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.renderers import BaseRenderer

from .names import with_names

# The formats a list downloads as (`?format=csv`, `?format=xlsx`).
EXPORT_FORMATS = {"csv", "xlsx"}


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(cell(item) for item in value)
    return str(value)


def table(data, view) -> tuple[list[str], Iterator[list]]:
    """The header and the rows of a list (the view's `csv_columns`, or `export_columns()`
    when the columns depend on the request; each code column in the view's `csv_names`
    followed by its names in Chinese and English); an error or a single object gets one
    column per key, so that it is still a valid table."""
    columns = view.export_columns() if hasattr(view, "export_columns") else None
    if columns is None:
        columns = getattr(view, "csv_columns", None)
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if not isinstance(data, list) or columns is None:
        records = [data] if isinstance(data, dict) else []
        header = list(records[0]) if records else ["detail"]
        return header, ([record.get(name) for name in header] for record in records)
    columns = with_names(columns, getattr(view, "csv_names", {}))
    return [name for name, _ in columns], (
        [extract(item) for _, extract in columns] for item in data
    )


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        header, rows = table(data, (renderer_context or {}).get("view"))
        return self.write(header, rows)

    @staticmethod
    def write(header: list[str], rows: Iterable[list]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(value) for value in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class XLSXRenderer(BaseRenderer):
    """One sheet, the header frozen; written in openpyxl's write-only mode, which keeps no
    cell objects, so a whole-table export costs little more memory than its bytes."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        header, rows = table(data, (renderer_context or {}).get("view"))
        return workbook_bytes(header, rows)


def workbook_bytes(header: list[str], rows: Iterable[list], title: str = "data") -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append(header)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_cell(sheet, value):
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", cell(value))  # control characters: not in XML
    if not text.startswith("="):
        return text
    # Text that reads as a formula stays text: a title is never run as a formula.
    literal = WriteOnlyCell(sheet, text)
    literal.data_type = "s"
    return literal
