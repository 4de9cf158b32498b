"""Reading an uploaded table: CSV in the encodings Chinese offices send (UTF-8
with or without BOM, GBK/GB18030, Big5, UTF-16 from Excel's "Unicode text"),
and XLSX. Rows are streamed: memory does not grow with the file.

Pure Python (no Django).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_BYTES = 256 * 1024
# Encodings offered for a manual choice, in the order they are tried.
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "big5", "utf-16")
DELIMITERS = ",\t;|"
# csv refuses fields over 128 KiB by default; a cell of notes can be long,
# but a "row" of megabytes is a file that is not CSV.
csv.field_size_limit(4 * 1024 * 1024)


class FileProblem(ValueError):
    """A file that cannot be read as a table at all. `code` says why
    (transfer.engine.MESSAGES), `detail` adds what was seen."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code if not detail else f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class Shape:
    """What a file is: its format, encoding, delimiter and header row."""

    file_format: str  # csv | xlsx
    encoding: str = ""
    delimiter: str = ","
    header_line: int = 1
    headers: list[str] = field(default_factory=list)


@dataclass
class Row:
    line: int  # where the row starts in the file (1 = the first line)
    values: list[Any]
    progress: int  # bytes read so far (CSV) or rows read (XLSX)


def _strip_partial(sample: bytes) -> bytes:
    """A sample cut at the last line break, so a multi-byte character is not split."""
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    body = _strip_partial(sample) if len(sample) >= SAMPLE_BYTES else sample
    if b"\x00" in body:
        raise FileProblem("binary")
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    fits = []
    for encoding in ("gb18030", "big5"):
        try:
            decoded = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        fits.append((encoding, decoded))
    if not fits:
        raise FileProblem("encoding")
    if len(fits) == 1:
        return fits[0][0]
    # Both decode (short files can): the reading with more of the commonest
    # characters wins, and GB18030 on a tie (most files here are mainland ones).
    return max(fits, key=lambda fit: (_common_share(fit[1]), fit[0] == "gb18030"))[0]


# The most frequent characters of names and addresses, in both scripts.
_COMMON = frozenset(
    "的一是在有人中国公司市区省路号大学科技贸易有限责任股份集团工业电子信息商务服务广东北京上海深圳"
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "的一是在有人中國公司市區省路號大學科技貿易有限責任股份集團工業電子資訊商務服務廣東北京上海深圳"
    "王李張劉陳楊黃趙吳周徐孫馬朱胡郭何高林羅鄭梁謝宋唐許韓馮鄧曹彭曾蕭田董袁潘於蔣蔡余杜葉程蘇魏呂丁任沈"
)


def _common_share(decoded: str) -> float:
    han = [c for c in decoded if "\u3400" <= c <= "\u9fff"]
    return sum(c in _COMMON for c in han) / len(han) if han else 0.0


def sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The Sniffer wants consistent counts; fall back to the delimiter the header uses most.
        return max(DELIMITERS, key=lambda d: (lines[0].count(d), d == ","))


def inspect(path: Path, *, encoding: str = "", delimiter: str = "", header_hint=None) -> Shape:
    """Look at a file's start: format, encoding, delimiter and which row holds
    the headers. `header_hint(cells)` scores a row as a header (the known
    column names it contains); the best row among the first ten wins."""
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if not sample.strip():
        raise FileProblem("empty")
    if sample.startswith(b"PK\x03\x04"):
        return _inspect_xlsx(path, header_hint)
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("xls")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FileProblem("unknown_encoding", encoding) from None
    encoding = encoding or detect_encoding(sample)
    text = _strip_partial(sample).decode(encoding, errors="replace") if len(sample) >= SAMPLE_BYTES else sample.decode(encoding, errors="replace")
    if text.count("\ufffd") > max(10, len(text) // 100):
        raise FileProblem("encoding", encoding)
    delimiter = delimiter or sniff_delimiter(text.lstrip("\ufeff"))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))[:10]
    line, headers = _header(rows, header_hint, _line_starts(text.lstrip("\ufeff"), delimiter))
    return Shape("csv", encoding, delimiter, line, headers)


def _line_starts(text: str, delimiter: str) -> list[int]:
    """The file line where each of the first rows starts (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    starts, last = [], 0
    for _ in range(10):
        try:
            next(reader)
        except (StopIteration, csv.Error):
            break
        starts.append(last + 1)
        last = reader.line_num
    return starts


def _header(rows: list[list[Any]], hint, starts: list[int]) -> tuple[int, list[str]]:
    candidates = [(i, r) for i, r in enumerate(rows) if any(str(c or "").strip() for c in r)]
    if not candidates:
        raise FileProblem("empty")
    best_index, best = candidates[0]
    if hint:
        score = {i: hint([str(c or "") for c in r]) for i, r in candidates}
        top = max(score.values())
        if top > 0:
            best_index = min(i for i, s in score.items() if s == top)
            best = rows[best_index]
    headers = [str(c if c is not None else "").strip() for c in best]
    while headers and not headers[-1]:
        headers.pop()
    return starts[best_index] if best_index < len(starts) else best_index + 1, headers


def _inspect_xlsx(path: Path, hint) -> Shape:
    with _workbook(path) as workbook:
        rows = [list(values) for values in workbook.worksheets[0].iter_rows(max_row=10, values_only=True)]
    line, headers = _header(rows, hint, list(range(1, len(rows) + 1)))
    return Shape("xlsx", header_line=line, headers=headers)


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # An open file, not the path: openpyxl judges a path by its extension,
    # and an upload's name says little about what it is.
    with open(path, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise FileProblem("bad_xlsx", str(exc)[:200]) from None
        try:
            yield workbook
        finally:
            workbook.close()


def rows(path: Path, shape: Shape, *, skip: int = 0) -> Iterator[Row]:
    """The data rows after the header, `skip` of them passed over unread."""
    if shape.file_format == "xlsx":
        yield from _xlsx_rows(path, shape, skip)
    else:
        yield from _csv_rows(path, shape, skip)


class _Counting(io.RawIOBase):
    """A file that counts the bytes read from it, for progress."""

    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n


def _csv_rows(path: Path, shape: Shape, skip: int) -> Iterator[Row]:
    with open(path, "rb", buffering=0) as raw:
        counting = _Counting(raw)
        # errors="replace": a byte that is not in the encoding shows as U+FFFD
        # in its cell, and that row is rejected; the rest of the file still reads.
        stream = io.TextIOWrapper(io.BufferedReader(counting, 1 << 20), encoding=shape.encoding, errors="replace", newline="")
        reader = csv.reader(stream, delimiter=shape.delimiter, strict=False)
        last_line = 0
        try:
            while reader.line_num < shape.header_line:
                next(reader)
            last_line = reader.line_num
            seen = 0
            for values in reader:
                start, last_line = last_line + 1, reader.line_num
                if not values or not any(v.strip() for v in values):
                    continue
                seen += 1
                if seen <= skip:
                    continue
                yield Row(start, values, counting.count)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileProblem("csv", f"{last_line + 1}: {exc}") from None


def _xlsx_rows(path: Path, shape: Shape, skip: int) -> Iterator[Row]:
    with _workbook(path) as workbook:
        sheet = workbook.worksheets[0]
        seen = 0
        for number, values in enumerate(sheet.iter_rows(min_row=shape.header_line + 1, values_only=True), start=shape.header_line + 1):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            seen += 1
            if seen <= skip:
                continue
            yield Row(number, list(values), number)


def count_hint(path: Path, shape: Shape) -> int:
    """Rows to expect: exact for XLSX (the sheet says), estimated for CSV from
    the file's size and the first rows' length. For progress bars and for
    deciding whether an import runs in the background."""
    if shape.file_format == "xlsx":
        with _workbook(path) as workbook:
            return max(0, (workbook.worksheets[0].max_row or 0) - shape.header_line)
    size = path.stat().st_size
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    lines = sample.count(b"\n")
    if lines <= 1 or len(sample) >= size:
        return max(0, lines + (0 if sample.endswith(b"\n") else 1) - shape.header_line)
    return int(size / (len(sample) / lines)) - shape.header_line
