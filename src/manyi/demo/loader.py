"""Build the demo data set. Seeded, so the same seed on the same day gives the
same customers, contacts and texts."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import opencc
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.db.models import Max, Min
from django.test.utils import override_settings
from django.utils import timezone

from manyi.accounts.models import Role, User
from manyi.accounts.services import team_get_or_create, user_create
from manyi.analytics.models import Order, Product
from manyi.analytics.services import analytics_refresh, order_create, product_create
from manyi.core.errors import ApplicationError
from manyi.core.text import pinyin_key
from manyi.customers.merge import duplicates_scan
from manyi.customers.models import AccessKind, ChangeRecord, Contact, Customer
from manyi.customers.services import (
    contact_create,
    customer_create,
    customer_grant_access,
)
from manyi.demo import care as demo_care
from manyi.demo import complaints as demo_complaints
from manyi.demo import sales as demo_sales
from manyi.demo import texts, vocab
from manyi.interactions.models import Interaction
from manyi.interactions.services import interaction_create

DEMO_PASSWORD = "manyi-demo-2026"
DEFAULT_SEED = 20260101
EAST_TEAM = "华东销售一组"
SOUTH_TEAM = "华南销售二组"
TEAM_OF_REGION = {vocab.EAST: EAST_TEAM, vocab.SOUTH: SOUTH_TEAM}
TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    team: str | None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "林静怡", Role.ADMIN, None),
    DemoUser("chenjing", "陈静", Role.MANAGER, EAST_TEAM),
    DemoUser("wanglei", "王磊", Role.SALES, EAST_TEAM),
    DemoUser("lina", "李娜", Role.SALES, EAST_TEAM),
    DemoUser("huangwei", "黄伟", Role.MANAGER, SOUTH_TEAM),
    DemoUser("zhangmin", "张敏", Role.SALES, SOUTH_TEAM),
    DemoUser("liuyang", "刘洋", Role.SALES, SOUTH_TEAM),
    DemoUser("sunli", "孙丽", Role.SERVICE, None),
    DemoUser("zhouqing", "周晴", Role.ANALYST, EAST_TEAM),
)


class DemoPasswordHasher(PBKDF2PasswordHasher):
    """The demo password is printed for everyone to read, so a full-strength
    hash only slows loading down (about 0.6 s a user). Django re-hashes it at
    full strength on the first login."""

    iterations = 1000


@dataclass(frozen=True)
class DemoSummary:
    users: int
    customers: int
    contacts: int
    interactions: int
    orders: int
    complaints: int
    deals: int
    quotes: int
    visits: int
    members: int
    survey_answers: int
    follow_ups: int
    campaigns: int
    seconds: float


def demo_users_exist() -> bool:
    return User.objects.filter(is_demo=True).exists()


Progress = Callable[[str, int, int], None]


def demo_load(*, seed: int = DEFAULT_SEED, progress: Progress | None = None, mail_dir: Path | None = None) -> DemoSummary:
    """Create the demo teams, users, customers, contacts and interactions in one
    transaction. `progress(step, done, total)` is called as the work goes on.
    The sent demo campaign's e-mails go to files in `mail_dir` (default: the data directory's demo-mail)."""
    started = time.perf_counter()
    # Demo customers' addresses are made up: no survey link is mailed to them.
    with transaction.atomic(), override_settings(MANYI_SMTP_URL=""):
        if demo_users_exist():
            raise ApplicationError("The demo data is already loaded.", code="demo_loaded")
        builder = _Builder(random.Random(seed), timezone.now(), progress or (lambda step, done, total: None))
        builder.users()
        builder.customers()
        builder.entered_twice()
        builder.interactions()
        builder.escalations()
        builder.backdate()
        builder.orders()
        analytics_refresh(trigger="demo")
        duplicates_scan()
        made = [(c, audience) for c, audience, _contacts in builder.customers_made]
        complaints = demo_complaints.load(rng=builder.rng, now=builder.now, customers=made)
        demo_sales.place_customers(rng=builder.rng)
        deals = demo_sales.load(rng=builder.rng, now=builder.now, customers=made)
        quotes = demo_sales.quotes(rng=builder.rng, now=builder.now)
        visits = demo_sales.visit_plans(rng=builder.rng, now=builder.now)
        care = demo_care.load(rng=random.Random(seed + 8), now=builder.now, mail_dir=mail_dir or settings.DATA_DIR / "demo-mail")
    return DemoSummary(
        users=len(builder.people),
        customers=Customer.objects.count(),
        contacts=Contact.objects.count(),
        interactions=Interaction.objects.count(),
        orders=Order.objects.count(),
        complaints=complaints,
        deals=deals,
        quotes=quotes,
        visits=visits,
        members=care.members,
        survey_answers=care.survey_answers,
        follow_ups=care.follow_ups,
        campaigns=care.campaigns,
        seconds=time.perf_counter() - started,
    )


def credit_code(rng: random.Random, division: str) -> str:
    """A unified social credit code (GB 32100-2015) with valid check characters:
    registration authority 9 (market regulation), type 1 (enterprise), the
    division code, a 9-character organisation code (GB 11714) and a check."""
    body = [rng.choice("0123456789" * 3 + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8)]
    total = sum(w * (int(c) if c.isdigit() else ord(c) - 55) for w, c in zip((3, 7, 9, 10, 5, 8, 4, 2), body))
    check = 11 - total % 11
    org = "".join(body) + {10: "X", 11: "0"}.get(check, str(check))
    code = "91" + division + org
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(charset.index(c) * pow(3, i, 31) for i, c in enumerate(code))
    return code + charset[(31 - total % 31) % 31]


class _Builder:
    def __init__(self, rng: random.Random, now: dt.datetime, progress: Progress):
        self.rng = rng
        self.now = now
        self.progress = progress
        self.people: dict[str, User] = {}
        self.customers_made: list[tuple[Customer, str, list[Contact]]] = []
        self.used_phones: set[str] = set()
        self.used_names: set[str] = set()

    # people

    def users(self) -> None:
        teams = {name: team_get_or_create(name=name)[0] for name in (EAST_TEAM, SOUTH_TEAM)}
        with override_settings(PASSWORD_HASHERS=[f"{__name__}.DemoPasswordHasher"]):
            for u in DEMO_USERS:
                self.people[u.username] = user_create(
                    username=u.username, password=DEMO_PASSWORD, role=u.role, team=teams.get(u.team),
                    display_name=u.display_name, email=f"{u.username}@demo.manyi.example", is_demo=True,
                )  # fmt: skip

    def _reps(self, region: str) -> list[User]:
        team = TEAM_OF_REGION[region]
        return [self.people[u.username] for u in DEMO_USERS if u.team == team and u.role == Role.SALES]

    def _manager(self, region: str) -> User:
        team = TEAM_OF_REGION[region]
        return next(self.people[u.username] for u in DEMO_USERS if u.team == team and u.role == Role.MANAGER)

    # small generators

    def person_name(self) -> tuple[str, str]:
        gender = self.rng.choice(("male", "female"))
        given = vocab.MALE_GIVEN if gender == "male" else vocab.FEMALE_GIVEN
        return self.rng.choice(vocab.SURNAMES) + self.rng.choice(given), gender

    def mobile(self) -> str:
        while True:
            prefix = self.rng.choice(("13", "15", "18"))
            prefix += self.rng.choice("012356789" if prefix == "15" else "0123456789")
            number = prefix + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return f"{number[:3]} {number[3:7]} {number[7:]}"

    def landline(self, city: vocab.City) -> str:
        while True:
            local = self.rng.choice("5678") + "".join(self.rng.choice("0123456789") for _ in range(city.local_digits - 1))
            number = f"0{city.area_code}-{local}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def address(self, city: vocab.City) -> tuple[vocab.District, str]:
        district = self.rng.choice(city.districts)
        street = self.rng.choice(district.streets)
        number = self.rng.randint(1, 999)
        extra = self.rng.choice(("", f"{self.rng.randint(2, 28)}楼", f"{self.rng.randint(1, 12)}号楼{self.rng.randint(101, 1808)}室"))
        return district, f"{city.name}市{district.name}{street}{number}号{extra}"

    def birthday(self, first_year: int, last_year: int) -> dt.date:
        start = dt.date(first_year, 1, 1)
        return start + dt.timedelta(days=self.rng.randrange((dt.date(last_year, 12, 31) - start).days))

    # customers

    def customers(self, enterprises: int = 122, individuals: int = 74) -> None:
        plan = [("enterprise", None)] * enterprises + [("individual", None)] * individuals
        plan += [("enterprise", unit) for unit in vocab.INTERNAL_UNITS]
        # The 20/80 rule: a Pareto-distributed yearly volume, graded by rank.
        volumes = sorted((self.rng.paretovariate(1.16) for _ in plan), reverse=True)
        order = list(range(len(plan)))
        self.rng.shuffle(order)
        for rank, i in enumerate(order):
            kind, internal = plan[i]
            share = rank / len(plan)
            grade = "A" if share < 0.08 else "B" if share < 0.20 else "C" if share < 0.55 else "D"
            scale = 20 if kind == "enterprise" else 0.5
            volume = Decimal(str(round(volumes[rank] * scale, 2)))
            region = self.rng.choice((vocab.EAST, vocab.SOUTH))
            cities = [c for c in vocab.CITIES if c.region == region]
            city = self.rng.choices(cities, weights=[vocab.CITY_WEIGHT.get(c.name, 1) for c in cities])[0]
            if kind == "individual":
                self._individual(city, grade, volume)
            else:
                self._enterprise(city, grade, volume, internal)
            self.progress("customers", rank + 1, len(plan))
        self._share_and_serve()

    def entered_twice(self) -> None:
        """Two companies entered a second time, as happens: once from a trade
        fair's business card in Traditional characters, once with another
        legal form and only the credit code. The duplicates page finds them."""
        companies = list(Customer.objects.filter(kind="enterprise").exclude(credit_code="").order_by("id"))
        first, second = self.rng.sample(companies, 2)
        customer_create(by=first.owner, data={
            "kind": "enterprise", "name": opencc.OpenCC("s2t").convert(first.name), "phone": first.phone, "email": first.email,
            "city": first.city, "notes": "展会名片录入",
        })  # fmt: skip
        swap = ("有限责任公司", "有限公司") if "有限责任公司" in second.name else ("有限公司", "有限责任公司")
        customer_create(by=second.owner, data={
            "kind": "enterprise", "name": second.name.replace(*swap), "credit_code": second.credit_code, "city": second.city,
            "notes": "重复录入：换了公司类型",
        })  # fmt: skip

    def _classification(self, grade: str, region: str) -> dict:
        rng = self.rng
        importance = {
            "A": ("key", "key", "major"),
            "B": ("major", "major", "key"),
            "C": ("ordinary", "ordinary", "major"),
            "D": ("small", "small", "ordinary"),
        }[grade]
        depth = {
            "A": ("loyalty", "satisfaction"),
            "B": ("satisfaction", "contact"),
            "C": ("contact", "satisfaction", "awareness"),
            "D": ("awareness", "contact"),
        }[grade]
        tags = [f"{region}区"]
        if grade == "A":
            tags.append("VIP")
        if grade in "AB" and rng.random() < 0.5:
            tags.append("重点跟进")
        tags += rng.sample(vocab.CUSTOMER_TAGS[1:], rng.choice((0, 1, 1, 2)))
        return {
            "grade": grade,
            "importance": rng.choice(importance),
            "depth": rng.choice(depth),
            "social_style": rng.choice(("driver", "expressive", "amiable", "analytical")),
            "temperament": rng.choice(
                ("firm", "neurotic", "introverted", "easygoing", "vain", "combative", "stubborn", "suspicious", "silent", "easygoing")
            ),
            "tags": sorted(set(tags)),
        }

    def _owner(self, city: vocab.City, grade: str) -> User:
        """Reps cover the cities around their team's office (their visit routes
        start there); the manager keeps the far cities and some key accounts."""
        reps = [rep for rep in self._reps(city.region) if city.name in vocab.TERRITORIES[rep.username]]
        if not reps or (grade == "A" and self.rng.random() < 0.3):
            return self._manager(city.region)
        return self.rng.choice(reps)

    def _company_name(self, city: vocab.City) -> tuple[str, str, tuple[str, str, str], str]:
        while True:
            brand = self.rng.choice(vocab.BRAND_WORDS)
            industry = self.rng.choice(vocab.INDUSTRIES)
            suffix, company_type = self.rng.choice(vocab.COMPANY_SUFFIXES * 3 + (("有限公司", "有限责任公司"),))
            name = f"{city.name}{brand}{industry[0]}{suffix}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name, brand, industry, company_type

    def _enterprise(self, city: vocab.City, grade: str, volume: Decimal, internal: str | None) -> None:
        rng = self.rng
        district, address = self.address(city)
        owner = self._owner(city, grade)
        people = [self.person_name() for _ in range(rng.randint(2, 5))]
        roles = [vocab.CONTACT_ROLES[0]] + rng.sample(vocab.CONTACT_ROLES[1:], len(people) - 1)
        by_title = {role[0]: name for (name, _g), role in zip(people, roles)}
        data = {"kind": "enterprise", "province": city.province, "city": city.name, "address": address, "postal_code": city.postal_code}
        data.update(self._classification(grade, city.region))
        if internal:
            data.update(
                name=internal, category="internal", notes="公司内部客户：把每一位同事都当作重要客户来服务。", phone=self.landline(city)
            )
        else:
            name, brand, industry, company_type = self._company_name(city)
            domain = f"{pinyin_key(brand)}-{industry[2]}.com.cn"
            employees = int(rng.lognormvariate(4.5, 1.1)) + 10
            capital = Decimal(rng.choice((50, 100, 200, 500, 1000, 2000, 5000, 10000)))
            data.update(
                name=name,
                category=rng.choice(("consumer", "consumer", "consumer", "agent", "supplier", "other")),
                phone=self.landline(city),
                fax=self.landline(city) if rng.random() < 0.4 else "",
                email=f"{rng.choice(('info', 'sales', 'service', 'contact'))}@{domain}",
                website=f"https://www.{domain}",
                credit_code=credit_code(rng, district.code),
                enterprise_type=company_type,
                ownership=rng.choice(vocab.OWNERSHIPS),
                industry=industry[1],
                registered_capital=capital,
                market_value=(capital * rng.randint(2, 30)) if company_type == "股份有限公司" else None,
                employee_count=employees,
                leader_name=by_title["总经理"],
                leader_background=rng.choice(vocab.LEADER_BACKGROUNDS).format(
                    school=rng.choice(vocab.SCHOOLS), year=rng.randint(1998, 2020)
                ),
                marketing_head=by_title.get("市场总监", ""),
                purchasing_head=by_title.get("采购经理", by_title.get("采购专员", "")),
                annual_sales=Decimal(employees * rng.randint(30, 120)),
                business_volume=volume,
            )
        customer = customer_create(by=owner, data=data)
        contacts = []
        email_domain = data["email"].split("@")[1] if data.get("email") else "demo.manyi.example"
        for (person, gender), (title, department, key_role, influence) in zip(people, roles):
            contacts.append(contact_create(by=owner, customer=customer, data={
                "name": person, "gender": gender, "title": title, "department": department,
                "mobile": self.mobile(), "email": f"{pinyin_key(person)}@{email_domain}",
                "phone": self.landline(city) if rng.random() < 0.3 else "",
                "birthday": self.birthday(1965, 1995) if rng.random() < 0.4 else None,
                "is_key_person": bool(key_role), "key_role": key_role, "influence": influence,
                "social_style": rng.choice(("driver", "expressive", "amiable", "analytical")),
                "notes": "对价格敏感，重视售后响应速度" if key_role == "采购执行" else "",
            }))  # fmt: skip
        self.customers_made.append((customer, "b2b", contacts))

    def _individual(self, city: vocab.City, grade: str, volume: Decimal) -> None:
        rng = self.rng
        while True:
            name, gender = self.person_name()
            if name not in self.used_names:
                self.used_names.add(name)
                break
        _district, address = self.address(city)
        occupation, position, title = rng.choice(vocab.OCCUPATIONS)
        product = rng.choice(vocab.B2C_PRODUCTS)
        data = {
            "kind": "individual", "name": name, "category": "consumer", "gender": gender,
            "mobile": self.mobile(), "wechat": f"{pinyin_key(name)}{rng.randint(10, 9999)}",
            "email": f"{pinyin_key(name)}{rng.randint(1, 99)}@{rng.choice(('qq.com', '163.com', '126.com'))}",
            "province": city.province, "city": city.name, "address": address, "postal_code": city.postal_code,
            "birthday": self.birthday(1962, 2000), "marital_status": rng.choice(("single", "married", "married", "married", "divorced")),
            "family_notes": rng.choice(vocab.FAMILY_NOTES), "occupation": occupation, "position": position,
            "professional_title": title, "income_level": rng.choice(vocab.INCOME_LEVELS), "education": rng.choice(vocab.EDUCATION),
            "health_notes": rng.choice(vocab.HEALTH_NOTES) if rng.random() < 0.3 else "",
            "preferences": rng.choice(vocab.PREFERENCES), "lifestyle": rng.choice(vocab.LIFESTYLES),
            "purchase_story": (
                f"{rng.randint(2019, 2025)}年{rng.randint(1, 12)}月在{city.name}门店为家里购买了{product}，"
                f"因为{rng.choice(('朋友推荐', '看了网上评测', '老产品坏了', '搬新家'))}，"
                f"{rng.choice(('全款支付', '分期付款', '用会员积分抵扣了一部分'))}，花费约{rng.randint(2, 30) * 500}元。"
            ),
            "business_volume": volume,
        }  # fmt: skip
        data.update(self._classification(grade, city.region))
        customer = customer_create(by=self._owner(city, grade), data=data)
        self.customers_made.append((customer, "b2c", []))

    def _share_and_serve(self) -> None:
        """Some customers are shared with the owner's teammate; the agent serves others."""
        agent = next(u for u in self.people.values() if u.role == Role.SERVICE)
        for customer, _audience, _contacts in self.customers_made:
            owner = customer.owner
            teammates = [u for u in self.people.values() if u.role == Role.SALES and u.team_id == owner.team_id and u != owner]
            if customer.grade in "AB" and self.rng.random() < 0.35:
                customer_grant_access(by=owner, customer=customer, user=self.rng.choice(teammates), kind=AccessKind.SHARED)
            if self.rng.random() < 0.2:
                customer_grant_access(by=owner, customer=customer, user=agent, kind=AccessKind.SERVICE)

    # interactions

    def interactions(self) -> None:
        agent = next(u for u in self.people.values() if u.role == Role.SERVICE)
        counts = {"A": (28, 44), "B": (16, 26), "C": (7, 15), "D": (2, 7)}
        # Grade D first, A last: the most valuable customers end up most recently updated.
        for done, (customer, audience, contacts) in enumerate(reversed(self.customers_made), 1):
            shared = [g.user for g in customer.access_grants.select_related("user") if g.kind == AccessKind.SHARED]
            served = customer.access_grants.filter(kind=AccessKind.SERVICE).exists()
            unhappy = customer.temperament in ("combative", "neurotic", "suspicious")
            for _ in range(self.rng.randint(*counts[customer.grade])):
                data, mood = self._interaction(customer, audience, contacts, complaint_rate=0.3 if unhappy else 0.12)
                by = customer.owner
                if served and (mood == "complaint" or self.rng.random() < 0.2):
                    by = agent
                elif shared and self.rng.random() < 0.3:
                    by = shared[0]
                if data["participants"]:
                    data["participants"] = f"{by.display_name}、{data['participants']}"
                interaction_create(by=by, customer=customer, data=data)
            self.progress("interactions", done, len(self.customers_made))

    def escalations(self, per_rep: int = 2) -> None:
        """This week, `per_rep` unhappy customers of each rep threaten to go
        outside the company (texts.ESCALATIONS): the engine reads them as high
        risk, so every rep's home page shows customers at risk today."""
        by_owner: dict[int, list[tuple[Customer, str, list[Contact]]]] = {}
        for made in self.customers_made:
            if made[0].owner.role == Role.SALES:
                by_owner.setdefault(made[0].owner_id, []).append(made)
        for made in by_owner.values():
            unhappy = [m for m in made if m[0].temperament in ("combative", "neurotic", "suspicious")] or made
            for customer, audience, contacts in self.rng.sample(unhappy, min(per_rep, len(unhappy))):
                subject, text, outcome = self.rng.choice(texts.ESCALATIONS[audience])
                when = self.now - dt.timedelta(days=self.rng.randrange(0, 5), hours=self.rng.randrange(1, 8))
                data = {
                    "kind": "call", "direction": "inbound", "channel": "phone", "occurred_at": when, "subject": subject,
                    "text": text, "outcome": outcome, "contact": contacts[0] if contacts else None, "participants": "",
                }  # fmt: skip
                interaction_create(by=customer.owner, customer=customer, data=data)

    def backdate(self) -> None:
        """Demo records were all written just now; date each customer's creation
        (and the history written with it) shortly before its first interaction,
        and its last update to its latest one, as if the team had worked for
        two years."""
        spans = Interaction.objects.values("customer_id").annotate(first=Min("occurred_at"), last=Max("occurred_at"))
        for span in spans:
            created = span["first"] - dt.timedelta(days=self.rng.randint(1, 30), hours=self.rng.randint(0, 8))
            Customer.objects.filter(pk=span["customer_id"]).update(created_at=created, updated_at=span["last"])
            Contact.objects.filter(customer_id=span["customer_id"]).update(created_at=created, updated_at=created)
            ChangeRecord.objects.filter(customer_id=span["customer_id"]).update(at=created)

    # orders

    def orders(self) -> None:
        """Two years of orders: more for better grades, a device first and then
        what its buyers come back for (vocab.FOLLOW_UPS), and some customers
        who stopped buying most of a year ago, for the win-back list."""
        admin = self.people["admin"]
        products = {}
        for sku, name, category, price, _audience in vocab.CATALOGUE:
            products[sku] = product_create(by=admin, sku=sku, name=name, unit_price=price, category=category)
        audience_of = {sku: audience for sku, _name, _category, _price, audience in vocab.CATALOGUE}
        devices = {audience: [sku for sku in vocab.FOLLOW_UPS if audience_of[sku] == audience] for audience in ("b2b", "b2c")}
        counts = {"A": (9, 16), "B": (5, 10), "C": (2, 6), "D": (0, 3)}
        today = self.now.astimezone(TZ).date()
        for done, (customer, audience, _contacts) in enumerate(self.customers_made, 1):
            n = self.rng.randint(*counts[customer.grade])
            # A lapsed customer bought steadily for a year and then stopped.
            lapsed = n >= 4 and self.rng.random() < 0.25
            last = today - dt.timedelta(days=self.rng.randint(300, 450) if lapsed else self.rng.randint(0, 30))
            span = 330 if lapsed else 700
            before_last = sorted((self.rng.randint(1, span) for _ in range(n - 1)), reverse=True)
            dates = [last - dt.timedelta(days=d) for d in before_last] + [last] if n else []
            device = self.rng.choice(devices[audience])
            for k, ordered_on in enumerate(dates):
                self._order(customer, audience, products, device, first=k == 0, ordered_on=ordered_on)
            self.progress("orders", done, len(self.customers_made))

    def _order(self, customer: Customer, audience: str, products: dict[str, Product], device: str, *, first: bool, ordered_on: dt.date) -> None:
        rng = self.rng
        if first:
            skus = [device]
        else:
            skus = rng.sample(vocab.FOLLOW_UPS[device], rng.randint(1, len(vocab.FOLLOW_UPS[device])))
            if rng.random() < 0.15:
                skus.append(rng.choice([c[0] for c in vocab.CATALOGUE if c[4] == audience]))
        scale = 3 if audience == "b2b" and customer.grade in "AB" else 1
        lines = [{"product": products[sku], "quantity": rng.randint(1, 2) * scale} for sku in dict.fromkeys(skus)]
        channels = ("direct", "distributor", "phone") if audience == "b2b" else ("store", "online", "online", "phone")
        status = "cancelled" if rng.random() < 0.02 else "completed" if ordered_on < self.now.date() - dt.timedelta(days=14) else "confirmed"
        data = {"ordered_on": ordered_on, "channel": rng.choice(channels), "status": status, "lines": lines}
        order_create(by=customer.owner, customer=customer, data=data)

    def _when(self) -> dt.datetime:
        day = self.now.astimezone(TZ).date() - dt.timedelta(days=self.rng.randrange(1, 730))
        if day.weekday() >= 5 and self.rng.random() < 0.85:
            day -= dt.timedelta(days=day.weekday() - 4)
        return dt.datetime(day.year, day.month, day.day, self.rng.randint(9, 18), self.rng.randrange(60), tzinfo=TZ)

    def _interaction(self, customer: Customer, audience: str, contacts: list[Contact], *, complaint_rate: float) -> tuple[dict, str]:
        rng = self.rng
        contact = rng.choice([c for c in contacts if c.is_key_person] + contacts) if contacts else None
        if contact:
            contact_name = contact.name
        else:
            contact_name = customer.name[0] + ("先生" if customer.gender == "male" else "女士")
        products = vocab.B2B_PRODUCTS if audience == "b2b" else vocab.B2C_PRODUCTS
        roll = rng.random()
        if roll < 0.4:
            mood = "complaint" if rng.random() < complaint_rate else rng.choice(("happy", "neutral"))
            kind, channel = rng.choice(
                (("call", "phone"),) * 4 + (("chat", "wechat"),) * 3 + (("email", "email"),) * 2 + (("chat", "web"),)
            )
            subject, text, outcome = rng.choice(texts.INBOUND[(audience, mood)])
            direction = "inbound"
        elif roll < 0.93:
            mood = "outbound"
            kinds = [k for (a, k) in texts.OUTBOUND if a == audience]
            weights = {"visit": 3, "call": 4, "email": 1.5, "chat": 1.5, "meeting": 1}
            kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
            channel = {
                "visit": "in_person",
                "call": "phone",
                "email": "email",
                "chat": "wechat",
                "meeting": rng.choice(("in_person", "video")),
            }[kind]
            subject, text, outcome = rng.choice(texts.OUTBOUND[(audience, kind)])
            direction = "outbound"
        else:
            mood, kind, channel, direction = "note", "note", "other", "outbound"
            subject, text, outcome = rng.choice(texts.NOTES)
        fill = {"product": rng.choice(products), "contact": contact_name}
        data = {
            "kind": kind, "direction": direction, "channel": channel, "occurred_at": self._when(),
            "subject": subject, "text": text.format(**fill), "outcome": outcome, "contact": contact,
            "participants": contact_name if kind in ("visit", "meeting") else "",
        }  # fmt: skip
        return data, mood
