"""Reading files as Chinese offices send them, and the cell parsers."""

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import Workbook

from manyi.transfer import fields, readers

ROWS = [["客户名称", "手机", "地址"], ["北京華為科技有限公司", "138 1234 5678", "北京市海淀区中关村大街1号"], ["张三", "+86 139-0000-1111", "深圳市南山区"]]


def _csv(rows, *, delimiter=",", newline="\r\n") -> str:
    return newline.join(delimiter.join(r) for r in rows) + newline


@pytest.mark.parametrize(
    "encoding,data_encoding",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gbk"),
        ("gb18030", "gb18030"),
        ("big5", "big5"),
        ("utf-16", "utf-16"),
    ],
)
def test_every_encoding_is_detected_and_read(tmp_path, encoding, data_encoding):
    rows = ROWS if data_encoding != "big5" else [["客戶名稱", "手機", "地址"], ["北京華為科技有限公司", "138 1234 5678", "臺北市信義區"]]
    path = tmp_path / "c.csv"
    path.write_bytes(_csv(rows).encode(data_encoding))
    shape = readers.inspect(path)
    assert shape.encoding == encoding
    assert shape.headers == rows[0]
    got = [(r.line, r.values) for r in readers.rows(path, shape)]
    assert got == [(i + 2, row) for i, row in enumerate(rows[1:])]


def test_a_long_gbk_file_is_told_from_big5(tmp_path):
    path = tmp_path / "c.csv"
    body = [ROWS[0]] + [[f"广州市{i}号贸易有限公司", f"1390000{i:04d}", "广东省广州市天河区体育西路"] for i in range(5000)]
    path.write_bytes(_csv(body).encode("gbk"))
    assert readers.inspect(path).encoding == "gb18030"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, delimiter):
    path = tmp_path / "c.csv"
    path.write_text(_csv(ROWS, delimiter=delimiter), encoding="utf-8")
    shape = readers.inspect(path)
    assert shape.delimiter == delimiter
    assert shape.headers == ROWS[0]


def test_a_title_row_above_the_headers_is_passed_over(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(_csv([["客户列表（2024年导出）"], *ROWS]), encoding="utf-8")
    shape = readers.inspect(path, header_hint=lambda cells: sum(c in ("客户名称", "手机") for c in cells))
    assert shape.header_line == 2
    assert [r.line for r in readers.rows(path, shape)] == [3, 4]


def test_a_quoted_cell_over_two_lines_keeps_the_line_where_its_row_starts(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('客户名称,备注\r\n甲公司,"第一行\r\n第二行"\r\n乙公司,x\r\n', encoding="utf-8")
    rows = list(readers.rows(path, readers.inspect(path)))
    assert [(r.line, r.values) for r in rows] == [(2, ["甲公司", "第一行\r\n第二行"]), (4, ["乙公司", "x"])]


def test_blank_lines_are_not_rows_and_skip_resumes_after_n_rows(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("客户名称\n甲\n\n乙\n丙\n", encoding="utf-8")
    shape = readers.inspect(path)
    assert [r.values[0] for r in readers.rows(path, shape, skip=2)] == ["丙"]


@pytest.mark.parametrize(
    "content,code",
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (bytes(range(256)) * 40, "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "xls"),
        (b"PK\x03\x04 not really a zip", "bad_xlsx"),
    ],
)
def test_files_that_are_no_table_are_refused_with_the_reason(tmp_path, content, code):
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    with pytest.raises(readers.FileProblem) as caught:
        readers.inspect(path)
    assert caught.value.code == code


def test_an_unknown_encoding_choice_is_refused(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    with pytest.raises(readers.FileProblem) as caught:
        readers.inspect(path, encoding="klingon")
    assert caught.value.code == "unknown_encoding"


def test_a_wrongly_chosen_encoding_marks_the_cells_instead_of_failing(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(_csv([["name"], ["abc"], ["北京华为"]]).encode("gbk"))
    shape = readers.inspect(path, encoding="utf-8")
    values = [r.values[0] for r in readers.rows(path, shape)]
    assert values[0] == "abc" and "\ufffd" in values[1]


def test_xlsx_rows_come_with_their_sheet_row_numbers_and_types(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["客户名称", "手机", "生日"])
    sheet.append(["张三", 13812345678, dt.datetime(1985, 3, 5)])
    sheet.append([None, None, None])
    sheet.append(["李四", "139 0000 1111", "1990年1月2日"])
    path = tmp_path / "c.xlsx"
    book.save(path)
    shape = readers.inspect(path)
    assert shape.file_format == "xlsx" and shape.headers == ["客户名称", "手机", "生日"]
    rows = list(readers.rows(path, shape))
    assert [r.line for r in rows] == [2, 4]
    assert fields.phone(rows[0].values[1]) == "+8613812345678"
    assert fields.date(rows[0].values[2]) == dt.date(1985, 3, 5)
    assert readers.count_hint(path, shape) == 3


def test_count_hint_estimates_csv_rows(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(_csv([ROWS[0]] + [ROWS[1]] * 30000), encoding="utf-8")
    assert 27000 < readers.count_hint(path, readers.inspect(path)) < 33000


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("2024年3月5日", dt.date(2024, 3, 5)),
        ("2024/3/5", dt.date(2024, 3, 5)),
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024.3.5", dt.date(2024, 3, 5)),
        ("20240305", dt.date(2024, 3, 5)),
        ("２０２４年３月５日", dt.date(2024, 3, 5)),
        ("2024-03-05 14:30", dt.date(2024, 3, 5)),
        (45356, dt.date(2024, 3, 5)),
        ("45356", dt.date(2024, 3, 5)),
        ("", None),
    ],
)
def test_dates_in_chinese_and_iso_forms(raw, expected):
    assert fields.date(raw) == expected


@pytest.mark.parametrize("raw,code", [("2023年2月30日", "no_such_date"), ("明天", "date"), ("2024-13-01", "no_such_date"), ("3/5/2024", "date")])
def test_bad_dates_say_why(raw, code):
    with pytest.raises(fields.FieldError) as caught:
        fields.date(raw)
    assert caught.value.code == code


def test_datetimes():
    assert fields.datetime("2024年3月5日 14时30分") == dt.datetime(2024, 3, 5, 14, 30)
    assert fields.datetime("2024-03-05T09:05:07") == dt.datetime(2024, 3, 5, 9, 5, 7)
    assert fields.datetime("2024-03-05") == dt.datetime(2024, 3, 5)
    with pytest.raises(fields.FieldError):
        fields.datetime("2024-03-05 25:00")


@pytest.mark.parametrize(
    "raw,e164",
    [
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        (13812345678.0, "+8613812345678"),
        ("010-88886666", "+861088886666"),
        ("(0755)87654321", "+8675587654321"),
        ("０２１－６２３４５６７８", "+862162345678"),
    ],
)
def test_phones_are_normalised(raw, e164):
    assert fields.phone(raw) == e164


def test_numbers_money_and_flags():
    parse = fields.decimal(14, 2)
    assert parse("1,234.5") == Decimal("1234.50")
    assert parse("￥１２３") == Decimal("123.00")
    assert parse(12.5) == Decimal("12.50")
    for bad, code in (("十万", "number"), ("-5", "negative"), ("1e30", "number"), ("999999999999999", "too_big")):
        with pytest.raises(fields.FieldError) as caught:
            parse(bad)
        assert caught.value.code == code
    assert fields.whole()("1,200") == 1200
    assert [fields.boolean(v) for v in ("是", "否", "Yes", "0", "√", "")] == [True, False, True, False, True, None]


def test_choices_accept_values_and_labels_in_both_languages():
    parse = fields.choice(fields.spellings([("key", "Key")], {"key": ["Key", "关键客户"]}, {"关键": "key"}))
    assert {parse(v) for v in ("key", "KEY", "关键客户", "关键", " Key ")} == {"key"}
    with pytest.raises(fields.FieldError) as caught:
        parse("重要")
    assert caught.value.limit == ["key"]


def test_tags_split_on_chinese_and_latin_separators():
    assert fields.tags("重点、VIP，华东; 重点|老客户") == ["重点", "VIP", "华东", "老客户"]
    with pytest.raises(fields.FieldError):
        fields.tags("、".join(str(i) for i in range(21)))


def test_credit_codes_emails_and_lengths():
    assert fields.credit_code("91110000 600037341l") == "91110000600037341L"
    with pytest.raises(fields.FieldError):
        fields.credit_code("9111000060003734")
    assert fields.email(" Wang@Example.CN ") == "wang@example.cn"
    with pytest.raises(fields.FieldError):
        fields.email("wang@")
    with pytest.raises(fields.FieldError) as caught:
        fields.line(5)("六个字的名字")
    assert caught.value.code == "too_long"
    assert fields.free_text()("第一行\r\n第二行 ") == "第一行\n第二行"


def test_reading_does_not_keep_the_file_in_memory(tmp_path):
    """Rows stream: the reader holds one buffer, not the file."""
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="gbk", newline="") as f:
        f.write("客户名称,备注\r\n")
        f.writelines(f"公司{i},{'备注' * 20}\r\n" for i in range(60000))
    shape = readers.inspect(path)
    rows = readers.rows(path, shape)
    first = next(rows)
    assert first.progress <= (1 << 20) + readers.SAMPLE_BYTES
    assert sum(1 for _ in rows) == 59999
