"""Customer value analytics benchmark (issue 6): a full refresh of 1,000,000
customers and 10,000,000 order lines from SQLite, beside `lifetimes` fitting
the same BG/NBD and Gamma-Gamma data and DuckDB computing the same RFM scores.

    pip install -e ".[bench]"                  # lifetimes and DuckDB, the baselines
    python bench/analytics.py                  # the full run (the data set is generated once)
    python bench/analytics.py --quick          # 20,000 customers, 200,000 order lines
    python bench/analytics.py --write          # also write bench/RESULTS-analytics.md
    python bench/analytics.py --force          # generate the data set anew first

The data set lives in bench/out/analytics-sqlite-c<N>_l<L>/ and is reused
until --force. Teams, users and customers come from bench/generate.py (the
same names, owners and creation dates for the same --seed; no change records,
sharing grants or interactions). Then, deterministic for a given --seed:

- 200 products (CATEGORY_SIZES) in the 12 categories of CATALOGUE, Chinese
  names, list prices log-normal around each category's median.
- Purchases by the BG/NBD process: BUYERS of the customers make a first
  order a few weeks (exponential) after they were created; then, while alive,
  they order at a rate λ ~ Gamma(R, alpha) a day (capped at MAX_RATE), and
  after each repeat order drop out for good with probability p ~ Beta(A, B),
  until AS_OF. alpha is solved so that the expected number of orders is
  about lines / MEAN_LINES.
- 1–5 lines an order (a truncated geometric, its mean set so the lines total
  about --lines). A customer has one or two favourite categories (the second
  one related to the first) that take FAVOURITE of their lines, the rest by
  category popularity; within a category, products by a Zipf popularity
  tilted to cheap or dear products by the customer's tier. Quantities by
  category and by the customer's scale, a discount now and then; the order's
  amount is the sum of its lines.
- ~2 % of orders cancelled or returned (they count in no figure); recent
  orders are partly still "confirmed", the rest "completed".

Rows are written with sqlite3 executemany in large transactions, secondary
indexes and triggers dropped during the load and rebuilt afterwards.

What is measured, each in a fresh process pinned to one core (BLAS on one
thread), so times and memory do not mix:
- the refresh: `analytics_refresh(as_of=AS_OF)`, its wall time, peak resident
  memory (ru_maxrss) and each stage's time;
- the BG/NBD + Gamma-Gamma fit, Manyi's (metrics.clv) beside
  lifetimes.BetaGeoFitter / GammaGammaFitter, on the same arrays: the ones
  clv.summarise makes from the orders the refresh reads (counted statuses up to
  AS_OF, live customers), dumped once by a preparing process;
- RFM scores, Manyi's (metrics.rfm aggregate + scores) beside one DuckDB query
  with the same cut points (quantile_disc = numpy's "inverted_cdf") on the
  same order arrays, DuckDB on one thread;
- the suggestions' hit rate on the held-out last month, beside the most
  popular products (computed inside the refresh).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import datetime as dt
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import (
    OUT,
    ROOT,
    SqliteWriter,
    Target,
    build_users,
    customer_rows,
    log,
    rebuild,
    ts,
)

AS_OF = dt.date(2026, 10, 31)  # the last order day; the refresh is run as of it
EPOCH = dt.date(1970, 1, 1)
RESULTS = ROOT / "bench" / "RESULTS-analytics.md"

# BG/NBD process (days): rate λ ~ Gamma(R, alpha), dropout p ~ Beta(A, B).
R, A, B = 0.7, 0.8, 3.2
MAX_RATE = 0.5
BUYERS = 0.85
FIRST_DELAY_DAYS = 30.0
MEAN_LINES = 2.5
FAVOURITE = 0.75
SECOND_FAVOURITE = 0.6  # share of customers with a second favourite category
PREMIUM = 0.3  # share of customers who lean to dearer products
CANCELLED, RETURNED = 0.013, 0.007
CONFIRMED_DAYS = 10  # orders this recent are still "confirmed" by 60 %
CHANNELS = (("direct", 25), ("store", 15), ("online", 35), ("phone", 10), ("distributor", 10), ("other", 5))

GOAL_SPEEDUP = 10.0
GOAL_DECIMALS = 4
GOAL_SECONDS = 60.0
GOAL_MB = 2048

# name, SKU prefix, median list price (¥), mean quantity, popularity, related categories, brands, items
CATALOGUE = [
    ("办公文具", "BG", 15, 6.0, 14, ("打印耗材", "包装材料"), "得力 晨光 齐心 国誉 真彩",
     "中性笔 笔记本 文件夹 订书机 便利贴 档案盒 计算器 白板笔 长尾夹 剪刀 胶水 印台"),
    ("打印耗材", "DY", 180, 2.0, 8, ("办公文具", "电脑配件"), "惠普 佳能 兄弟 爱普生 天威",
     "硒鼓 墨盒 复印纸 色带 碳粉 标签纸 相片纸 打印头"),
    ("电脑配件", "DN", 260, 1.3, 9, ("打印耗材", "办公家具"), "罗技 雷柏 闪迪 绿联 西部数据",
     "无线鼠标 机械键盘 显示器支架 移动硬盘 U盘 扩展坞 网线 摄像头 耳机 路由器"),
    ("清洁用品", "QJ", 25, 5.0, 12, ("个护日化", "劳保用品"), "维达 心相印 威猛先生 滴露 妙洁",
     "抽纸 洗手液 垃圾袋 拖把 消毒液 清洁剂 卷纸 湿巾 玻璃水"),
    ("茶饮食品", "CY", 60, 3.0, 10, ("厨房电器", "清洁用品"), "农夫山泉 雀巢 立顿 三只松鼠 西湖",
     "绿茶 红茶 咖啡豆 矿泉水 坚果礼盒 饼干 速溶咖啡 花茶 牛奶"),
    ("劳保用品", "LB", 30, 8.0, 8, ("五金工具", "清洁用品"), "3M 霍尼韦尔 代尔塔 恒辉 际华",
     "劳保手套 安全帽 防护口罩 工作服 安全鞋 护目镜 耳塞 反光背心"),
    ("五金工具", "WJ", 80, 2.0, 6, ("劳保用品", "电工照明"), "世达 史丹利 博世 得力工具 长城精工",
     "螺丝刀套装 电钻 扳手 卷尺 工具箱 钳子 锤子 梯子"),
    ("电工照明", "DG", 45, 5.0, 8, ("五金工具", "办公家具"), "公牛 欧普 飞利浦 正泰 雷士",
     "LED灯管 插线板 开关面板 电线 筒灯 应急灯 台灯 灯泡"),
    ("包装材料", "BZ", 35, 10.0, 7, ("办公文具", "劳保用品"), "永大 晨鸣 金旗舰 得力包装 优必胜",
     "纸箱 胶带 气泡膜 缠绕膜 打包带 快递袋 封箱器 珍珠棉"),
    ("厨房电器", "CF", 400, 1.1, 4, ("茶饮食品", "个护日化"), "美的 九阳 苏泊尔 格力 小熊",
     "电水壶 微波炉 咖啡机 饮水机 电饭煲 消毒柜 冰箱 榨汁机"),
    ("个护日化", "GH", 40, 3.0, 9, ("清洁用品", "茶饮食品"), "立白 蓝月亮 舒肤佳 高露洁 海飞丝",
     "洗发水 沐浴露 牙膏 护手霜 洗衣液 香皂 洗洁精 纸巾盒"),
    ("办公家具", "JJ", 900, 1.2, 5, ("电脑配件", "办公文具"), "震旦 圣奥 永艺 西昊 黑白调",
     "办公椅 办公桌 文件柜 会议桌 书架 屏风工位 沙发 保险柜"),
]
CATEGORY_SIZES = (22, 16, 20, 18, 18, 16, 16, 18, 14, 14, 14, 14)  # 200 products
VARIANTS = ("标准款", "经济装", "加大装", "专业版", "升级款", "商务款", "家庭装")


# --------------------------------------------------------------------------- data set


class AnalyticsTarget(Target):
    """generate.Target's data dir, named for customers and order lines."""

    def __init__(self, customers: int, lines: int):
        super().__init__("sqlite", customers, lines)
        self.lines = lines
        self.tag = f"c{customers}_l{lines}"
        self.data_dir = OUT / f"analytics-sqlite-{self.tag}"
        self.marker = self.data_dir / "generated.json"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.sqlite_path.resolve()}"


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def catalogue(seed: int):
    """(category rows, product rows, product category index, list price, product weights by tier [2, P])."""
    rng = random.Random(seed + 11)
    prices_rng = np.random.default_rng(seed + 11)
    now = ts(dt.datetime(2023, 10, 1, tzinfo=dt.UTC), "sqlite")
    categories, products, cat_of, price = [], [], [], []
    for k, ((name, code, median, _q, _w, _rel, brands, items), size) in enumerate(zip(CATALOGUE, CATEGORY_SIZES, strict=True)):
        categories.append((k + 1, name))
        combos = [(b, i, v) for b in brands.split() for i in items.split() for v in VARIANTS]
        rng.shuffle(combos)
        seen = set()
        picked = []
        for b, i, v in combos:  # one variant of each (brand, item) at most
            if (b, i) not in seen:
                seen.add((b, i))
                picked.append(f"{b} {i} {v}")
            if len(picked) == size:
                break
        for j, product_name in enumerate(picked, 1):
            p = median * float(np.exp(prices_rng.normal(0.0, 0.5)))
            p = round(p * 2) / 2 if p < 100 else float(round(p) - (1 if round(p) % 10 == 0 else 0))
            pid = len(products) + 1
            products.append((pid, now, now, f"{code}-{j:04d}", product_name, k + 1, p, 1))
            cat_of.append(k)
            price.append(p)
    cat_of, price = np.array(cat_of), np.array(price)
    weights = np.empty((2, len(price)))
    for k in range(len(CATALOGUE)):
        inside = np.flatnonzero(cat_of == k)
        zipf = 1.0 / np.arange(1, len(inside) + 1) ** 0.9
        zipf = zipf[prices_rng.permutation(len(inside))]
        rel = price[inside] / np.median(price[inside])
        weights[0, inside] = zipf / np.sqrt(rel)  # budget customers
        weights[1, inside] = zipf * rel  # premium customers
    return categories, products, cat_of, price, weights


def _solve_alpha(g: np.ndarray, p: np.ndarray, span: np.ndarray, target: float) -> float:
    """The alpha with Σ E[orders | λ = min(g/alpha, MAX_RATE), p, span] = target, where
    E = 1 + (1 − exp(−λ p span)) / p (the first order and BG/NBD's expected repeats)."""
    lo, hi = -8.0, 16.0

    def expected(log_alpha: float) -> float:
        lam = np.minimum(g / np.exp(log_alpha), MAX_RATE)
        return float(np.sum(1.0 + -np.expm1(-lam * p * span) / p))

    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if expected(mid) > target else (lo, mid)
    return float(np.exp((lo + hi) / 2))


def _lines_per_order(n_orders: int, lines: int, rng: np.random.Generator) -> np.ndarray:
    """1–5 lines each, P(k) ∝ θ^k with θ set so the mean is lines / n_orders."""
    mean = min(max(lines / max(n_orders, 1), 1.0), 5.0)
    k = np.arange(1, 6)

    def mean_of(theta: float) -> float:
        w = theta**k
        return float((w * k).sum() / w.sum())

    lo, hi = 1e-6, 1e6
    for _ in range(100):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if mean_of(mid) < mean else (lo, mid)
    w = np.sqrt(lo * hi) ** k
    return rng.choice(k, size=n_orders, p=w / w.sum()).astype(np.int64)


def orders_and_lines(created_day: np.ndarray, owners: np.ndarray, lines: int, seed: int, products) -> dict:
    """Every order and line as numpy arrays (orders sorted by time: ids follow dates)."""
    _categories, _rows, cat_of, price, weights = products
    rng = np.random.default_rng(seed + 21)
    n = len(created_day)
    end = day_number(AS_OF) + 1.0

    # who buys, from when, how often, for how long
    t0 = created_day + rng.exponential(FIRST_DELAY_DAYS, n)
    buyer = (rng.random(n) < BUYERS) & (t0 < end)
    g, p = rng.gamma(R, 1.0, n), rng.beta(A, B, n)
    idx = np.flatnonzero(buyer)
    alpha = _solve_alpha(g[idx], p[idx], end - t0[idx], lines / MEAN_LINES)
    rate = np.minimum(g / alpha, MAX_RATE)
    t = t0[idx]
    who, when = [idx], [t]
    first = True
    while idx.size:
        if not first:  # BG/NBD: a customer may drop out after each repeat order (not after the first)
            alive = rng.random(idx.size) >= p[idx]
            idx, t = idx[alive], t[alive]
        first = False
        t = t + rng.exponential(1.0, idx.size) / rate[idx]
        keep = t < end
        idx, t = idx[keep], t[keep]
        who.append(idx)
        when.append(t)
    o_cust, o_time = np.concatenate(who), np.concatenate(when)
    order = np.argsort(o_time, kind="stable")
    o_cust, o_time = o_cust[order], o_time[order]
    n_orders = len(o_cust)

    # lines: category (favourites or popularity), then product (tier-tilted Zipf)
    n_cat = len(CATALOGUE)
    names = [c[0] for c in CATALOGUE]
    popularity = np.array([c[4] for c in CATALOGUE], dtype=float)
    popularity /= popularity.sum()
    related = np.array([[names.index(r) for r in c[5]] for c in CATALOGUE])
    fav1 = rng.choice(n_cat, size=n, p=popularity)
    fav2 = np.where(rng.random(n) < SECOND_FAVOURITE, related[fav1, rng.integers(0, 2, n)], fav1)
    tier = (rng.random(n) < PREMIUM).astype(np.int64)
    scale = rng.gamma(4.0, 0.25, n)
    channel_names = np.array([c for c, _ in CHANNELS])
    channel_w = np.array([w for _, w in CHANNELS], dtype=float)
    channel_w /= channel_w.sum()
    own_channel = rng.choice(len(CHANNELS), size=n, p=channel_w)

    per_order = _lines_per_order(n_orders, lines, rng)
    l_order = np.repeat(np.arange(n_orders), per_order)
    l_cust = o_cust[l_order]
    n_lines = len(l_order)
    u = rng.random(n_lines)
    second = rng.random(n_lines) < 0.4
    category = np.where(second, fav2[l_cust], fav1[l_cust])
    other = u >= FAVOURITE
    category[other] = rng.choice(n_cat, size=int(other.sum()), p=popularity)
    # product: one cumulative table per tier, each category's share shifted by its index
    product = np.empty(n_lines, dtype=np.int64)
    for k in (0, 1):
        cdf = np.empty(len(price))
        for c in range(n_cat):
            inside = np.flatnonzero(cat_of == c)
            cdf[inside] = c + np.cumsum(weights[k, inside]) / weights[k, inside].sum()
        mine = tier[l_cust] == k
        draws = category[mine] + rng.random(int(mine.sum())) * (1 - 1e-12)
        product[mine] = np.minimum(np.searchsorted(cdf, draws, side="right"), len(price) - 1)
    qty_mean = np.array([c[3] for c in CATALOGUE])
    quantity = np.maximum(1, rng.poisson(qty_mean[cat_of[product]] * scale[l_cust])).astype(np.float64)
    discount = rng.choice([0.0, 0.05, 0.10, 0.15], size=n_lines, p=[0.7, 0.15, 0.1, 0.05])
    unit_price = np.round(price[product] * (1 - discount), 2)
    amount = np.round(quantity * unit_price, 2)
    o_amount = np.round(np.bincount(l_order, weights=amount, minlength=n_orders), 2)

    # statuses and channels
    o_day = np.floor(o_time).astype(np.int64)
    s = rng.random(n_orders)
    status = np.where(s < CANCELLED, "cancelled", np.where(s < CANCELLED + RETURNED, "returned", "completed")).astype(object)
    fresh = (o_day > end - 1 - CONFIRMED_DAYS) & (status == "completed") & (rng.random(n_orders) < 0.6)
    status[fresh] = "confirmed"
    channel = np.where(rng.random(n_orders) < 0.8, own_channel[o_cust], rng.choice(len(CHANNELS), size=n_orders, p=channel_w))
    return {
        "alpha": alpha, "buyers": int(buyer.sum()),
        "o_cust": o_cust, "o_day": o_day, "o_second": (8 * 3600 + (o_time - o_day) * 12 * 3600).astype(np.int64),
        "o_amount": o_amount, "o_status": status, "o_channel": channel_names[channel], "o_owner": owners[o_cust],
        "l_order": l_order, "l_product": product, "l_quantity": quantity, "l_unit_price": unit_price, "l_amount": amount,
    }  # fmt: skip


ORDER_COLUMNS = ["id", "created_at", "updated_at", "number", "customer_id", "ordered_on", "channel", "status", "amount", "notes",
                 "created_by_id"]
LINE_COLUMNS = ["id", "order_id", "product_id", "quantity", "unit_price", "amount"]
CHUNK = 500_000


def order_rows(d: dict):
    first, last = int(d["o_day"].min()), int(d["o_day"].max())
    days = {k: (EPOCH + dt.timedelta(days=k)) for k in range(first, last + 1)}
    iso = {k: v.isoformat() for k, v in days.items()}
    compact = {k: v.strftime("%Y%m%d") for k, v in days.items()}
    clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(86400)]
    for start in range(0, len(d["o_cust"]), CHUNK):
        stop = start + CHUNK
        ids = range(start + 1, start + 1 + len(d["o_cust"][start:stop]))
        day = d["o_day"][start:stop].tolist()
        created = [f"{iso[k]} {clock[s]}" for k, s in zip(day, d["o_second"][start:stop].tolist(), strict=True)]
        number = [f"SO{compact[k]}-{i:08d}" for k, i in zip(day, ids, strict=True)]
        yield from zip(ids, created, created, number, (d["o_cust"][start:stop] + 1).tolist(), [iso[k] for k in day],
                       d["o_channel"][start:stop].tolist(), d["o_status"][start:stop].tolist(), d["o_amount"][start:stop].tolist(),
                       [""] * len(day), d["o_owner"][start:stop].tolist(), strict=True)


def line_rows(d: dict):
    for start in range(0, len(d["l_order"]), CHUNK):
        stop = start + CHUNK
        n = len(d["l_order"][start:stop])
        yield from zip(range(start + 1, start + 1 + n), (d["l_order"][start:stop] + 1).tolist(), (d["l_product"][start:stop] + 1).tolist(),
                       d["l_quantity"][start:stop].tolist(), d["l_unit_price"][start:stop].tolist(), d["l_amount"][start:stop].tolist(),
                       strict=True)


def generate(target: AnalyticsTarget, *, seed: int, force: bool) -> dict:
    if not force and target.exists():
        marker = json.loads(target.marker.read_text())
        log(f"reusing analytics data set {target.tag} (generated {marker['generated_at']}, {marker['seconds']['total']:.0f}s)")
        target.migrate()  # any migration added since
        return marker
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    if target.data_dir.exists():
        shutil.rmtree(target.data_dir)
    target.data_dir.mkdir(parents=True)
    log(f"migrating {target.tag} ...")
    timings["migrate"] = target.migrate()
    teams, users, info = build_users("sqlite")
    w = SqliteWriter(target.sqlite_path)
    w.drop_indexes(["customers_customer", "analytics_order", "analytics_orderline"])

    t0 = time.perf_counter()
    w.load("accounts_team", ({"id": t[0], "created_at": t[1], "updated_at": t[2], "name": t[3]} for t in teams), len(teams))
    w.load("accounts_user", iter(users), len(users))
    log(f"customers: generating and loading {target.customers:,} (bench/generate.py's) ...")
    owners: list[int] = []
    created: list[str] = []

    def custs():
        for row, _change, _grants, owner in customer_rows(target.customers, info, "sqlite", seed):
            owners.append(owner)
            created.append(row["created_at"])
            yield row

    w.load("customers_customer", custs(), target.customers)
    timings["customers"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    log(f"orders: generating about {target.lines:,} lines ...")
    epoch = dt.datetime(1970, 1, 1)
    created_day = np.array([(dt.datetime.fromisoformat(s) - epoch).total_seconds() / 86400 for s in created])
    created.clear()
    products = catalogue(seed)
    d = orders_and_lines(created_day, np.array(owners, dtype=np.int64), target.lines, seed, products)
    owners.clear()
    n_orders, n_lines = len(d["o_cust"]), len(d["l_order"])
    timings["generate_orders"] = time.perf_counter() - t0
    log(f"  {n_orders:,} orders, {n_lines:,} lines of {d['buyers']:,} buyers (alpha {d['alpha']:.1f} days) "
        f"in {timings['generate_orders']:.1f}s")

    t0 = time.perf_counter()
    categories, product_rows = products[0], products[1]
    w.load("analytics_productcategory", iter(categories), len(categories), columns=["id", "name"])
    w.load("analytics_product", iter(product_rows), len(product_rows),
           columns=["id", "created_at", "updated_at", "sku", "name", "category_id", "unit_price", "active"])
    w.load("analytics_order", order_rows(d), n_orders, batch=100_000, columns=ORDER_COLUMNS)
    w.load("analytics_orderline", line_rows(d), n_lines, batch=100_000, columns=LINE_COLUMNS)
    counted = int(np.isin(d["o_status"], ["confirmed", "completed"]).sum())
    del d
    timings["load_orders"] = time.perf_counter() - t0

    log("rebuilding indexes ...")
    t0 = time.perf_counter()
    rebuild(w)
    timings["indexes"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    marker = {
        "customers": target.customers, "lines": n_lines, "orders": n_orders, "counted_orders": counted,
        "products": len(product_rows), "seed": seed, "as_of": AS_OF.isoformat(),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "seconds": timings,
        "size_mb": int(target.sqlite_path.stat().st_size / 1e6),
    }  # fmt: skip
    target.marker.write_text(json.dumps(marker, indent=2, ensure_ascii=False))
    log(f"generated {target.tag} in {timings['total']:.0f}s ({marker['size_mb']:,} MB): "
        + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))
    return marker


# --------------------------------------------------------------------------- measuring processes


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(fn, *, budget: float = 3.0, runs: int = 3):
    """(result, the best time of up to `runs` runs; fewer when one takes over `budget` seconds)."""
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
        if best > budget:
            break
    return result, best


def work_prepare(work: Path, as_of: dt.date) -> dict:
    """The arrays the refresh computes from: counted orders of live customers
    up to as_of (arrays.read_sales) and clv.summarise of them, as the refresh does."""
    _django()
    from manyi.analytics import arrays
    from manyi.analytics import refresh as pipeline
    from manyi.analytics.metrics import clv

    t0 = time.perf_counter()
    customers = arrays.read_customers()
    orders = arrays.read_sales(customers, as_of=as_of).orders
    today = arrays.day_number(as_of)
    n = len(customers)
    s = clv.summarise(orders.customer, orders.day, orders.amount, n_customers=n, now_day=today + 1, unit_days=pipeline.WEEK)
    np.savez(work / "orders.npz", customer=orders.customer, day=orders.day, amount=orders.amount, n_customers=n, as_of_day=today)
    np.savez(work / "summary.npz", frequency=s.frequency, recency=s.recency, T=s.T, monetary=s.monetary, has_orders=s.has_orders)
    return {"customers": n, "orders": len(orders.day), "buyers": int(s.has_orders.sum()), "repeat": int((s.frequency > 0).sum()),
            "seconds": time.perf_counter() - t0}


def work_refresh(work: Path, as_of: dt.date) -> dict:
    """The refresh as a worker runs it; `ends` marks each stage's end on the
    wall clock, for the memory samples the parent takes (`run_worker`)."""
    _pin()
    t0 = time.perf_counter()
    _django()
    from manyi.analytics.services import analytics_refresh

    setup = time.perf_counter() - t0
    before = _peak_mb()
    ends = [("start", time.time())]
    t0 = time.perf_counter()
    run = analytics_refresh(as_of=as_of, progress=lambda stage, done, total: ends.append((stage, time.time())))
    wall = time.perf_counter() - t0
    return {"wall": wall, "setup": setup, "peak_mb": _peak_mb(), "peak_mb_before": before, "stages": run.stages, "ends": ends,
            "parameters": run.parameters, "customers": run.customers, "orders": run.orders}


def _summary(work: Path):
    z = np.load(work / "summary.npz")
    has = z["has_orders"]
    return z["frequency"][has], z["recency"][has], z["T"][has], z["monetary"][has]


def work_fit_manyi(work: Path) -> dict:
    _pin()
    from manyi.analytics.metrics import clv

    f, r, T, m = _summary(work)
    bg, t_bg = _best(lambda: clv.BetaGeo().fit(f, r, T))
    gg, t_gg = _best(lambda: clv.GammaGamma().fit(f, m))
    return {"seconds": {"bgnbd": t_bg, "gamma_gamma": t_gg}, "peak_mb": _peak_mb(),
            "bgnbd": {k: float(getattr(bg, k)) for k in ("r", "alpha", "a", "b")} | {"ll": float(bg.log_likelihood)},
            "gamma_gamma": {k: float(getattr(gg, k)) for k in ("p", "q", "gamma")}}


def work_fit_lifetimes(work: Path) -> dict:
    _pin()
    import warnings

    import lifetimes

    warnings.simplefilter("ignore")
    f, r, T, m = _summary(work)
    f = f.astype(np.float64)
    bg, t_bg = _best(lambda: lifetimes.BetaGeoFitter().fit(f, r, T))
    repeat = f > 0
    gg, t_gg = _best(lambda: lifetimes.GammaGammaFitter().fit(f[repeat], m[repeat]))
    return {"seconds": {"bgnbd": t_bg, "gamma_gamma": t_gg}, "peak_mb": _peak_mb(), "version": lifetimes.__version__,
            "bgnbd": {k: float(bg.params_[k]) for k in ("r", "alpha", "a", "b")} | {"ll": -float(bg._negative_log_likelihood_) * len(f)},
            "gamma_gamma": {"p": float(gg.params_["p"]), "q": float(gg.params_["q"]), "gamma": float(gg.params_["v"])}}


def _orders(work: Path):
    z = np.load(work / "orders.npz")
    return z["customer"], z["day"], z["amount"], int(z["n_customers"]), int(z["as_of_day"])


def work_rfm_manyi(work: Path) -> dict:
    _pin()
    from manyi.analytics.metrics import rfm

    c, d, a, n, today = _orders(work)

    def once():
        agg = rfm.aggregate(c, d, a, n_customers=n, as_of_day=today)
        return rfm.scores(agg, as_of_day=today)

    s, seconds = _best(once)
    np.savez(work / "rfm-manyi.npz", r=s.r, f=s.f, m=s.m)
    return {"seconds": seconds, "peak_mb": _peak_mb()}


DUCKDB_RFM = """
WITH agg AS (
    SELECT customer, -(? - max(day)) AS neg_recency, count(*) AS orders, sum(amount) AS total
    FROM orders WHERE day <= ? GROUP BY customer
), cuts AS (
    SELECT quantile_disc(neg_recency, [0.2, 0.4, 0.6, 0.8]) AS rc, quantile_disc(orders, [0.2, 0.4, 0.6, 0.8]) AS fc,
           quantile_disc(total, [0.2, 0.4, 0.6, 0.8]) AS mc
    FROM agg
)
SELECT customer,
       (1 + (rc[1] < neg_recency)::INT + (rc[2] < neg_recency)::INT + (rc[3] < neg_recency)::INT + (rc[4] < neg_recency)::INT)::TINYINT AS r,
       (1 + (fc[1] < orders)::INT + (fc[2] < orders)::INT + (fc[3] < orders)::INT + (fc[4] < orders)::INT)::TINYINT AS f,
       (1 + (mc[1] < total)::INT + (mc[2] < total)::INT + (mc[3] < total)::INT + (mc[4] < total)::INT)::TINYINT AS m
FROM agg, cuts
"""


def work_rfm_duckdb(work: Path) -> dict:
    """The same scores in one DuckDB query (quantile_disc is numpy's
    "inverted_cdf": the smallest value with at least q of the customers at or
    below it), from the same arrays, on one thread; scattered back to one
    entry per customer (0 = no orders) as rfm.scores gives them."""
    _pin()
    import duckdb
    import pandas as pd

    c, d, a, n, today = _orders(work)
    frame = pd.DataFrame({"customer": c, "day": d, "amount": a})
    con = duckdb.connect(config={"threads": 1})
    con.register("orders", frame)

    def once():
        got = con.execute(DUCKDB_RFM, [today, today]).fetchnumpy()
        out = {k: np.zeros(n, dtype=np.int8) for k in "rfm"}
        for k in "rfm":
            out[k][got["customer"]] = got[k]
        return out

    s, seconds = _best(once)
    np.savez(work / "rfm-duckdb.npz", **s)
    return {"seconds": seconds, "peak_mb": _peak_mb(), "version": duckdb.__version__}


WORKERS = {"prepare": work_prepare, "refresh": work_refresh, "fit-manyi": work_fit_manyi, "fit-lifetimes": work_fit_lifetimes,
           "rfm-manyi": work_rfm_manyi, "rfm-duckdb": work_rfm_duckdb}


def _memory(pid: int) -> tuple[int, int] | None:
    """(anonymous, file-backed) resident kB of a process, None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if line.startswith(("RssAnon", "RssFile", "RssShmem")))
    if len(fields) < 3:
        return None
    return int(fields["RssAnon"].split()[0]), int(fields["RssFile"].split()[0]) + int(fields["RssShmem"].split()[0])


def run_worker(name: str, target: AnalyticsTarget, work: Path, as_of: dt.date) -> dict:
    """Run one measuring process; its resident memory is sampled every 20 ms
    from here (anonymous apart from file-backed: SQLite maps the database file
    into memory, and those pages count in ru_maxrss though they are the page
    cache's, shared and reclaimable)."""
    env = dict(target.env, MANYI_DATABASE_URL=target.database_url, MANYI_DATA_DIR=str(work / "data"))
    (work / "data").mkdir(exist_ok=True)
    t0 = time.perf_counter()
    samples: list[tuple[float, int, int]] = []
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, __file__, "--worker", name, str(work), as_of.isoformat()], env=env, cwd=ROOT,
                                stdout=out, stderr=err, text=True)
        while proc.poll() is None:
            m = _memory(proc.pid)
            if m:
                samples.append((time.time(), *m))
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        sys.stderr.write(stderr)
        raise SystemExit(f"the {name} process failed (exit {proc.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - t0
    if samples:
        result["anon_mb"] = max(s[1] for s in samples) / 1024
        result["total_mb_sampled"] = max(s[1] + s[2] for s in samples) / 1024
    if "ends" in result:  # the peaks within each stage
        peaks = {}
        for (_, start), (stage, end) in zip(result["ends"], result["ends"][1:]):
            inside = [s for s in samples if start <= s[0] <= end]
            if inside:
                peaks[stage] = (max(s[1] for s in inside) / 1024, max(s[1] + s[2] for s in inside) / 1024)
        result["stage_peaks"] = peaks
    return result


# --------------------------------------------------------------------------- report


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def report(target: AnalyticsTarget, marker: dict, prep: dict, ref: dict, fit: dict, life: dict, ours_rfm: dict, duck: dict,
           agreement: float) -> tuple[list[str], bool]:
    lines: list[str] = []
    add = lines.append
    g = marker["seconds"]
    add(f"Data set `{target.data_dir.relative_to(ROOT)}` (seed {marker['seed']}): {marker['customers']:,} customers, "
        f"{marker['orders']:,} orders with {marker['lines']:,} lines over {marker['products']} products, as of {marker['as_of']}; "
        f"{marker['size_mb']:,} MB. Generated in {g['total']:.0f} s (customers {g['customers']:.0f} s, orders generated "
        f"{g['generate_orders']:.0f} s, loaded {g['load_orders']:.0f} s, indexes {g['indexes']:.0f} s).")
    add("")
    add(f"The refresh reads {prep['orders']:,} counted orders of {prep['customers']:,} live customers: "
        f"{prep['buyers']:,} with orders, {prep['repeat']:,} with repeat purchases (the Gamma-Gamma fit's customers).")
    add("")
    fit_ours = fit["seconds"]["bgnbd"] + fit["seconds"]["gamma_gamma"]
    fit_life = life["seconds"]["bgnbd"] + life["seconds"]["gamma_gamma"]
    speedup = fit_life / fit_ours
    diffs = [abs(fit[m][k] - life[m][k]) for m, ks in (("bgnbd", "r alpha a b"), ("gamma_gamma", "p q gamma")) for k in ks.split()]
    same = max(diffs) < 0.5 * 10.0**-GOAL_DECIMALS
    suggest = ref["parameters"].get("suggest", {})
    hit, popular = suggest.get("hit_rate"), suggest.get("popular_hit_rate")
    total_stages = sum(s["seconds"] for s in ref["stages"])
    checks = [
        ("whole refresh, wall time", f"{ref['wall']:.1f} s", "–", f"< {GOAL_SECONDS:.0f} s", ref["wall"] < GOAL_SECONDS),
        ("whole refresh, peak memory (RSS)", f"{ref['peak_mb']:,.0f} MB", "–", f"< {GOAL_MB:,} MB", ref["peak_mb"] < GOAL_MB),
        ("  of it anonymous (not the mapped database file)", f"{ref.get('anon_mb', float('nan')):,.0f} MB", "", "", None),
        ("BG/NBD + Gamma-Gamma fit", f"{fit_ours:.2f} s", f"lifetimes {fit_life:.2f} s", f"≥ {GOAL_SPEEDUP:.0f}× faster",
         speedup >= GOAL_SPEEDUP),
        ("  speed-up over lifetimes", f"{speedup:,.1f}×", "", "", None),
        ("fitted parameters, largest difference", f"{max(diffs):.1e}", "", "< 5e-05 (same to 4 decimals)", same),
        ("RFM scores (aggregate + quintiles)", f"{ours_rfm['seconds']:.3f} s", f"DuckDB {duck['seconds']:.3f} s", "no slower",
         ours_rfm["seconds"] <= duck["seconds"]),
        ("  customers with identical R, F, M", f"{agreement:.4%}", "", "", None),
        ("suggestions' hit rate, held-out last month",
         f"{hit:.4f}" if hit is not None else "–", f"most popular {popular:.4f}" if popular is not None else "–", "beats popular",
         hit is not None and popular is not None and hit > popular),
    ]
    add("| figure | Manyi | baseline | goal | |")
    add("|---|---:|---:|---|---|")
    for name, ours, base, goal, ok in checks:
        add(f"| {name} | {ours} | {base} | {goal} | {'' if ok is None else _mark(ok)} |")
    all_ok = all(ok for *_, ok in checks if ok is not None)
    add("")
    add(f"Refresh stages (one process pinned to one core; Django set up in {ref['setup']:.1f} s beforehand, "
        f"{ref['peak_mb_before']:,.0f} MB before the refresh; whole process {ref['process_seconds']:.1f} s):")
    add("")
    add("| stage | seconds | share | peak RSS in the stage | of it anonymous |")
    add("|---|---:|---:|---:|---:|")
    peaks = ref.get("stage_peaks", {})
    for s in ref["stages"]:
        anon, total = peaks.get(s["stage"], (None, None))
        memory = f"{total:,.0f} MB | {anon:,.0f} MB" if anon is not None else "– | –"
        add(f"| {s['stage']} | {s['seconds']:.2f} | {s['seconds'] / max(total_stages, 1e-9):.0%} | {memory} |")
    add(f"| **total** | **{total_stages:.2f}** | | **{ref['peak_mb']:,.0f} MB** | **{ref.get('anon_mb', float('nan')):,.0f} MB** |")
    add("")
    add("Memory sampled every 20 ms from outside the process; the total row gives ru_maxrss. File-backed pages are the "
        "database file SQLite maps into memory (settings: mmap_size 2 GB), the page cache's rather than the process's.")
    add("")
    add(f"Fitted parameters (weeks), Manyi beside lifetimes {life['version']} on the same arrays "
        f"({prep['buyers']:,} customers for BG/NBD, {prep['repeat']:,} for Gamma-Gamma):")
    add("")
    add("| model | parameter | Manyi | lifetimes | abs diff | fit time Manyi | fit time lifetimes |")
    add("|---|---|---:|---:|---:|---:|---:|")
    for m, label, ks in (("bgnbd", "BG/NBD", "r alpha a b"), ("gamma_gamma", "Gamma-Gamma", "p q gamma")):
        for i, k in enumerate(ks.split()):
            times = (f"{fit['seconds'][m]:.3f} s", f"{life['seconds'][m]:.2f} s") if i == 0 else ("", "")
            add(f"| {label if i == 0 else ''} | {k} | {fit[m][k]:.6f} | {life[m][k]:.6f} | {abs(fit[m][k] - life[m][k]):.1e} | "
                f"{times[0]} | {times[1]} |")
    refit = ref["parameters"].get("bgnbd", {})
    if "r" in refit:
        add("")
        add("In the refresh: BG/NBD " + ", ".join(f"{k} {refit[k]:.4f}" for k in ("r", "alpha", "a", "b"))
            + "; Gamma-Gamma " + ", ".join(f"{k} {ref['parameters']['gamma_gamma'].get(k, float('nan')):.4f}" for k in ("p", "q", "gamma"))
            + ".")
    add("")
    add(f"RFM on {prep['orders']:,} orders: DuckDB {duck['version']} one query on one thread (quantile_disc cut points), "
        "from a pandas frame over the same arrays, scattered to one score per customer.")
    if suggest:
        add("")
        add(f"Suggestions (computed inside the refresh): made from what customers bought before the last "
            f"{suggest.get('held_out_days', 30)} days, scored on the {suggest.get('held_out_customers', 0):,} customers who bought "
            "in those days (suggest.hit_rate: the share for whom at least one of their suggestions came true), beside the "
            "most popular products.")
    add("")
    add(f"Peak memory of the other processes: Manyi fit {fit['peak_mb']:,.0f} MB, lifetimes {life['peak_mb']:,.0f} MB, "
        f"Manyi RFM {ours_rfm['peak_mb']:,.0f} MB, DuckDB {duck['peak_mb']:,.0f} MB.")
    return lines, all_ok


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--lines", type=int, default=10_000_000, help="order lines, about")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--force", action="store_true", help="generate the data set anew even if it exists")
    p.add_argument("--quick", action="store_true", help="20,000 customers and 200,000 order lines")
    p.add_argument("--generate-only", action="store_true", help="make (or reuse) the data set and stop")
    p.add_argument("--write", nargs="?", const=RESULTS, type=Path, help=f"also write the tables to this file (default {RESULTS.relative_to(ROOT)})")
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        name, work, as_of = a.worker
        fn = WORKERS[name]
        args = (Path(work), dt.date.fromisoformat(as_of)) if name in ("prepare", "refresh") else (Path(work),)
        print(json.dumps(fn(*args)), flush=True)
        return
    if a.quick:
        a.customers, a.lines = 20_000, 200_000
    target = AnalyticsTarget(a.customers, a.lines)
    marker = generate(target, seed=a.seed, force=a.force)
    if a.generate_only:
        return
    as_of = dt.date.fromisoformat(marker["as_of"])
    with tempfile.TemporaryDirectory(prefix="analytics-", dir=target.data_dir) as tmp:
        work = Path(tmp)
        log("reading the arrays the refresh computes from (clv.summarise) ...")
        prep = run_worker("prepare", target, work, as_of)
        log(f"  {prep['orders']:,} counted orders, {prep['buyers']:,} buyers in {prep['seconds']:.1f}s")
        log("refresh ...")
        ref = run_worker("refresh", target, work, as_of)
        log(f"  {ref['wall']:.1f}s, peak {ref['peak_mb']:,.0f} MB: " + ", ".join(f"{s['stage']} {s['seconds']:.1f}" for s in ref["stages"]))
        log("fits: Manyi ...")
        fit = run_worker("fit-manyi", target, work, as_of)
        log(f"  {fit['seconds']}")
        log("fits: lifetimes ...")
        life = run_worker("fit-lifetimes", target, work, as_of)
        log(f"  {life['seconds']}")
        log("RFM: Manyi, DuckDB ...")
        ours_rfm = run_worker("rfm-manyi", target, work, as_of)
        duck = run_worker("rfm-duckdb", target, work, as_of)
        x, y = np.load(work / "rfm-manyi.npz"), np.load(work / "rfm-duckdb.npz")
        same = (x["r"] == y["r"]) & (x["f"] == y["f"]) & (x["m"] == y["m"])
        agreement = float(same.mean())
    command = "python bench/analytics.py " + " ".join(sys.argv[1:])
    lines, ok = report(target, marker, prep, ref, fit, life, ours_rfm, duck, agreement)
    print()
    print("\n".join(lines), flush=True)
    if a.write:
        a.write.write_text(f"# Customer value analytics benchmark\n\n`{command.strip()}`\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
        log(f"wrote {a.write}")
    print(f"\nall goals met: {_mark(ok)}")


if __name__ == "__main__":
    main()
