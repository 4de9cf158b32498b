"""Import benchmark: 1,000,000 customers from a GBK-encoded CSV as a Chinese
office's Excel exports it, validated and deduplicated by `manyi import`,
beside a plain sqlite3 executemany of the same rows measured in the same run.

    python bench/import.py                   # 1,000,000 rows on SQLite (the file is generated once)
    python bench/import.py --quick           # 20,000 rows
    python bench/import.py --db both         # also PostgreSQL 15 (a throwaway cluster, bench/pgcluster.py)
    python bench/import.py --write           # also write bench/RESULTS-import.md
    python bench/import.py --generate-only   # make (or reuse) the file and stop; --force makes it anew

The file, bench/out/import-<rows>/customers-gbk.csv, deterministic for --seed:
GBK, CRLF, Chinese headers (客户名称 … 备注), ~70 % enterprises (城市 + 字号 +
行业 + 有限公司/有限责任公司/股份有限公司, unique names, a credit code with a
real GB 32100 check character for half of them) and ~30 % individuals
(gender-plausible names, birthdays as 1985年3月5日 / 1985/3/5 / 1985-03-05).
Mobiles, landlines, credit codes and e-mails are unique, so the only
customers that repeat are the planted ones; phones come in the forms people
type (138 1234 5678, +86 138-1234-5678, (0755)87654321, 010-88886666转123).
Planted, at positions drawn at random:
- 1 % bad rows, each with exactly one defect, the kinds in equal shares
  (DEFECTS): empty name, invalid mobile, invalid e-mail, impossible date,
  credit code of the wrong length, unknown grade, name over 200 characters,
  ragged row (columns missing).
- 2 % duplicates of an earlier good row's customer: one strong key (mobile,
  credit code or e-mail) in another spelling (another phone format,
  full-width digits and letters, lower case, spaces) and the others mostly
  left out, the name often varied too (有限公司 ↔ 有限责任公司, Traditional
  characters, spaces), grade or notes sometimes changed.
manifest.json holds the counts, size and generation time; planted.json the
line of every bad row (its defect) and duplicate (the line it repeats).

Measured, each in a fresh process pinned to one core (taskset -c 0), its peak
RSS from the rusage of that child (os.wait4, i.e. RUSAGE_CHILDREN for it alone)
beside its peak anonymous memory sampled from /proc (SQLite's mapped database
file counts in ru_maxrss), against a fresh copy of a database migrated once
(`manyi migrate`) with one admin user (`manyi createuser`):
- baseline: read the file with the csv module and sqlite3 executemany the raw
  strings (no validation, no deduplication) into customers_customer, with its
  indexes and triggers, in transactions of 10,000 rows, the NOT NULL columns
  the file lacks filled with constants; run before and after the import, the
  mean of the two is the baseline; once more with the table's secondary
  indexes and triggers dropped first (printed, the floor of a bulk load);
- Manyi: `manyi import customers FILE --owner bench_import --on-duplicate skip
  --report-json R`, its wall time (the whole process) and rows/s; afterwards
  the rejected and duplicate rows it recorded (transfer_importissue) are
  compared with the planted ones, line by line;
- `manyi dedup --limit 0`, when that command exists: its pair count and time.
With --db postgres|both the same against PostgreSQL 15; --pg-baseline adds a
psycopg executemany baseline (slow here: 27 indexes and a PL/pgSQL trigger).

Goal (the import issue): the million rows, validated and deduplicated, in
under 60 s on SQLite on one core, under 500 MB, at no less than a quarter of
the plain insert rate.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import json
import operator
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import BRAND_CHARS, OUT, ROOT, SURNAMES, log
from generate import CITIES as NAME_CITIES
from generate import INDUSTRIES as NAME_INDUSTRIES
from pgcluster import PgCluster

from manyi.demo import vocab

RESULTS = ROOT / "bench" / "RESULTS-import.md"
USERNAME = "bench_import"
PASSWORD = "Bench-pass-2026"
SECRET = "bench-" + "x" * 50
BATCH = 10_000  # rows a transaction, the baseline's
GOAL_SECONDS, GOAL_MB, GOAL_RATIO = 60.0, 500, 0.25
BAD_SHARE, DUP_SHARE = 0.01, 0.02
GENERATOR = 1  # bump when the rows change: a file made by another version is made anew

HEADERS = ["客户名称", "客户类型", "客户分类", "重要程度", "等级", "手机", "电话", "邮箱", "省份", "城市", "详细地址",
           "统一社会信用代码", "行业", "生日", "标签", "备注"]  # fmt: skip
NAME, KIND, CATEGORY, IMPORTANCE, GRADE, MOBILE, PHONE, EMAIL, PROVINCE, CITY, ADDRESS, CREDIT, INDUSTRY, BIRTHDAY, TAGS, NOTES = range(16)
# The baseline's columns: the file's, raw (标签 are another table's rows).
COLUMN_OF = {"客户名称": "name", "客户类型": "kind", "客户分类": "category", "重要程度": "importance", "等级": "grade",
             "手机": "mobile", "电话": "phone", "邮箱": "email", "省份": "province", "城市": "city", "详细地址": "address",
             "统一社会信用代码": "credit_code", "行业": "industry", "生日": "birthday", "备注": "notes"}  # fmt: skip
# As settings.py's init_command, so the baseline writes the way Manyi does.
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA mmap_size=2147418112; "
                  "PRAGMA temp_store=MEMORY;")  # fmt: skip

GRADES_OK = frozenset("ABCD")
DEFECTS = ("empty_name", "bad_mobile", "bad_email", "impossible_date", "credit_code_length", "unknown_grade", "long_name", "ragged")

# --------------------------------------------------------------------------- vocabulary

# Cities with districts and streets for addresses and landlines: the demo's, and four more.
CITIES = (*vocab.CITIES,
    vocab.City("北京市", "北京", "10", 8, "100000", "", (
        vocab.District("朝阳区", "110105", ("建国路", "朝阳北路", "望京街")),
        vocab.District("海淀区", "110108", ("中关村大街", "学院路", "知春路")),
        vocab.District("东城区", "110101", ("东长安街", "王府井大街", "和平里东街")))),
    vocab.City("四川省", "成都", "28", 8, "610000", "", (
        vocab.District("武侯区", "510107", ("人民南路", "科华北路", "武侯祠大街")),
        vocab.District("锦江区", "510104", ("春熙路", "东大街", "红星路")),
        vocab.District("成华区", "510108", ("建设路", "二环路东二段", "双林路")))),
    vocab.City("湖北省", "武汉", "27", 8, "430000", "", (
        vocab.District("江汉区", "420103", ("解放大道", "建设大道", "新华路")),
        vocab.District("洪山区", "420111", ("珞喻路", "雄楚大道", "民族大道")))),
    vocab.City("陕西省", "西安", "29", 8, "710000", "", (
        vocab.District("雁塔区", "610113", ("长安南路", "小寨东路", "科技路")),
        vocab.District("碑林区", "610103", ("东大街", "南大街", "友谊西路")))),
)  # fmt: skip
CITY_WEIGHTS = [6 if c.area_code in ("10", "21", "20", "755") else 3 if len(c.area_code) == 2 else 2 for c in CITIES]
MOBILE_PREFIXES = (*(f"13{d}" for d in range(10)), "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "176", "177",
                   "178", *(f"18{d}" for d in range(10)), "198", "199")  # fmt: skip
MALE_CHARS = "伟强磊军洋勇杰涛明超浩鹏宇斌刚辉峰波俊凯建国志文华平东林海龙飞亮"
FEMALE_CHARS = "芳娜敏静丽艳婷雪琳颖娟霞秀英玉兰萍红梅燕怡欣佳涵琪瑶璐倩晶洁"
COMMUNITIES = ("阳光花园", "翠苑小区", "锦绣家园", "金色港湾", "万科城", "绿地世纪城", "幸福里", "书香门第", "滨江花苑", "碧桂园")
NOTES_TEXTS = ("老客户介绍", "展会获取，对新品感兴趣", "需开增值税专用发票", "年底有采购计划", "微信联系优先", "价格敏感，注意报价",
               "上季度有投诉，已处理", "网站留言咨询", "电话回访满意", "下月到期续约")  # fmt: skip
EMAIL_ROLES = ("info", "sales", "service", "contact", "hr", "office", "admin", "market", "caiwu", "kefu")
PERSONAL_DOMAINS = ("163.com", "126.com", "qq.com", "sina.com", "139.com", "foxmail.com", "hotmail.com", "gmail.com")
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015, no I O S V Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FULL_WIDTH = {c: chr(c + 0xFEE0) for c in range(0x21, 0x7F)}  # ASCII → full-width forms, for str.translate


def _weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    values, acc, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        acc.append(total)
    return values, acc


CATEGORY_B2B = _weighted((("消费者", 45), ("代理商", 25), ("供应商", 12), ("其他", 10), ("", 8)))
CATEGORY_B2C = _weighted((("消费者", 85), ("其他", 8), ("", 7)))
IMPORTANCE = _weighted((("关键", 5), ("主要", 15), ("普通", 45), ("小", 25), ("", 10)))
GRADES = _weighted((("A", 10), ("B", 25), ("C", 35), ("D", 20), ("", 10)))
SUFFIXES = _weighted((("有限公司", 70), ("有限责任公司", 15), ("股份有限公司", 10), ("集团有限公司", 5)))


def credit_check(code17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(code17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def mobile_forms(d: str) -> list[str]:
    return [d, f"{d[:3]} {d[3:7]} {d[7:]}", f"{d[:3]}-{d[3:7]}-{d[7:]}", f"+86 {d[:3]}-{d[3:7]}-{d[7:]}", f"+86{d}", f"+86 {d}"]


MOBILE_FORM_CUM = [50, 70, 80, 90, 96, 100]


# --------------------------------------------------------------------------- the file


class QuickRandom(random.Random):
    """choice and randrange from one random() call each: a third of the
    generator's time otherwise (still deterministic for a seed)."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def randrange(self, start, stop=None, step=1):
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))


class RowMaker:
    """One customer a call, its keys unique by construction (mobiles, landlines
    and credit codes from a bijection of the row number, e-mails and
    enterprise names checked against those already made)."""

    def __init__(self, seed: int):
        import opencc

        from manyi.core.text import pinyin_key

        self.rng = QuickRandom(seed)
        self.s2t = opencc.OpenCC("s2t")
        self._pinyin = pinyin_key
        self.pinyin: dict[str, str] = {}
        self.names: set[str] = set()
        self.emails: set[str] = set()
        self.surname_cum = list(itertools.accumulate(1.0 / (i + 3) for i in range(len(SURNAMES))))
        self.city_cum = list(itertools.accumulate(CITY_WEIGHTS))
        self.brand_words = vocab.BRAND_WORDS
        self.industries = [(part, profile) for part, profile, _en in vocab.INDUSTRIES] + [(p, p) for p in NAME_INDUSTRIES]

    # small helpers
    def py(self, text: str) -> str:
        hit = self.pinyin.get(text)
        if hit is None:
            hit = self.pinyin[text] = self._pinyin(text)
        return hit

    def pick(self, table: tuple[list[str], list[int]]) -> str:
        values, cum = table
        return values[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def city(self) -> vocab.City:
        return CITIES[bisect.bisect(self.city_cum, self.rng.random() * self.city_cum[-1])]

    def mobile(self, i: int) -> str:
        v = (i * 2_147_483_647 + 977_123_456) % (len(MOBILE_PREFIXES) * 10**8)
        return f"{MOBILE_PREFIXES[v // 10**8]}{v % 10**8:08d}"

    def qq(self, i: int) -> str:
        return str(100_000_000 + (i * 2_654_435_761 + 314_159_265) % 900_000_000)  # unique for i < 9 × 10**8

    def mobile_text(self, digits: str) -> str:
        return mobile_forms(digits)[bisect.bisect(MOBILE_FORM_CUM, self.rng.random() * 100)]

    def landline(self, i: int, city: vocab.City) -> str:
        r = self.rng
        v = (i * 6_700_417 + 2_718_281) % (9 * 10**6)  # unique for i < 9 × 10**6
        # [2-8][1-9]…: x00… numbers (800 toll-free and the like) are not landlines
        local = f"{r.choice('2345678')}{1 + v // 10**6}{v % 10**6:06d}"[: city.local_digits]
        a = city.area_code
        u = r.random()
        if u < 0.55:
            return f"0{a}-{local}"
        if u < 0.70:
            return f"(0{a}){local}"
        if u < 0.80:
            return f"0{a} {local}"
        if u < 0.92:
            return f"0{a}-{local}转{r.randrange(100, 9000)}"
        return f"+86 {a} {local}"

    def credit_code(self, i: int, district: vocab.District) -> str:
        v = (i * 2_654_435_761 + 123_456_789) % 31**8
        org = []
        for _ in range(8):
            v, k = divmod(v, 31)
            org.append(CREDIT_CHARS[k])
        body = "91" + district.code + "".join(org) + self.rng.choice("0123456789X")  # the last: the org code's own check
        return body + credit_check(body)

    def unique_email(self, local: str, domain: str) -> str:
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{self.rng.randrange(2, 10000)}@{domain}"
        self.emails.add(email)
        return email

    def address(self, city: vocab.City, home: bool) -> tuple[str, str, str, vocab.District]:
        r = self.rng
        district = r.choice(city.districts)
        municipality = city.province == city.name + "市"
        province = city.province if municipality or r.random() < 0.7 else city.province.rstrip("省")
        city_cell = city.name + "市" if r.random() < 0.75 else city.name
        head = (city.name + "市") if municipality or r.random() < 0.6 else (city.province + city.name + "市")
        street = f"{r.choice(district.streets)}{r.randrange(1, 1200)}号"
        if home:
            street += f"{r.choice(COMMUNITIES)}{r.randrange(1, 30)}栋{r.randrange(1, 5)}单元{r.randrange(1, 33)}{r.randrange(1, 5):02d}室"
        else:
            u = r.random()
            if u < 0.4:
                street += f"{r.choice('ABCDE')}座{r.randrange(1, 30)}{r.randrange(1, 20):02d}室"
            elif u < 0.7:
                street += f"{r.randrange(1, 30)}楼"
        return province, city_cell, head + district.name + street, district

    def birthday(self) -> str:
        r = self.rng
        day = dt.date(1950, 1, 1) + dt.timedelta(days=r.randrange(20000))
        u = r.random()
        if u < 0.4:
            return f"{day.year}年{day.month}月{day.day}日"
        if u < 0.7:
            return f"{day.year}/{day.month}/{day.day}"
        return day.isoformat()

    def extras(self, row: list[str]) -> None:
        r = self.rng
        if r.random() < 0.35:
            tags = r.sample(vocab.CUSTOMER_TAGS, r.randrange(1, 3))
            row[TAGS] = r.choice(("、", ",", "，")).join(tags)
        if r.random() < 0.3:
            row[NOTES] = r.choice(NOTES_TEXTS)

    # the two kinds of customer
    def enterprise(self, i: int) -> list[str]:
        r = self.rng
        city = self.city()
        name_city = city.name if r.random() < 0.8 else r.choice(NAME_CITIES)
        tries = 0
        while True:
            tries += 1
            brand = r.choice(self.brand_words) if r.random() < 0.5 else r.choice(BRAND_CHARS) + r.choice(BRAND_CHARS)
            if tries > 4:
                brand += r.choice(BRAND_CHARS)
            part, profile = r.choice(self.industries)
            key = name_city + brand + part
            if key not in self.names:
                self.names.add(key)
                break
        suffix = self.pick(SUFFIXES)
        u = r.random()
        if u < 0.85:
            name = f"{name_city}{brand}{part}{suffix}"
        elif u < 0.95:
            name = f"{brand}{part}（{name_city}）{suffix}"
        else:
            name = f"{name_city}市{brand}{part}{suffix}"
        province, city_cell, address, district = self.address(city, home=False)
        row = [name, "企业", self.pick(CATEGORY_B2B), self.pick(IMPORTANCE), self.pick(GRADES), "", "", "", province, city_cell, address,
               "", profile, "", "", ""]  # fmt: skip
        if r.random() < 0.55:
            row[MOBILE] = self.mobile_text(self.mobile(i))
        if r.random() < 0.85:
            row[PHONE] = self.landline(i, city)
        if r.random() < 0.5:
            row[CREDIT] = self.credit_code(i, district)
        if r.random() < 0.47:
            domain = self.py(brand) + self.py(part) + r.choice((".com", ".com.cn", ".cn"))
            row[EMAIL] = self.unique_email(r.choice(EMAIL_ROLES), domain) if r.random() < 0.7 else self.unique_email(
                self.qq(i), "qq.com")  # fmt: skip
        if not (row[MOBILE] or row[CREDIT] or row[EMAIL]):
            row[MOBILE] = self.mobile_text(self.mobile(i))
        self.extras(row)
        return row

    def individual(self, i: int) -> list[str]:
        r = self.rng
        surname = SURNAMES[bisect.bisect(self.surname_cum, r.random() * self.surname_cum[-1])]
        male = r.random() < 0.5
        u = r.random()
        if u < 0.3:
            given = r.choice(vocab.MALE_GIVEN if male else vocab.FEMALE_GIVEN)
        else:
            chars = MALE_CHARS if male else FEMALE_CHARS
            given = r.choice(chars) + (r.choice(chars) if u < 0.75 else "")
        name = surname + given
        row = [name, "个人", self.pick(CATEGORY_B2C), self.pick(IMPORTANCE), self.pick(GRADES), "", "", "", "", "", "", "", "", "", "", ""]
        if r.random() < 0.8:
            row[PROVINCE], row[CITY], row[ADDRESS], _ = self.address(self.city(), home=True)
        if r.random() < 0.95:
            row[MOBILE] = self.mobile_text(self.mobile(i))
        if r.random() < 0.12:
            row[PHONE] = self.landline(i, self.city())
        if r.random() < 0.35 or not row[MOBILE]:
            if r.random() < 0.35:
                row[EMAIL] = self.unique_email(self.qq(i), "qq.com")
            else:
                local = self.py(surname) + r.choice(("", ".", "_")) + self.py(given) + (str(r.randrange(60, 100)) if r.random() < 0.5 else "")
                row[EMAIL] = self.unique_email(local, r.choice(PERSONAL_DOMAINS))
        if r.random() < 0.7:
            row[BIRTHDAY] = self.birthday()
        self.extras(row)
        return row

    def customer(self, i: int, kind: str | None = None) -> list[str]:
        if kind is None:
            kind = "e" if self.rng.random() < 0.7 else "i"
        return self.enterprise(i) if kind == "e" else self.individual(i)

    # planted rows
    def bad(self, i: int, defect: str) -> list[str]:
        r = self.rng
        kind = {"impossible_date": "i", "credit_code_length": "e", "long_name": "e"}.get(defect)
        row = self.customer(i, kind)
        if defect == "empty_name":
            row[NAME] = r.choice(("", " ", "  "))
        elif defect == "bad_mobile":
            row[MOBILE] = r.choice(("12345", "138abcd5678", "1381234567", "待补充", "1234567890123", "13x-1234-5678"))
        elif defect == "bad_email":
            local = row[EMAIL].split("@")[0] if row[EMAIL] else self.py(row[NAME][:2])
            row[EMAIL] = r.choice((f"{local}@", f"{local}163.com", f"{local}@@qq.com", f"{local} wang@qq.com", "@163.com", f"{local}@qq"))
        elif defect == "impossible_date":
            row[BIRTHDAY] = r.choice(("2023年2月30日", "1990-02-29", "1985/4/31", "1978年6月31日", "2001-11-31", "1969年9月31日"))
        elif defect == "credit_code_length":
            code = row[CREDIT] or self.credit_code(i, r.choice(self.city().districts))
            row[CREDIT] = code[:17] if r.random() < 0.5 else code + r.choice(CREDIT_CHARS)
        elif defect == "unknown_grade":
            row[GRADE] = "E"
        elif defect == "long_name":
            words = "、".join(r.sample([p for p, _ in self.industries], 40))
            row[NAME] = row[NAME] + "（主营：" + words + "）"
            while len(row[NAME]) <= 200:
                row[NAME] += "及相关配套服务"
        elif defect == "ragged":
            return row[: len(row) - r.randrange(3, 9)]
        return row

    def duplicate(self, original: list[str]) -> tuple[list[str], str, list[str]]:
        """(the row, the key it shares with the original, the variations)."""
        r = self.rng
        row = list(original)
        have = [k for k, col in (("mobile", MOBILE), ("credit_code", CREDIT), ("email", EMAIL)) if original[col]]
        key = "mobile" if original[KIND] == "个人" and "mobile" in have else r.choice(have)
        changes: list[str] = []
        if key == "mobile":
            digits = re.sub(r"\D", "", original[MOBILE])[-11:]
            forms = [f for f in mobile_forms(digits) if f != original[MOBILE]]
            row[MOBILE] = r.choice(forms)
            changes.append("mobile format")
            if r.random() < 0.3:
                row[MOBILE] = row[MOBILE].translate(FULL_WIDTH)
                changes.append("full-width")
        elif key == "credit_code":
            u = r.random()
            if u < 0.4:
                row[CREDIT], change = original[CREDIT].translate(FULL_WIDTH), "full-width"
            elif u < 0.7:
                row[CREDIT], change = original[CREDIT].lower(), "lower case"
            else:
                c = original[CREDIT]
                row[CREDIT], change = f" {c[:8]} {c[8:]} ", "spaces"
            changes.append(change)
        else:
            u = r.random()
            if u < 0.5:
                row[EMAIL], change = original[EMAIL].upper() if r.random() < 0.5 else original[EMAIL].capitalize(), "upper case"
            elif u < 0.75:
                row[EMAIL], change = f" {original[EMAIL]}  ", "spaces"
            else:
                row[EMAIL], change = original[EMAIL].translate(FULL_WIDTH), "full-width"
            changes.append(change)
        for other, col in (("mobile", MOBILE), ("credit_code", CREDIT), ("email", EMAIL)):
            if other != key and row[col] and r.random() < 0.7:
                row[col] = ""
        name = original[NAME]
        if r.random() < 0.7:
            options = ["spaces"]
            if name.endswith("有限责任公司") or (name.endswith("有限公司") and not name.endswith(("股份有限公司", "集团有限公司"))):
                options.append("有限公司 ↔ 有限责任公司")
            traditional = self.s2t.convert(name)
            if traditional != name:
                try:
                    traditional.encode("gbk")
                    options.append("Traditional")
                except UnicodeEncodeError:
                    pass
            for option in r.sample(options, min(len(options), r.choice((1, 1, 2)))):
                if option == "spaces":
                    name = (name[:1] + " " + name[1:]) if original[KIND] == "个人" else (" " + name[:2] + " " + name[2:] + " ")
                elif option == "Traditional":
                    name = self.s2t.convert(name)
                elif name.endswith("有限责任公司"):
                    name = name[: -len("有限责任公司")] + "有限公司"
                else:
                    name = name[: -len("有限公司")] + "有限责任公司"
                changes.append(f"name: {option}")
        row[NAME] = name
        if r.random() < 0.3:
            row[GRADE] = self.pick(GRADES)
            row[NOTES] = r.choice(NOTES_TEXTS)
        return row, key, changes


class ImportData:
    """Where one generated file lives."""

    def __init__(self, rows: int):
        self.rows = rows
        self.dir = OUT / f"import-{rows}"
        self.csv = self.dir / "customers-gbk.csv"
        self.manifest = self.dir / "manifest.json"
        self.planted = self.dir / "planted.json"

    def exists(self) -> bool:
        return self.csv.exists() and self.manifest.exists() and self.planted.exists()


def plan(rows: int, rng: random.Random) -> tuple[bytearray, dict[int, str], dict[int, int]]:
    """Roles by row (0 good, 1 bad, 2 duplicate), each bad row's defect, each duplicate's original."""
    n_bad, n_dup = round(rows * BAD_SHARE), round(rows * DUP_SHARE)
    role = bytearray(rows)
    start = min(100, rows // 10)
    special = rng.sample(range(start, rows), n_bad + n_dup)
    defects = [DEFECTS[k % len(DEFECTS)] for k in range(n_bad)]
    rng.shuffle(defects)
    bad = dict(zip(special[:n_bad], defects, strict=True))
    for i in bad:
        role[i] = 1
    for i in special[n_bad:]:
        role[i] = 2
    dup_of: dict[int, int] = {}
    for i in sorted(special[n_bad:]):
        for _ in range(1000):
            o = rng.randrange(i)
            if role[o] == 0:
                break
        else:
            o = next(k for k in range(i - 1, -1, -1) if role[k] == 0)
        dup_of[i] = o
    return role, bad, dup_of


def generate(data: ImportData, *, seed: int, force: bool) -> dict:
    if not force and data.exists():
        manifest = json.loads(data.manifest.read_text())
        if manifest.get("seed") == seed and manifest.get("generator") == GENERATOR:
            log(f"reusing {data.csv.relative_to(ROOT)} ({manifest['bytes'] / 1e6:,.0f} MB, generated in {manifest['seconds']:.0f} s)")
            return manifest
    data.dir.mkdir(parents=True, exist_ok=True)
    log(f"generating {data.rows:,} customers into {data.csv.relative_to(ROOT)} ...")
    t0 = time.perf_counter()
    rng = random.Random(seed)
    role, bad, dup_of = plan(data.rows, rng)
    wanted = set(dup_of.values())
    kept: dict[int, list[str]] = {}
    maker = RowMaker(seed + 1)
    planted_bad: dict[int, str] = {}
    planted_dup: dict[int, dict] = {}
    counts = {"enterprise": 0, "individual": 0, "mobile": 0, "credit_code": 0, "email": 0, "landline": 0, "birthday": 0}
    by_key: dict[str, int] = {}
    by_change: dict[str, int] = {}
    tmp = data.csv.with_suffix(".tmp")
    with open(tmp, "w", encoding="gbk", newline="", buffering=1 << 20) as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADERS)
        buf: list[list[str]] = []
        for i in range(data.rows):
            line = i + 2  # the header is line 1
            if role[i] == 1:
                row = maker.bad(i, bad[i])
                planted_bad[line] = bad[i]
            elif role[i] == 2:
                row, key, changes = maker.duplicate(kept[dup_of[i]])
                planted_dup[line] = {"of": dup_of[i] + 2, "key": key, "changes": changes}
                by_key[key] = by_key.get(key, 0) + 1
                for c in changes:
                    by_change[c] = by_change.get(c, 0) + 1
            else:
                row = maker.customer(i)
                if i in wanted:
                    kept[i] = row
                counts["enterprise" if row[KIND] == "企业" else "individual"] += 1
                counts["mobile"] += bool(row[MOBILE])
                counts["credit_code"] += bool(row[CREDIT])
                counts["email"] += bool(row[EMAIL])
                counts["landline"] += bool(row[PHONE])
                counts["birthday"] += bool(row[BIRTHDAY])
            buf.append(row)
            if len(buf) >= 20_000:
                w.writerows(buf)
                buf.clear()
                if (i + 1) % 200_000 == 0:
                    log(f"  {i + 1:,} rows, {time.perf_counter() - t0:.0f}s")
        w.writerows(buf)
    tmp.replace(data.csv)
    seconds = time.perf_counter() - t0
    data.planted.write_text(json.dumps({"bad": planted_bad, "duplicates": planted_dup}, ensure_ascii=False))
    manifest = {
        "rows": data.rows, "seed": seed, "generator": GENERATOR, "encoding": "gbk", "line_ending": "CRLF", "headers": HEADERS,
        "bad_rows": len(planted_bad), "bad_by_defect": {d: sum(1 for v in planted_bad.values() if v == d) for d in DEFECTS},
        "duplicates": len(planted_dup), "duplicates_by_key": by_key, "duplicate_changes": by_change,
        "good_rows": data.rows - len(planted_bad) - len(planted_dup), "good_rows_with": counts,
        "bytes": data.csv.stat().st_size, "seconds": round(seconds, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    data.manifest.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    log(f"generated in {seconds:.0f} s: {manifest['bytes'] / 1e6:,.0f} MB, {len(planted_bad):,} bad rows, {len(planted_dup):,} duplicates")
    return manifest


# --------------------------------------------------------------------------- the baselines (run as --worker)


def _read_rows(path: Path):
    """The file's rows as tuples in COLUMN_OF's order, ragged rows padded or cut."""
    width = len(HEADERS)
    pick = operator.itemgetter(*[HEADERS.index(h) for h in COLUMN_OF])
    with open(path, encoding="gbk", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for cells in reader:
            if len(cells) != width:
                cells = (cells + [""] * width)[:width]
            yield pick(cells)


def _constant(type_name: str, name: str, owner_id: int, now):
    t = type_name.lower()
    if name == "owner_id":
        return owner_id
    if name in ("created_at", "updated_at"):
        return now
    if "bool" in t:
        return False
    if "int" in t or "decimal" in t or "numeric" in t:
        return 0
    return ""


def _batches(path: Path):
    """Rows in lists of BATCH. A grade the table's CHECK constraint refuses
    (blank or 'E') becomes the model's default, C: the one change made."""
    g = list(COLUMN_OF).index("等级")
    batch = []
    for row in _read_rows(path):
        if row[g] not in GRADES_OK:
            row = (*row[:g], "C", *row[g + 1 :])
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def work_baseline_sqlite(db: str, path: str, *, bare: bool = False) -> dict:
    """bare: the table's secondary indexes and triggers dropped first (not timed)."""
    if bare:
        conn = sqlite3.connect(db, isolation_level=None)
        for kind, name in conn.execute("SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') "
                                       "AND tbl_name = 'customers_customer' AND sql IS NOT NULL").fetchall():  # fmt: skip
            conn.execute(f'DROP {kind.upper()} "{name}"')
        conn.close()
    t0 = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(SQLITE_PRAGMAS)
    owner_id = conn.execute("SELECT id FROM accounts_user WHERE username = ?", (USERNAME,)).fetchone()[0]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    given = list(COLUMN_OF.values())
    # NOT NULL, no default, not the key, not in the file: a constant.
    rest = [(r[1], _constant(r[2], r[1], owner_id, now)) for r in conn.execute("PRAGMA table_info(customers_customer)")
            if r[3] and r[4] is None and not r[5] and r[1] not in given]  # fmt: skip
    sql = (f"INSERT INTO customers_customer ({', '.join(given + [c for c, _ in rest])}) "
           f"VALUES ({', '.join(['?'] * (len(given) + len(rest)))})")  # fmt: skip
    consts = tuple(v for _, v in rest)
    n = 0
    for batch in _batches(Path(path)):
        conn.execute("BEGIN")
        conn.executemany(sql, [row + consts for row in batch])
        conn.execute("COMMIT")
        n += len(batch)
    conn.close()
    seconds = time.perf_counter() - t0
    return {"rows": n, "seconds": seconds, "constants": [c for c, _ in rest]}


def work_baseline_postgres(url: str, path: str) -> dict:
    import psycopg

    t0 = time.perf_counter()
    conn = psycopg.connect(url, autocommit=True)
    owner_id = conn.execute("SELECT id FROM accounts_user WHERE username = %s", (USERNAME,)).fetchone()[0]
    now = dt.datetime.now(dt.UTC)
    given = list(COLUMN_OF.values())
    rest = [(name, _constant(t, name, owner_id, now)) for name, t in conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers_customer' "
        "AND is_nullable = 'NO' AND column_default IS NULL AND column_name <> 'id' AND is_identity = 'NO'") if name not in given]  # fmt: skip
    sql = (f"INSERT INTO customers_customer ({', '.join(given + [c for c, _ in rest])}) "
           f"VALUES ({', '.join(['%s'] * (len(given) + len(rest)))})")  # fmt: skip
    consts = tuple(v for _, v in rest)
    # PostgreSQL refuses what SQLite keeps: strings longer than their column
    # are cut to it, and birthdays go in as NULL (1985年3月5日 does not cast to a date).
    lengths = dict(conn.execute("SELECT column_name, character_maximum_length FROM information_schema.columns "
                                "WHERE table_name = 'customers_customer'").fetchall())  # fmt: skip
    limits = [lengths.get(c) or 1_000_000 for c in given]
    b = given.index("birthday")
    n = 0
    with conn.cursor() as cur:
        for batch in _batches(Path(path)):
            rows = []
            for row in batch:
                cut = [v[:m] for v, m in zip(row, limits, strict=True)]
                cut[b] = None
                rows.append((*cut, *consts))
            with conn.transaction():
                cur.executemany(sql, rows)
            n += len(batch)
    conn.close()
    return {"rows": n, "seconds": time.perf_counter() - t0, "constants": [c for c, _ in rest]}


WORKERS = {"baseline-sqlite": work_baseline_sqlite, "baseline-postgres": work_baseline_postgres,
           "baseline-sqlite-bare": lambda db, path: work_baseline_sqlite(db, path, bare=True)}  # fmt: skip


# --------------------------------------------------------------------------- running things


def _pinned(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", "0", *cmd] if shutil.which("taskset") else cmd


def _manyi(*args: str) -> list[str]:
    return [sys.executable, "-m", "manyi", *args]


def _env(data_dir: Path, url: str | None) -> dict[str, str]:
    env = dict(os.environ, MANYI_DATA_DIR=str(data_dir), MANYI_SECRET_KEY=SECRET, MANYI_LOG_LEVEL="WARNING")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)
    env.pop("MANYI_DATABASE_URL", None)
    if url:
        env["MANYI_DATABASE_URL"] = url
    return env


def _rss(pid: int) -> tuple[int, int] | None:
    """(anonymous, file-backed) resident kB of a process, None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    f = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in status.splitlines()) if k in ("RssAnon", "RssFile", "RssShmem")}
    return (f["RssAnon"], f["RssFile"] + f.get("RssShmem", 0)) if "RssAnon" in f else None


def measure(cmd: list[str], env: dict[str, str], log_path: Path) -> dict:
    """Run one process to its end: exit status, wall seconds, peak RSS (MB) of
    it alone (ru_maxrss from os.wait4), and the peak of its anonymous memory,
    sampled every 50 ms: SQLite maps the database file into memory
    (mmap_size), and those pages, the page cache's, count in ru_maxrss."""
    anon = 0
    with open(log_path, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            m = _rss(proc.pid)
            if m:
                anon = max(anon, m[0])
            time.sleep(0.05)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "wall": wall, "peak_mb": usage.ru_maxrss / 1024, "anon_mb": anon / 1024, "log": str(log_path)}


def _tail(path: str | Path, lines: int = 15) -> str:
    text = Path(path).read_text(errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:])


def run_checked(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{what} failed (exit {done.returncode})")


def prepare_schema(env: dict[str, str]) -> float:
    """Migrate and create the importing user; seconds taken."""
    t0 = time.perf_counter()
    run_checked(_manyi("migrate", "--no-input", "-v", "0"), env, "manyi migrate")
    run_checked(_manyi("createuser", USERNAME, "--role", "admin", "--password", PASSWORD, "--display-name", "导入测试"), env, "manyi createuser")
    return time.perf_counter() - t0


def import_available(env: dict[str, str]) -> str | None:
    """None when `manyi import` takes what the bench passes, else why not."""
    done = subprocess.run(_manyi("import", "--help"), env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        return (done.stderr or done.stdout).strip().splitlines()[-1] if (done.stderr or done.stdout).strip() else f"exit {done.returncode}"
    missing = [o for o in ("--owner", "--on-duplicate", "--report-json") if o not in done.stdout]
    return f"`manyi import --help` lists no {', '.join(missing)}" if missing else None


def run_baseline(kind: str, target: str, csv_path: Path, work: Path, label: str) -> dict:
    cmd = _pinned([sys.executable, str(Path(__file__).resolve()), "--worker", kind, target, str(csv_path)])
    env = _env(work, None)
    res = measure(cmd, env, work / f"{label}.log")
    if res["returncode"]:
        raise SystemExit(f"the {label} process failed (exit {res['returncode']}):\n{_tail(res['log'])}")
    lines = Path(res["log"]).read_text().strip().splitlines()
    res |= json.loads(lines[-1])
    res["rate"] = res["rows"] / res["wall"]
    log(f"  {label}: {res['rows']:,} rows in {res['wall']:.1f} s ({res['rate']:,.0f} rows/s), peak {res['peak_mb']:.0f} MB "
        f"(anonymous {res['anon_mb']:.0f} MB)")
    return res


def run_import(env: dict[str, str], csv_path: Path, work: Path) -> dict:
    report = work / "import-report.json"
    cmd = _pinned(_manyi("import", "customers", str(csv_path), "--owner", USERNAME, "--on-duplicate", "skip", "--report-json", str(report)))
    res = measure(cmd, env, work / "import.log")
    res["command"] = " ".join(["manyi", *cmd[cmd.index("import") :]]).replace(f"{ROOT}/", "")
    if res["returncode"] or not report.exists():
        res["error"] = f"exit {res['returncode']}" + ("" if report.exists() else ", no report written") + ":\n" + _tail(res["log"])
        return res
    res["report"] = json.loads(report.read_text())
    res["rate"] = res["report"]["rows"] / res["wall"]
    r = res["report"]
    log(f"  manyi import: {r['rows']:,} rows in {res['wall']:.1f} s ({res['rate']:,.0f} rows/s; the command's own {r['seconds']:.1f} s), "
        f"peak {res['peak_mb']:.0f} MB (anonymous {res['anon_mb']:.0f} MB); created {r['created']:,}, duplicates {r['duplicates']:,}, rejected {r['rejected']:,}")
    return res


def run_dedup(env: dict[str, str], work: Path) -> dict | None:
    """`manyi dedup`, if there is such a command: its time and the pairs it reports."""
    helped = subprocess.run(_manyi("dedup", "--help"), env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if helped.returncode:
        return None
    report = work / "dedup-report.json"
    args = ["--report-json", str(report)] if "--report-json" in helped.stdout else []
    if "--limit" in helped.stdout:
        args += ["--limit", "0"]  # the count, not the list
    res = measure(_pinned(_manyi("dedup", *args)), env, work / "dedup.log")
    pairs = None
    if report.exists():
        got = json.loads(report.read_text())
        pairs = next((got[k] for k in ("pairs", "pair_count", "candidates", "found") if isinstance(got.get(k), int)), None)
    if pairs is None:
        text = Path(res["log"]).read_text(errors="replace")
        m = re.search(r"([\d,]+) open pairs", text) or re.search(r"([\d,]+)\s*(?:candidate\s+)?(?:pairs?|对)", text)
        pairs = int(m.group(1).replace(",", "")) if m else None
    res["pairs"] = pairs
    log(f"  manyi dedup: exit {res['returncode']}, {res['wall']:.1f} s, peak {res['peak_mb']:.0f} MB, pairs {pairs}")
    return res


def issues(conn, job: int, placeholder: str) -> list[tuple[int, str, str]]:
    """(line, kind, message) of every issue the import recorded."""
    sql = f"SELECT line, kind, message FROM transfer_importissue WHERE job_id = {placeholder} ORDER BY line, id"
    cur = conn.cursor()
    cur.execute(sql, (job,))
    return [(int(line), kind, message) for line, kind, message in cur.fetchall()]


def compare(found: list[tuple[int, str, str]], planted: dict) -> dict:
    """The recorded issues beside the planted rows, line by line."""
    bad = {int(k): v for k, v in planted["bad"].items()}
    dup = {int(k): v for k, v in planted["duplicates"].items()}
    rejected = {line: msg for line, kind, msg in found if kind == "error"}
    duplicates = {line: msg for line, kind, msg in found if kind == "duplicate"}
    out = {"rejected_planted": sum(1 for k in bad if k in rejected), "rejected_other": sorted(k for k in rejected if k not in bad),
           "duplicates_planted": sum(1 for k in dup if k in duplicates), "duplicates_other": sorted(k for k in duplicates if k not in dup),
           "missed_bad": {}, "missed_dup": {}, "samples": []}  # fmt: skip
    for line, defect in bad.items():
        if line not in rejected:
            out["missed_bad"][defect] = out["missed_bad"].get(defect, 0) + 1
    for line, d in dup.items():
        if line not in duplicates:
            label = d["key"] + ": " + ", ".join(d["changes"])
            out["missed_dup"][label] = out["missed_dup"].get(label, 0) + 1
            if len(out["samples"]) < 5:
                out["samples"].append(f"line {line} (repeats line {d['of']}, {label}) " + ("rejected: " + rejected[line] if line in rejected else "imported"))
    for line in out["rejected_other"][:5]:
        out["samples"].append(f"line {line} (good) rejected: {rejected[line]}")
    for line in out["duplicates_other"][:5]:
        out["samples"].append(f"line {line} (not planted) duplicate: {duplicates[line]}")
    out["rejected_other"], out["duplicates_other"] = len(out["rejected_other"]), len(out["duplicates_other"])
    return out


def run_database(db: str, data: ImportData, manifest: dict, pg: PgCluster | None, baseline_runs: int) -> dict:
    """Baseline (baseline_runs times, 0 for none), import, the findings compared, dedup."""
    planted = json.loads(data.planted.read_text())
    work = data.dir / f"run-{db}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    result: dict = {"db": db}
    if db == "sqlite":
        template = work / "template"
        template.mkdir()
        log(f"{db}: migrating a fresh database ...")
        result["migrate_seconds"] = prepare_schema(_env(template, None))

        def fresh(name: str) -> tuple[Path, str | None]:
            d = work / name
            d.mkdir()
            src, dst = sqlite3.connect(template / "manyi.sqlite3"), sqlite3.connect(d / "manyi.sqlite3")
            src.backup(dst)
            src.close()
            dst.close()
            return d, None
    else:
        import psycopg

        admin = psycopg.connect(pg.url + "/postgres", autocommit=True)
        tag = f"manyi_import_{data.rows}"
        names = [f"{tag}_template", f"{tag}_base1", f"{tag}_base2", f"{tag}_import"]
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {names[0]}")
        log(f"{db}: migrating a fresh database ...")
        result["migrate_seconds"] = prepare_schema(_env(work, f"{pg.url}/{names[0]}"))
        result["server_version"] = admin.execute("SHOW server_version").fetchone()[0]

        def fresh(name: str) -> tuple[Path, str | None]:
            full = f"{tag}_{name}"
            admin.execute(f"CREATE DATABASE {full} TEMPLATE {names[0]}")
            d = work / name
            d.mkdir()
            return d, f"{pg.url}/{full}"

    kind = "baseline-sqlite" if db == "sqlite" else "baseline-postgres"

    def baseline(label: str, kind: str = kind) -> dict:
        d, url = fresh(label)
        return run_baseline(kind, url or str(d / "manyi.sqlite3"), data.csv, d, label)

    result["baselines"] = [baseline("base1")] if baseline_runs else []
    d, url = fresh("import")
    env = _env(d, url)
    why = import_available(env)
    if why:
        result["import"] = {"error": f"`manyi import customers` is not available yet: {why}"}
        log(f"  {result['import']['error']}; the baseline alone is measured")
    else:
        result["import"] = imp = run_import(env, data.csv, d)
        if "report" in imp:
            try:
                if db == "sqlite":
                    conn = sqlite3.connect(d / "manyi.sqlite3")
                    placeholder = "?"
                else:
                    import psycopg

                    conn = psycopg.connect(url)
                    placeholder = "%s"
                imp["compare"] = compare(issues(conn, imp["report"]["job"], placeholder), planted)
                cur = conn.cursor()
                cur.execute("SELECT count(*) FROM customers_customer")
                imp["customers"] = cur.fetchone()[0]
                conn.close()
            except Exception as exc:  # noqa: BLE001 - the figures above still stand
                imp["compare_error"] = f"{type(exc).__name__}: {exc}"
            result["dedup"] = run_dedup(env, d)
    if baseline_runs > 1:
        result["baselines"].append(baseline("base2"))
    if db == "sqlite" and baseline_runs:
        result["bare"] = baseline("bare", "baseline-sqlite-bare")
    if db == "postgres":
        for name in names[1:]:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
    return result


# --------------------------------------------------------------------------- report


def _mark(ok: bool | None) -> str:
    return "" if ok is None else "✓" if ok else "✗"


def machine() -> str:
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    return (f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}) / {mem / 2**20:.0f} GiB; "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}.")  # fmt: skip


def report_database(res: dict, manifest: dict) -> tuple[list[str], bool | None]:
    lines: list[str] = []
    add = lines.append
    title = "SQLite" if res["db"] == "sqlite" else f"PostgreSQL {res.get('server_version', '')}".strip()
    add(f"### {title}")
    add("")
    bases = res["baselines"]
    base_rate = sum(b["rate"] for b in bases) / len(bases) if bases else None
    base_wall = f"{sum(b['wall'] for b in bases) / len(bases):.1f} s" if bases else "–"
    base_mb = f"{max(b['peak_mb'] for b in bases):,.0f} MB" if bases else "–"
    base_anon = f"{max(b['anon_mb'] for b in bases):,.0f} MB" if bases else "–"
    base_rows = f"{bases[0]['rows']:,}" if bases else "–"
    plain = "plain sqlite3 executemany" if res["db"] == "sqlite" else "plain psycopg executemany"
    each = ", ".join(f"{b['rate']:,.0f}" for b in bases)
    runs = f"{base_rate:,.0f} (runs: {each})" if bases else "–"
    imp = res["import"]
    goals = res["db"] == "sqlite"
    if "report" not in imp:
        add(f"Manyi's import did not run: {imp['error']}")
        add("")
        add(f"| figure | {plain} |")
        add("|---|---:|")
        add(f"| rows | {base_rows} |")
        add(f"| wall time | {base_wall} |")
        add(f"| rows/s (runs) | {runs} |")
        add(f"| peak RSS (ru_maxrss) | {base_mb} |")
        add(f"| of it anonymous (not the mapped database file) | {base_anon} |")
        if res.get("bare"):
            add(f"| rows/s without the secondary indexes and triggers | {res['bare']['rate']:,.0f} |")
        return lines, None
    r = imp["report"]
    cmp_ = imp.get("compare", {})
    expected_created = manifest["good_rows"]
    ratio = imp["rate"] / base_rate if base_rate else None
    clean = (cmp_ and r["created"] == expected_created and cmp_["rejected_planted"] == manifest["bad_rows"] and not cmp_["rejected_other"]
             and cmp_["duplicates_planted"] == manifest["duplicates"] and not cmp_["duplicates_other"])  # fmt: skip
    rows = [
        ("rows read", f"{r['rows']:,}", base_rows, "", None),
        ("wall time (whole process)", f"{imp['wall']:.1f} s", base_wall, f"< {GOAL_SECONDS:.0f} s",
         imp["wall"] < GOAL_SECONDS if goals else None),
        ("  the command's own time", f"{r['seconds']:.1f} s", "", "", None),
        ("rows/s", f"{imp['rate']:,.0f}", runs, f"≥ {GOAL_RATIO:g} × plain",
         ratio is not None and ratio >= GOAL_RATIO if goals else None),
        ("  ratio to plain", f"{ratio:.2f} ×" if ratio is not None else "–", "", "", None),
        ("peak RSS (ru_maxrss)", f"{imp['peak_mb']:,.0f} MB", base_mb, f"< {GOAL_MB} MB", imp["peak_mb"] < GOAL_MB if goals else None),
        ("  of it anonymous (not the mapped database file)", f"{imp['anon_mb']:,.0f} MB", base_anon, "", None),
        ("created", f"{r['created']:,}", f"{base_rows} inserted" if bases else "–", f"{expected_created:,} (the good rows)", None),
        ("rejected", f"{r['rejected']:,}", "–", f"{manifest['bad_rows']:,} planted", None),
        ("  of them planted", f"{cmp_.get('rejected_planted', 0):,}" if cmp_ else "?", "", "", None),
        ("duplicates found", f"{r['duplicates']:,}", "–", f"{manifest['duplicates']:,} planted", None),
        ("  of them planted", f"{cmp_.get('duplicates_planted', 0):,}" if cmp_ else "?", "", "", None),
        ("every planted row caught, nothing else", "yes" if clean else "no", "", "all", bool(clean) if goals else None),
    ]  # fmt: skip
    if r.get("updated"):
        rows.insert(7, ("updated", f"{r['updated']:,}", "", "0 (a fresh database)", None))
    add(f"| figure | Manyi `import customers` | {plain} | goal{' (SQLite)' if goals else ''} | |")
    add("|---|---:|---:|---|---|")
    for name, ours, base, goal, ok in rows:
        add(f"| {name} | {ours} | {base} | {goal} | {_mark(ok)} |")
    add("")
    if len(bases) > 1:
        how = f" (the baseline: {len(bases)} runs, before and after the import)"
    else:
        how = "" if bases else " (no baseline here; --pg-baseline adds one)"
    add(f"`{imp['command']}`, pinned with taskset -c 0 like the baseline{how}. Peak RSS is the process's ru_maxrss; on SQLite "
        f"the database file it maps (settings: mmap_size 2 GB) counts in it, hence the anonymous peak, sampled every 50 ms. Migrating the fresh database took {res['migrate_seconds']:.1f} s (not counted).")
    if res.get("bare"):
        b = res["bare"]
        add("")
        add(f"The same plain insert into the table without its secondary indexes and name-gram trigger (dropped beforehand): "
            f"{b['rate']:,.0f} rows/s, {b['wall']:.1f} s, {b['peak_mb']:,.0f} MB ({b['anon_mb']:,.0f} MB anonymous): what a bulk load that rebuilds them afterwards "
            "starts from.")  # fmt: skip
    if "compare_error" in imp:
        add("")
        add(f"The issues could not be compared with the planted rows: {imp['compare_error']}")
    if cmp_:
        if cmp_["missed_bad"]:
            add("")
            add("Planted bad rows that were not rejected: " + ", ".join(f"{k} {v:,}" for k, v in sorted(cmp_["missed_bad"].items())) + ".")
        if cmp_["missed_dup"]:
            add("")
            add("Planted duplicates not found (key: variations): " + "; ".join(f"{k} {v:,}" for k, v in sorted(cmp_["missed_dup"].items(), key=lambda kv: -kv[1])[:12]) + ".")
        if cmp_["rejected_other"] or cmp_["duplicates_other"]:
            add("")
            add(f"Not planted: {cmp_['rejected_other']:,} good rows rejected, {cmp_['duplicates_other']:,} rows taken for duplicates.")
        if cmp_["samples"]:
            add("")
            add("Examples:")
            add("")
            lines.extend(f"- {s}" for s in cmp_["samples"])
    dd = res.get("dedup")
    if dd:
        add("")
        add(f"`manyi dedup` afterwards: {dd['pairs'] if dd['pairs'] is not None else '?'} pairs in {dd['wall']:.1f} s, "
            f"peak {dd['peak_mb']:,.0f} MB (exit {dd['returncode']}).")  # fmt: skip
    ok = None
    if goals:
        ok = imp["wall"] < GOAL_SECONDS and imp["peak_mb"] < GOAL_MB and ratio is not None and ratio >= GOAL_RATIO and bool(clean)
    return lines, ok


def report(manifest: dict, data: ImportData, results: list[dict]) -> tuple[list[str], bool | None]:
    lines = [machine(), ""]
    g = manifest["good_rows_with"]
    lines.append(
        f"File `{data.csv.relative_to(ROOT)}` (seed {manifest['seed']}): {manifest['rows']:,} rows, GBK, CRLF, "
        f"{manifest['bytes'] / 1e6:,.0f} MB, generated in {manifest['seconds']:.0f} s ({manifest.get('peak_mb', '?')} MB). Good rows {manifest['good_rows']:,} "
        f"({g['enterprise']:,} enterprises, {g['individual']:,} individuals; with a mobile {g['mobile']:,}, a credit code "
        f"{g['credit_code']:,}, an e-mail {g['email']:,}, a landline {g['landline']:,}); planted {manifest['bad_rows']:,} bad rows ("
        + ", ".join(f"{k} {v:,}" for k, v in manifest["bad_by_defect"].items())
        + f") and {manifest['duplicates']:,} duplicates (by "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(manifest["duplicates_by_key"].items()))
        + ")."
    )
    lines.append("")
    ok: bool | None = None
    for res in results:
        part, part_ok = report_database(res, manifest)
        lines.extend(part)
        lines.append("")
        if part_ok is not None:
            ok = part_ok
    return lines, ok


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--quick", action="store_true", help="20,000 rows")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--force", action="store_true", help="generate the file anew even if it exists")
    p.add_argument("--generate-only", action="store_true", help="make (or reuse) the file and stop")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    p.add_argument("--baseline-runs", type=int, choices=(1, 2), default=2, help="SQLite's baseline before (and after) the import")
    p.add_argument("--pg-baseline", action="store_true", help="also a psycopg executemany baseline on PostgreSQL (slow: ~1,000 rows/s here)")
    p.add_argument("--write", nargs="?", const=RESULTS, type=Path, help=f"also write the report to this file (default {RESULTS.relative_to(ROOT)})")
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        name, target, path = a.worker
        out = WORKERS[name](target, path)
        out["peak_mb_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out), flush=True)
        return
    if a.quick:
        a.rows = 20_000
    data = ImportData(a.rows)
    manifest = generate(data, seed=a.seed, force=a.force)
    if a.generate_only:
        return
    results = []
    if a.db in ("sqlite", "both"):
        results.append(run_database("sqlite", data, manifest, None, a.baseline_runs))
    if a.db in ("postgres", "both"):
        with PgCluster() as pg:
            results.append(run_database("postgres", data, manifest, pg, 1 if a.pg_baseline else 0))
    lines, ok = report(manifest, data, results)
    print()
    print("\n".join(lines), flush=True)
    command = "python bench/import.py " + " ".join(sys.argv[1:])
    if a.write:
        a.write.write_text(f"# Import benchmark\n\n`{command.strip()}`\n\n" + "\n".join(lines).rstrip() + "\n", encoding="utf-8")
        log(f"wrote {a.write}")
    if ok is not None:
        print(f"all goals met: {_mark(ok)}")


if __name__ == "__main__":
    main()
