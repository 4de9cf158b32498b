"""Generate a large, realistic Manyi database for the scale benchmark.

    python bench/generate.py --db sqlite   --customers 1000000 --interactions 10000000
    python bench/generate.py --db postgres --customers 20000 --interactions 200000 --force

A fresh data set is created once and reused by later runs (`--force` makes a
new one). The schema comes from `manyi migrate`; rows are written straight
through the database driver (sqlite3 executemany in large transactions, or
PostgreSQL COPY), with secondary indexes and foreign keys dropped during the
load and rebuilt afterwards.

What is generated (deterministic for a given --seed):
- TEAMS teams, each with one manager, REPS_PER_TEAM sales reps and one service
  agent; one administrator. Every user's password is PASSWORD (hashed once).
- customers: 60 % enterprises (城市 + 字号 + 行业 + 有限公司), 40 % individuals
  (surname + given name), pinyin and initials from manyi.core.text, unique
  E.164 mobiles, owner spread over the reps, team = owner's team, grades,
  importance, depth, created/updated over three years, 0.5 % soft-deleted;
  one "created" change record each; 1 % shared with a second rep of the team
  and 2 % served by the team's agent.
- interactions spread over the customers (skewed: a few customers get many)
  and over the last two years, created_by = the owner.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))

# The `manyi` console script, run with this interpreter (works without the script on PATH too).
MANYI = [sys.executable, "-c", "import sys; from manyi.cli import main; sys.argv[0] = 'manyi'; main()"]
PASSWORD = "Bench-pass-2026"
TEAMS = 30
REPS_PER_TEAM = 10
ADMIN = "bench_admin"
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)

CITIES = (
    "北京 上海 广州 深圳 杭州 南京 苏州 成都 重庆 武汉 西安 天津 长沙 郑州 青岛 济南 合肥 福州 厦门 宁波 "
    "无锡 东莞 佛山 昆明 沈阳 大连 哈尔滨 长春 石家庄 太原 南昌 南宁 贵阳 兰州 乌鲁木齐 呼和浩特 海口 温州 绍兴 常州"
).split()
PROVINCE_OF = dict(zip(CITIES, (
    "北京 上海 广东 广东 浙江 江苏 江苏 四川 重庆 湖北 陕西 天津 湖南 河南 山东 山东 安徽 福建 福建 浙江 "
    "江苏 广东 广东 云南 辽宁 辽宁 黑龙江 吉林 河北 山西 江西 广西 贵州 甘肃 新疆 内蒙古 海南 浙江 浙江 江苏"
).split()))
BRAND_CHARS = (
    "华盛鑫隆恒瑞泰达信诚宏远金源丰利德兴旺通安康辉煌明光天新星宇创博海辰云峰锦程嘉禾美佳汇聚合众鼎东方"
    "中科智联数腾飞凯越卓优启航开元正伟业永福吉祥顺昌荣茂润泽清和平长青松柏兰竹梅龙凤鹏鸿雁朗晟昊弘睿铭轩瀚钧"
)
INDUSTRIES = (
    "科技 贸易 实业 机械 电子 食品 建材 化工 物流 医药 纺织 服装 家具 汽车配件 新能源 信息技术 网络科技 生物科技 "
    "环保科技 文化传媒 教育咨询 餐饮管理 酒店管理 房地产开发 建筑工程 农业开发 商贸 印刷 包装 五金 电气 仪器仪表 "
    "光电 软件 供应链管理 投资管理 健康管理 广告 装饰工程 精密制造"
).split()
SUFFIXES = ["有限公司"] * 14 + ["有限责任公司"] * 2 + ["股份有限公司"] * 3 + ["集团有限公司"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯俊帅婷雪梅琳晨欣怡佳颖子涵"
    "思雨嘉欣宁馨梓萱一诺雨桐可馨欣妍子轩浩然宇航博文皓轩俊杰天佑明哲晓东晓燕海燕春梅秋菊冬梅立新振华建华国强"
)
INDUSTRY_EN = ["internet", "manufacturing", "retail", "finance", "healthcare", "education", "logistics", "energy"]
SUBJECTS = ["季度回访", "新品介绍", "报价跟进", "合同续签", "售后问题", "发票咨询", "上门拜访", "节日问候", "需求沟通", "投诉处理"]
TEXTS = [
    "客户对新报价基本满意，希望下周安排技术人员上门演示。",
    "电话沟通了交货期，客户表示可以接受，需尽快确认合同条款。",
    "客户反映上批货物包装破损，已登记并承诺三个工作日内补发。",
    "拜访客户采购负责人，了解到明年预算增加百分之二十。",
    "微信沟通售后安装进度，客户催促尽快完成调试。",
    "客户询问增值税专用发票开具事宜，已转财务处理。",
    "节前问候，顺便介绍了新推出的会员积分活动。",
    "客户对服务响应速度不太满意，需要主管跟进。",
    "会议讨论了二期项目范围，客户倾向于分阶段实施。",
    "客户表示竞争对手报价更低，希望我们给出更优惠的方案。",
]
CUSTOMER_BLANKS = {"province": "", "city": "", "industry": "", "employee_count": None, "leader_name": "", "gender": "",
                   "birthday": None, "deleted_at": None, "deleted_by_id": None}
KINDS = ["call"] * 5 + ["visit"] * 2 + ["email"] * 2 + ["chat"] * 3 + ["meeting", "note"]
CHANNEL_OF = {"call": "phone", "visit": "in_person", "email": "email", "chat": "wechat", "meeting": "in_person", "note": "other"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {msg}", flush=True)


# --------------------------------------------------------------------------- targets


def _as_tuples(rows, columns: list[str] | None):
    """(column names, first row, iterator over the other rows), all rows as
    tuples in column order; rows may be dicts (columns from the first) or
    tuples in the order of `columns`. The first row is None when there are none."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return columns or [], None, it
    if columns is not None:
        return columns, first, it
    given = list(first.keys())
    return given, tuple(first.get(c) for c in given), (tuple(r.get(c) for c in given) for r in it)


class Target:
    """Where one generated data set lives: a data dir plus, for PostgreSQL, a database URL."""

    def __init__(self, db: str, customers: int, interactions: int, pg_url: str | None = None):
        self.db = db
        self.customers = customers
        self.interactions = interactions
        self.tag = f"c{customers}_i{interactions}"
        self.data_dir = OUT / f"data-{db}-{self.tag}"
        self.pg_url = f"{pg_url}/manyi_{self.tag}" if pg_url else None
        self.marker = self.data_dir / "generated.json"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ, MANYI_DATA_DIR=str(self.data_dir), MANYI_SECRET_KEY="bench-" + "x" * 50)
        # This checkout's code, whatever `pip install -e` last pointed the environment at.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)
        env.pop("MANYI_DATABASE_URL", None)
        if self.db == "postgres":
            env["MANYI_DATABASE_URL"] = self.pg_url
        return env

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "manyi.sqlite3"

    def exists(self) -> bool:
        if not self.marker.exists():
            return False
        if self.db == "sqlite":
            return self.sqlite_path.exists()
        import psycopg

        try:
            with psycopg.connect(self.pg_url, connect_timeout=5) as conn:
                return conn.execute("select count(*) from customers_customer").fetchone()[0] > 0
        except Exception:
            return False

    def migrate(self) -> float:
        t0 = time.perf_counter()
        subprocess.run([*MANYI, "migrate", "--no-input", "--skip-checks", "-v", "0"], env=self.env, check=True, cwd=ROOT)
        return time.perf_counter() - t0


# --------------------------------------------------------------------------- data


class Names:
    """Realistic Chinese names with pinyin/initials cached per distinct part."""

    def __init__(self, rng: random.Random):
        from manyi.core.text import initials_key, pinyin_key

        self.rng = rng
        self._py, self._ini = pinyin_key, initials_key
        self.cache: dict[str, tuple[str, str]] = {}
        self.surname_weights = [1.0 / (i + 3) for i in range(len(SURNAMES))]
        self.surname_cum = []
        acc = 0.0
        for w in self.surname_weights:
            acc += w
            self.surname_cum.append(acc)

    def keys(self, part: str) -> tuple[str, str]:
        hit = self.cache.get(part)
        if hit is None:
            hit = self.cache[part] = (self._py(part), self._ini(part))
        return hit

    def company(self) -> tuple[str, str, str, str]:
        r = self.rng
        city = r.choice(CITIES)
        parts = (city, r.choice(BRAND_CHARS) + r.choice(BRAND_CHARS), r.choice(INDUSTRIES), r.choice(SUFFIXES))
        py, ini = zip(*(self.keys(p) for p in parts))
        return "".join(parts), "".join(py), "".join(ini), city

    def person(self) -> tuple[str, str, str]:
        r = self.rng
        surname = SURNAMES[bisect.bisect(self.surname_cum, r.random() * self.surname_cum[-1])]
        given = r.choice(GIVEN_CHARS) + (r.choice(GIVEN_CHARS) if r.random() < 0.7 else "")
        (p1, i1), (p2, i2) = self.keys(surname), self.keys(given)
        return surname + given, p1 + p2, i1 + i2


def ts(d: dt.datetime, db: str) -> str:
    s = d.strftime("%Y-%m-%d %H:%M:%S.%f")
    return s if db == "sqlite" else s + "+00"


def build_users(db: str) -> tuple[list[tuple], list[tuple], dict]:
    """Teams and users. Returns (team rows, user rows, info for the benchmark)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
    import django
    from django.conf import settings as dj_settings

    if not dj_settings.configured:
        django.setup()
    from django.contrib.auth.hashers import make_password

    pw = make_password(PASSWORD)
    now = ts(NOW, db)
    teams = [(t, now, now, f"{'华东华南华北华中西南西北东北'[2 * (t % 7):2 * (t % 7) + 2]}{t:02d}组") for t in range(1, TEAMS + 1)]
    users = []
    uid = 0

    def add(username, role, team, display, superuser=False):
        nonlocal uid
        uid += 1
        users.append(dict(id=uid, password=pw, last_login=None, is_superuser=superuser, username=username, first_name="", last_name="",
                          email=f"{username}@bench.manyi.test", is_staff=superuser, is_active=True, date_joined=now, role=role,
                          display_name=display, phone="", team_id=team, is_demo=False))
        return uid

    add(ADMIN, "admin", None, "管理员", superuser=True)
    reps: list[tuple[int, int]] = []
    managers, agents = {}, {}
    for t in range(1, TEAMS + 1):
        managers[t] = add(f"mgr{t:02d}", "manager", t, f"经理{t:02d}")
        agents[t] = add(f"agent{t:02d}", "service", t, f"客服{t:02d}")
        for k in range(1, REPS_PER_TEAM + 1):
            reps.append((add(f"rep{t:02d}{k:02d}", "sales", t, f"销售{t:02d}{k:02d}"), t))
    info = {"admin": ADMIN, "manager": "mgr01", "rep": "rep0101", "password": PASSWORD, "reps": reps, "managers": managers, "agents": agents}
    return teams, users, info


def customer_rows(n: int, info: dict, db: str, seed: int):
    """Yield (customer row dict, change row, grants) in id order."""
    rng = random.Random(seed)
    names = Names(rng)
    reps = info["reps"]
    team_reps: dict[int, list[int]] = {}
    for uid, t in reps:
        team_reps.setdefault(t, []).append(uid)
    span = 3 * 365 * 86400
    grades, gw = "ABCD", [1, 3, 4, 2]
    importances, iw = ["key", "major", "ordinary", "small"], [1, 2, 5, 2]
    depths = ["awareness", "contact", "satisfaction", "loyalty"]
    categories, cw = ["consumer", "supplier", "agent", "other", "internal"], [14, 2, 2, 1, 1]
    mobile_prefix = ["139", "138", "137", "136", "135", "150", "151", "158", "186", "188", "177", "199"]
    for i in range(1, n + 1):
        owner, team = reps[rng.randrange(len(reps))]
        created = NOW - dt.timedelta(seconds=rng.randrange(span))
        updated = created + dt.timedelta(seconds=rng.randrange(int((NOW - created).total_seconds()) + 1))
        row = {
            **CUSTOMER_BLANKS, "id": i, "created_at": ts(created, db), "updated_at": ts(updated, db), "owner_id": owner, "team_id": team,
            "grade": rng.choices(grades, gw)[0], "importance": rng.choices(importances, iw)[0], "depth": rng.choice(depths),
            "category": rng.choices(categories, cw)[0],
            "mobile": f"+86{mobile_prefix[i % len(mobile_prefix)]}{(i * 7919) % 100_000_000:08d}",
        }
        if rng.random() < 0.6:
            name, py, ini, city = names.company()
            row.update(kind="enterprise", province=PROVINCE_OF[city], city=city, industry=rng.choice(INDUSTRY_EN),
                       employee_count=rng.randrange(5, 5000), leader_name=names.person()[0])
        else:
            name, py, ini = names.person()
            city = rng.choice(CITIES)
            row.update(kind="individual", province=PROVINCE_OF[city], city=city, gender=rng.choice(("female", "male")),
                       birthday=dt.date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28)).isoformat())
        row.update(name=name, name_pinyin=py, name_initials=ini)
        if rng.random() < 0.005:
            row["deleted_at"] = ts(updated, db)
            row["deleted_by_id"] = owner
        change = {"customer_id": i, "actor_id": owner, "at": row["created_at"], "action": "created",
                  "changes": json.dumps([{"field": "name", "label": "名称", "old": "", "new": name}], ensure_ascii=False)}
        grants = []
        x = rng.random()
        if x < 0.01:
            other = rng.choice(team_reps[team])
            if other != owner:
                grants.append({"customer_id": i, "user_id": other, "kind": "shared", "created_at": row["updated_at"]})
        elif x < 0.03:
            grants.append({"customer_id": i, "user_id": info["agents"][team], "kind": "service", "created_at": row["updated_at"]})
        yield row, change, grants, owner


INTERACTION_COLUMNS = ["id", "created_at", "updated_at", "customer_id", "kind", "direction", "channel", "occurred_at",
                       "subject", "text", "created_by_id"]


def interaction_rows(n_inter: int, owners: list[int], db: str, seed: int):
    """Interactions spread over customers (skewed) and the last two years, as tuples of INTERACTION_COLUMNS."""
    rng = random.Random(seed + 1)
    rand, randrange = rng.random, rng.randrange
    n_cust = len(owners)
    days = 2 * 365
    start = NOW - dt.timedelta(days=days)
    day_str = [(start + dt.timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days)]
    zone = "" if db == "sqlite" else "+00"
    kinds = [(k, CHANNEL_OF[k]) for k in KINDS]
    texts = [(SUBJECTS[k], TEXTS[k], "inbound" if k % 3 == 0 else "outbound") for k in range(len(TEXTS))]
    for i in range(1, n_inter + 1):
        # Squaring a uniform variate puts more interactions on some customers;
        # a multiplicative hash spreads those over the id range.
        c = (int(n_cust * rand() ** 2) * 2654435761) % n_cust
        kind, channel = kinds[randrange(len(kinds))]
        subject, text, direction = texts[randrange(len(texts))]
        sec = randrange(86400)
        s = f"{day_str[randrange(days)]} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.000000{zone}"
        yield (i, s, s, c + 1, kind, direction, channel, s, subject, text, owners[c])


# --------------------------------------------------------------------------- emotion readings

READING_COLUMNS = ["id", "interaction_id", "customer_id", "occurred_at", "created_at", "model_version", "polarity", "polarity_score",
                   "primary", "emotions", "intensity", "escalation", "complaint", "cause", "tags", "evidence"]
READINGS = "interactions_emotionreading"
EMOTIONS = ("joy", "like", "anger", "sadness", "fear", "disgust", "surprise", "neutral")  # manyi.emotion.model.EMOTIONS
PRIMARY_OF = {"positive": ("joy", "like", "like"), "neutral": ("neutral",), "negative": ("anger", "sadness", "disgust", "fear", "anger")}
ESCALATION_KINDS = ("refund", "compensation", "repeat", "cancel", "competitor", "consumer_association", "legal")
CAUSES = ("price/overcharge", "delivery/late", "service/attitude", "product/quality", "quote/dishonest", "promise/broken", "communication/insufficient")
TAGS = ("disappointment", "anxiety", "impatience", "suspicion")
VARIANTS = 16  # distinct emotions/evidence JSON values per kind


class ReadingMaker:
    """Synthetic emotion readings with a realistic mix, as the engine would
    store them (services._reading): 30 % positive, 25 % neutral, 45 %
    negative; of all readings ~3 % a high escalation risk and ~10 % medium (all
    negative), a complaint with a cause for most risky ones. The JSON values
    (emotions summing to 1, evidence as 1-3 spans of the text read, an
    escalation cue among them when the risk is not low) are drawn from a few
    variants per kind and text, made once, so millions of rows cost little."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed + 3)
        self.emotions = {
            primary: [self._emotions(primary) for _ in range(VARIANTS)] for primaries in PRIMARY_OF.values() for primary in primaries
        }
        self.evidence: dict[str, dict[str, list[str]]] = {}

    def _emotions(self, primary: str) -> str:
        r = self.rng
        weights = {e: r.random() * 0.3 for e in EMOTIONS}
        weights[primary] = 1.0 + r.random() * 2
        total = sum(weights.values())
        return json.dumps({e: round(w / total, 4) for e, w in weights.items()})

    def _span(self, text: str) -> tuple[int, int]:
        length = min(len(text), self.rng.randint(2, 6))
        start = self.rng.randrange(len(text) - length + 1)
        return start, start + length

    def _evidence(self, text: str, kind: str) -> str:
        """1-3 spans of the text: an escalation cue first when the risk is
        not low, then what drove the polarity, the primary emotion, a tag."""
        r = self.rng
        risky = kind in ("medium", "high")
        polarity = "negative" if risky else kind
        points = [f"escalation:{r.choice(ESCALATION_KINDS)}"] if risky else []
        points += [polarity, r.choice(PRIMARY_OF[polarity]), "tag:" + r.choice(TAGS)]
        spans = []
        for points_to in points[: r.randint(1, 3)]:
            start, end = self._span(text)
            spans.append({"text": text[start:end], "start": start, "end": end, "points_to": points_to})
        return json.dumps(spans, ensure_ascii=False)

    def evidence_for(self, text: str, kind: str) -> str:
        variants = self.evidence.get(text)
        if variants is None:
            variants = self.evidence[text] = {
                k: [self._evidence(text, k) for _ in range(VARIANTS)] for k in ("positive", "neutral", "negative", "medium", "high")
            }
        return variants[kind][self.rng.randrange(VARIANTS)]

    def rows(self, source, first_id: int = 1):
        """source: (interaction id, customer id, occurred_at as stored, subject, text);
        yields tuples of READING_COLUMNS."""
        rand, randrange = self.rng.random, self.rng.randrange
        empty = json.dumps([])
        for n, (iid, cid, at, subject, text) in enumerate(source, first_id):
            words = text or subject
            u = rand()
            if u < 0.30:
                polarity, kind, score, escalation = "positive", "positive", 0.2 + 0.75 * rand(), "low"
            elif u < 0.55:
                polarity, kind, score, escalation = "neutral", "neutral", 0.3 * rand() - 0.15, "low"
            else:
                v = rand()  # of the 45 % negative: 3 points high, 10 points medium
                escalation = "high" if v < 3 / 45 else "medium" if v < 13 / 45 else "low"
                polarity, kind = "negative", ("negative" if escalation == "low" else escalation)
                score = -(0.7 + 0.29 * rand()) if escalation == "high" else -(0.2 + 0.75 * rand())
            choices = PRIMARY_OF[polarity]
            primary = choices[randrange(len(choices))]
            complaint = escalation != "low" or (polarity == "negative" and rand() < 0.3)
            cause = CAUSES[randrange(len(CAUSES))] if complaint and rand() < 0.7 else ""
            tags = json.dumps([TAGS[randrange(len(TAGS))]]) if polarity == "negative" and rand() < 0.4 else empty
            intensity = round((0.6 + 0.4 * rand()) if escalation == "high" else rand() * (0.8 if polarity == "negative" else 0.5), 3)
            yield (n, int(iid), int(cid), at, at, "bench", polarity, round(score, 3), primary,
                   self.emotions[primary][randrange(VARIANTS)], intensity, escalation, complaint, cause, tags,
                   self.evidence_for(words, kind))


def topup_rows(first_id: int, start: dt.datetime, end: dt.datetime, per_day: float, owners: list[int], db: str, seed: int):
    """Interactions from `start` to `end` at the data set's daily rate, as
    interaction_rows makes them (same customers' skew, texts, directions)."""
    rng = random.Random(seed + 2 + int(start.timestamp()))
    rand, randrange = rng.random, rng.randrange
    n_cust = len(owners)
    span = (end - start).total_seconds()
    zone = "" if db == "sqlite" else "+00"
    kinds = [(k, CHANNEL_OF[k]) for k in KINDS]
    texts = [(SUBJECTS[k], TEXTS[k], "inbound" if k % 3 == 0 else "outbound") for k in range(len(TEXTS))]
    for i in range(first_id, first_id + int(per_day * span / 86400)):
        c = (int(n_cust * rand() ** 2) * 2654435761) % n_cust
        kind, channel = kinds[randrange(len(kinds))]
        subject, text, direction = texts[randrange(len(texts))]
        at = start + dt.timedelta(seconds=1 + int(rand() * (span - 1)))
        s = at.strftime("%Y-%m-%d %H:%M:%S.000000") + zone
        yield (i, s, s, c + 1, kind, direction, channel, s, subject, text, owners[c])


def _as_utc(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite keeps text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def add_readings(target: Target, *, seed: int = 2026, force: bool = False, now: dt.datetime | None = None) -> dict:
    """Give a data set emotion readings: one per inbound interaction with
    words. The data set's interactions end at NOW (when it was first
    generated), but the home page's customers at risk look at the last 7 and
    30 days from the wall clock, so the interactions are first carried on
    from the newest one to `now` at the data set's daily rate (without that
    the at-risk reads would find nothing and cost nothing). Skipped when the
    data set already has readings, unless `force` (then the readings are
    loaded anew, after a new top-up). Returns the updated marker."""
    marker = json.loads(target.marker.read_text())
    target.migrate()  # the readings table comes with interactions 0002
    w = SqliteWriter(target.sqlite_path) if target.db == "sqlite" else PostgresWriter(target.pg_url)
    try:
        have = w.query(f"SELECT count(*) FROM (SELECT 1 FROM {READINGS} LIMIT 1) x")[0][0]
        if have and not force:
            log(f"{target.db} {target.tag} has emotion readings already ({marker.get('readings', {}).get('rows', '?'):,} rows); --force to reload")
            return marker
        t_all = time.perf_counter()
        now = now or dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
        last_id, newest = w.query("SELECT max(id), max(occurred_at) FROM interactions_interaction")[0]
        newest = _as_utc(newest)
        added = 0
        if now - newest > dt.timedelta(hours=1):
            per_day = target.interactions / (2 * 365)
            log(f"interactions: carrying on from {newest:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M} UTC at {per_day:,.0f} a day ...")
            owners = [r[0] for r in w.query("SELECT owner_id FROM customers_customer ORDER BY id")]
            total = int(per_day * (now - newest).total_seconds() / 86400)
            w.load("interactions_interaction", topup_rows(last_id + 1, newest, now, per_day, owners, target.db, seed), total,
                   columns=INTERACTION_COLUMNS, append=True)
            added = total
            del owners
        if have and target.db == "sqlite":
            w.execute(f"DELETE FROM {READINGS}")  # (PostgreSQL's load truncates)
        w.drop_indexes([READINGS])
        t0 = time.perf_counter()
        log("emotion readings: generating and loading one per inbound interaction with words ...")
        source = w.stream("SELECT id, customer_id, occurred_at, subject, text FROM interactions_interaction "
                          "WHERE direction = 'inbound' AND (text <> '' OR subject <> '') ORDER BY id")
        expected = int(0.4 * (last_id + added))
        w.load(READINGS, ReadingMaker(seed).rows(source), expected, columns=READING_COLUMNS)
        loaded = time.perf_counter() - t0
        log("rebuilding the readings' indexes and constraints ...")
        w.recreate_indexes()
        w.analyze([READINGS, "interactions_interaction"] if added and target.db == "postgres" else [READINGS])
        rows = w.query(f"SELECT count(*), sum(CASE WHEN escalation = 'high' THEN 1 ELSE 0 END), "
                       f"sum(CASE WHEN polarity = 'negative' THEN 1 ELSE 0 END), max(occurred_at) FROM {READINGS}")[0]
    finally:
        w.close()
    marker["readings"] = {
        "rows": rows[0], "high": rows[1], "negative": rows[2], "newest": str(rows[3]), "interactions_added": added,
        "loaded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": {"load": loaded, "total": time.perf_counter() - t_all},
    }
    marker["interactions_total"] = marker.get("interactions_total", target.interactions) + added
    marker["size_mb"] = _size_mb(target)
    target.marker.write_text(json.dumps(marker, indent=2, ensure_ascii=False))
    log(f"emotion readings for {target.db} {target.tag}: {rows[0]:,} ({rows[1]:,} high, {rows[2]:,} negative), "
        f"{added:,} interactions added, in {marker['readings']['seconds']['total']:.0f}s")
    return marker


# --------------------------------------------------------------------------- writers


def _default_for(type_name: str, notnull: bool, db: str):
    t = type_name.lower()
    if not notnull:
        return None
    if "bool" in t:
        return False if db == "postgres" else 0
    if "int" in t or "numeric" in t or "decimal" in t or "real" in t or "double" in t:
        return 0
    if "json" in t:
        return "[]"
    if "date" in t or "time" in t:
        return ts(NOW, db)
    return ""


class SqliteWriter:
    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000; PRAGMA temp_store=MEMORY;")
        self.dropped: list[str] = []

    def columns(self, table: str) -> list[tuple[str, str, bool]]:
        return [(r[1], r[2], bool(r[3]) and not r[5]) for r in self.conn.execute(f"PRAGMA table_info({table})")]

    vendor = "sqlite"

    def drop_indexes(self, tables: list[str]) -> None:
        """Secondary indexes and triggers (rebuilt in bulk afterwards)."""
        for table in tables:
            for kind, name, sql in self.conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name=? AND sql IS NOT NULL", (table,)
            ).fetchall():
                self.dropped.append(sql)
                self.conn.execute(f'DROP {kind.upper()} "{name}"')

    def recreate_indexes(self) -> None:
        self.conn.execute("PRAGMA threads=2")
        for sql in self.dropped:
            t0 = time.perf_counter()
            self.conn.execute(sql)
            log(f"  {sql.split(' ON ')[0][:60]} {time.perf_counter() - t0:.1f}s")
        self.dropped = []

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        return self.conn.execute(sql).fetchall()

    def stream(self, sql: str):
        """The rows of a query one at a time, on this connection (SQLite lets
        another table be written while a read is open)."""
        yield from self.conn.execute(sql)

    def analyze(self, tables: list[str]) -> None:
        for table in tables:
            t0 = time.perf_counter()
            self.conn.execute(f"ANALYZE {table}")
            log(f"  ANALYZE {table} {time.perf_counter() - t0:.1f}s")

    def close(self) -> None:
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()

    def load(self, table: str, rows, total: int, batch: int = 50_000, columns: list[str] | None = None, append: bool = False) -> None:
        """rows: dicts, or tuples in the order of `columns`, added to what the table holds."""
        cols = self.columns(table)
        given, first, it = _as_tuples(rows, columns)
        if first is None:
            return
        rest = [(c, _default_for(t, nn, "sqlite")) for c, t, nn in cols if c not in given]
        placeholders = ", ".join(["?"] * len(given) + [_sqlite_literal(v) for _, v in rest])
        sql = f'INSERT INTO {table} ({_quoted(given + [c for c, _ in rest])}) VALUES ({placeholders})'
        t0 = time.perf_counter()
        done = 0
        buf = [first]
        self.conn.execute("BEGIN")
        for row in it:
            buf.append(row)
            if len(buf) >= batch:
                self.conn.executemany(sql, buf)
                done += len(buf)
                buf = []
                if done % (batch * 20) == 0:
                    _progress(table, done, total, t0)
        if buf:
            self.conn.executemany(sql, buf)
            done += len(buf)
        self.conn.execute("COMMIT")
        _progress(table, done, total, t0)

    def finish(self) -> None:
        t0 = time.perf_counter()
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA journal_mode=WAL")
        log(f"  ANALYZE {time.perf_counter() - t0:.1f}s")
        self.conn.close()


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _sqlite_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return str(int(v))
    return "'" + str(v).replace("'", "''") + "'"


def _progress(table: str, done: int, total: int, t0: float) -> None:
    el = time.perf_counter() - t0
    log(f"  {table}: {done:,}/{total:,} rows, {el:.0f}s, {done / max(el, 1e-9):,.0f} rows/s")


class PostgresWriter:
    def __init__(self, url: str):
        import psycopg

        self.url = url
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("SET maintenance_work_mem = '1GB'")
        self.conn.execute("SET synchronous_commit = off")
        self.dropped: list[str] = []

    def columns(self, table: str) -> list[tuple[str, str, bool]]:
        return [
            (r[0], r[1], r[2] == "NO" and r[3] is None and r[4] != "YES")
            for r in self.conn.execute(
                "SELECT column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns "
                "WHERE table_name = %s ORDER BY ordinal_position", (table,))
        ]

    vendor = "postgresql"

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        return self.conn.execute(sql).fetchall()

    def stream(self, sql: str):
        """The rows of a query one at a time, as text (COPY … TO STDOUT on a
        connection of its own, so that this one can COPY them in meanwhile)."""
        import psycopg

        with psycopg.connect(self.url) as reader, reader.cursor().copy(f"COPY ({sql}) TO STDOUT") as cp:
            yield from cp.rows()

    def analyze(self, tables: list[str]) -> None:
        for table in tables:
            t0 = time.perf_counter()
            self.conn.execute(f"VACUUM (ANALYZE) {table}")
            log(f"  VACUUM ANALYZE {table} {time.perf_counter() - t0:.1f}s")

    def close(self) -> None:
        self.conn.close()

    def drop_indexes(self, tables: list[str]) -> None:
        """Secondary indexes, foreign keys and triggers (rebuilt in bulk afterwards)."""
        for table in tables:
            self.conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            self.dropped.append(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            # foreign keys first (they are re-validated in one pass afterwards)
            for name, definition in self.conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", (table,)
            ).fetchall():
                self.dropped.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                self.conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, definition in self.conn.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)", (table,)
            ).fetchall():
                self.dropped.insert(0, definition)
                self.conn.execute(f'DROP INDEX "{name}"')

    def recreate_indexes(self) -> None:
        for sql in self.dropped:
            t0 = time.perf_counter()
            self.conn.execute(sql)
            log(f"  {sql[:90]} {time.perf_counter() - t0:.1f}s")
        self.dropped = []

    def load(self, table: str, rows, total: int, batch: int = 20_000, columns: list[str] | None = None, append: bool = False) -> None:
        """rows: dicts, or tuples in the order of `columns`. The table is emptied
        first (so COPY can write frozen rows) unless `append`."""
        cols = self.columns(table)
        given, first, it = _as_tuples(rows, columns)
        if first is None:
            return
        rest = [(c, _default_for(t, nn, "postgres")) for c, t, nn in cols if c not in given]
        tail = "".join("\t" + _copy_text(v) for _, v in rest) + "\n"
        t0 = time.perf_counter()
        done = 0
        with self.conn.transaction():
            if not append:
                self.conn.execute(f"TRUNCATE {table} CASCADE")
            freeze = "" if append else " WITH (FREEZE)"
            with self.conn.cursor().copy(f'COPY {table} ({_quoted(given + [c for c, _ in rest])}) FROM STDIN{freeze}') as cp:
                buf = io.StringIO()
                for row in _chain(first, it):
                    buf.write("\t".join(map(_copy_text, row)))
                    buf.write(tail)
                    done += 1
                    if done % batch == 0:
                        cp.write(buf.getvalue())
                        buf = io.StringIO()
                        if done % (batch * 50) == 0:
                            _progress(table, done, total, t0)
                cp.write(buf.getvalue())
        _progress(table, done, total, t0)
        self.conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            if any(c == "id" for c, _, _ in cols) else "SELECT 1")

    def finish(self) -> None:
        t0 = time.perf_counter()
        self.conn.execute("VACUUM (ANALYZE)")
        log(f"  VACUUM ANALYZE {time.perf_counter() - t0:.1f}s")
        self.conn.close()


def _chain(first, it):
    yield first
    yield from it


def _copy_text(v) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    return str(v)


# --------------------------------------------------------------------------- main


def rebuild(w) -> None:
    """After a load: the secondary indexes, then the trigger-kept tables, then commit."""
    w.recreate_indexes()
    for module, statements in rebuild_statements(w.vendor):
        t1 = time.perf_counter()
        for sql in statements:
            w.execute(sql)
        log(f"  {module}.REBUILD {time.perf_counter() - t1:.1f}s")
    w.finish()


def rebuild_statements(vendor: str):
    """Migrations that keep derived tables by triggers (switched off during the
    load) say how to rebuild them in bulk, in a REBUILD = {vendor: [sql]} attribute."""
    import importlib
    import pkgutil

    import manyi

    for app in pkgutil.iter_modules(manyi.__path__):
        if not app.ispkg:
            continue
        try:
            migrations = importlib.import_module(f"manyi.{app.name}.migrations")
        except ImportError:
            continue
        for m in sorted(pkgutil.iter_modules(migrations.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{migrations.__name__}.{m.name}")
            if vendor in getattr(module, "REBUILD", {}):
                yield f"{app.name}.{m.name}", module.REBUILD[vendor]



def generate(target: Target, *, seed: int = 2026, force: bool = False) -> dict:
    """Create the data set unless it already exists. Returns the marker (timings, users)."""
    if not force and target.exists():
        marker = json.loads(target.marker.read_text())
        log(f"reusing {target.db} data set {target.tag} (generated {marker['generated_at']}, {marker['seconds']['total']:.0f}s)")
        return add_readings(target, seed=seed)
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    if target.data_dir.exists():
        shutil.rmtree(target.data_dir)
    target.data_dir.mkdir(parents=True)
    if target.db == "postgres":
        import psycopg

        base, dbname = target.pg_url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            conn.execute(f"CREATE DATABASE \"{dbname}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    log(f"migrating {target.db} {target.tag} ...")
    timings["migrate"] = target.migrate()
    teams, users, info = build_users(target.db)
    w = SqliteWriter(target.sqlite_path) if target.db == "sqlite" else PostgresWriter(target.pg_url)
    big = ["customers_customer", "customers_changerecord", "customers_customeraccess", "interactions_interaction"]
    w.drop_indexes(big)

    t0 = time.perf_counter()
    w.load("accounts_team", ({"id": t[0], "created_at": t[1], "updated_at": t[2], "name": t[3]} for t in teams), len(teams))
    w.load("accounts_user", iter(users), len(users))
    log(f"customers: generating and loading {target.customers:,} ...")
    owners: list[int] = []
    changes: list[dict] = []
    grants: list[dict] = []

    def custs():
        for row, change, gs, owner in customer_rows(target.customers, info, target.db, seed):
            owners.append(owner)
            changes.append(change)
            grants.extend(gs)
            yield row

    w.load("customers_customer", custs(), target.customers)
    for g_id, g in enumerate(grants, 1):
        g["id"] = g_id
    w.load("customers_customeraccess", iter(grants), len(grants))
    for c_id, c in enumerate(changes, 1):
        c["id"] = c_id
    w.load("customers_changerecord", iter(changes), len(changes))
    del changes
    timings["customers"] = time.perf_counter() - t0
    log(f"interactions: generating and loading {target.interactions:,} ...")
    t0 = time.perf_counter()
    w.load("interactions_interaction", interaction_rows(target.interactions, owners, target.db, seed), target.interactions,
           columns=INTERACTION_COLUMNS)
    timings["interactions"] = time.perf_counter() - t0
    log("rebuilding indexes and constraints ...")
    t0 = time.perf_counter()
    rebuild(w)
    timings["indexes"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    shared = [g for g in grants if g["kind"] == "shared"]
    marker = {
        "db": target.db, "customers": target.customers, "interactions": target.interactions, "seed": seed,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "seconds": timings,
        "users": {k: info[k] for k in ("admin", "manager", "rep", "password")},
        "rep_shared": sum(1 for g in shared if g["user_id"] == info["reps"][0][0]),
        "size_mb": _size_mb(target),
    }
    target.marker.write_text(json.dumps(marker, indent=2, ensure_ascii=False))
    log(f"generated {target.db} {target.tag} in {timings['total']:.0f}s ({marker['size_mb']:,} MB): "
        + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))
    return add_readings(target, seed=seed)


def _size_mb(target: Target) -> int:
    if target.db == "sqlite":
        return int(target.sqlite_path.stat().st_size / 1e6)
    import psycopg

    with psycopg.connect(target.pg_url) as conn:
        return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6)


def dataset_arguments(p: argparse.ArgumentParser, *, db_default: str) -> None:
    """Which data set: the options generate.py and pages.py share."""
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default=db_default)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--interactions", type=int, default=10_000_000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--force", action="store_true", help="regenerate the data set even if it exists")


def main() -> None:
    from pgcluster import PgCluster

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    dataset_arguments(p, db_default="sqlite")
    p.add_argument("--readings-only", action="store_true",
                   help="only give an existing data set its emotion readings (--force: load them anew)")
    a = p.parse_args()

    def one(target: Target) -> None:
        if not a.readings_only:
            generate(target, seed=a.seed, force=a.force)
        elif not target.exists():
            sys.exit(f"no {target.db} data set {target.tag} to add readings to; generate it first")
        else:
            add_readings(target, seed=a.seed, force=a.force)

    for db in (["sqlite", "postgres"] if a.db == "both" else [a.db]):
        if db == "postgres":
            with PgCluster() as pg:
                one(Target(db, a.customers, a.interactions, pg.url))
        else:
            one(Target(db, a.customers, a.interactions))


if __name__ == "__main__":
    main()
