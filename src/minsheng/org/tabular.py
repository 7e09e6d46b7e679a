"""Read and write simple tables as CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import PurePath

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from minsheng.core.errors import ValidationFailed


class TableFormat(StrEnum):
    """File formats a table can be read from and written to."""

    csv = "csv"
    xlsx = "xlsx"


MAX_TABLE_BYTES = 5 * 1024 * 1024

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


class InvalidTable(ValidationFailed):
    default_message = "文件无法读取，请上传 CSV 或 XLSX 文件"


def map_header(
    header: Sequence[str], *, names: Mapping[str, Sequence[str]], required: Sequence[str]
) -> dict[str, int]:
    """Map each known column to its index in the header row, accepting any of the column's names."""
    lookup = {_header_key(name): column for column, options in names.items() for name in options}
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        column = lookup.get(_header_key(text))
        if column is None:
            continue
        if column in columns:
            raise InvalidTable(f"表头中“{names[column][0]}”列出现了两次")
        columns[column] = index
    missing = [names[column][0] for column in required if column not in columns]
    if missing:
        expected = "、".join(options[0] for options in names.values())
        raise InvalidTable(f"缺少必需的列：{'、'.join(missing)}（首行须为表头，列名为 {expected}）")
    return columns


def _header_key(text: str) -> str:
    # Templates often mark required columns with * and users add stray spaces or full-width forms.
    return "".join(unicodedata.normalize("NFKC", text).split()).strip("*").casefold()


def detect_format(content: bytes, filename: str) -> TableFormat:
    """Tell CSV from XLSX by content first and extension second; reject anything else."""
    suffix = PurePath(filename or "").suffix.lower()
    if content.startswith(_XLS_MAGIC) or suffix == ".xls":
        raise InvalidTable("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入")
    if content.startswith(_XLSX_MAGIC):
        return TableFormat.xlsx
    if suffix in ("", ".csv", ".txt"):
        return TableFormat.csv
    if suffix == ".xlsx":
        raise InvalidTable("文件扩展名为 .xlsx，但内容不是有效的 Excel 文件")
    raise InvalidTable(f"不支持的文件类型 {suffix}，请上传 CSV 或 XLSX 文件")


def read_table(content: bytes, filename: str) -> list[list[str]]:
    """Return the file's rows as lists of trimmed strings, header row first, blank rows kept for numbering."""
    if len(content) > MAX_TABLE_BYTES:
        raise InvalidTable(f"文件过大（上限 {MAX_TABLE_BYTES // (1024 * 1024)} MB），请拆分后再导入")
    if not content.strip():
        raise InvalidTable("文件为空")
    rows = _read_xlsx(content) if detect_format(content, filename) is TableFormat.xlsx else _read_csv(content)
    if not any(any(row) for row in rows):
        raise InvalidTable("文件中没有数据")
    return rows


def _decode(content: bytes) -> str:
    if b"\x00" in content[:4096]:
        raise InvalidTable("文件不是文本格式的 CSV，请上传 CSV 或 XLSX 文件")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel on Chinese Windows saves CSV as GBK; GB18030 is its superset and decodes it too.
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidTable("无法识别文件编码，请将 CSV 保存为 UTF-8 或 GBK 编码") from exc


def _read_csv(content: bytes) -> list[list[str]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    # Tab-separated text is what copying cells out of a spreadsheet gives; anything else is comma CSV.
    dialect = csv.excel_tab if "\t" in first_line and "," not in first_line else csv.excel
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise InvalidTable(f"CSV 格式有误：{exc}") from exc


def _read_xlsx(content: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidTable("Excel 文件已损坏或不是有效的 XLSX 文件") from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    # Excel turns numeric codes into floats; 371502.0 should read back as 371502.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def write_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, fmt: TableFormat, title: str = "Sheet1"
) -> bytes:
    """Write a header and rows as CSV (UTF-8 with BOM so Excel opens it) or as XLSX."""
    if TableFormat(fmt) is TableFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    # Write every cell as text so codes such as 001 keep their leading zeros.
    for column in sheet.iter_cols(min_row=1):
        for cell in column:
            cell.number_format = "@"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
