"""Every read of customers and contacts, already filtered to what the asking
user may see. A record outside the user's scope is NotFound, never Forbidden:
an outsider learns nothing, not even that it exists."""

from __future__ import annotations

import json
import time

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import CharField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from manyi.accounts.models import NAME_COLUMNS, Role, User, person_name
from manyi.accounts.selectors import name_columns_of
from manyi.core.errors import NotFound
from manyi.core.queries import QueryTemplate, Read, execute
from manyi.core.text import normalize_text, phone_search_key, pinyin_key
from manyi.customers import access
from manyi.customers.models import (
    SENSITIVE_FIELDS,
    ChangeRecord,
    Contact,
    Customer,
    Tag,
)

SORTS = {
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "grade": ("grade", "-updated_at", "-id"),
    "-grade": ("-grade", "-updated_at", "-id"),
}
DEFAULT_SORT = "-updated"


@dataclass
class CustomerFilters:
    q: str = ""
    kind: str = ""
    category: str = ""
    importance: str = ""
    grade: str = ""
    depth: str = ""
    tag: str = ""
    owner: int | None = None
    sort: str = DEFAULT_SORT
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


SEARCH_COLUMNS = ("name", "name_pinyin", "name_initials", "mobile", "phone", "email")


class SearchTerms(NamedTuple):
    """What a search text asks for, worked out once. Its `shape` (which
    tests it makes) changes the SQL; the texts are the values tested."""

    text: str  # normalised: a name prefix or, of two or more Chinese characters, contained; a tag name
    pinyin: str  # the pinyin key of a Latin text, else ""
    phone: str
    email: str

    @property
    def contains(self) -> bool:
        return len(self.text) >= 2 and not self.text.isascii()

    @property
    def shape(self) -> tuple[bool, bool, bool, bool]:
        return (self.contains, bool(self.pinyin), bool(self.phone), bool(self.email))


def search_terms(query: str) -> SearchTerms | None:
    q = normalize_text(query)
    if not q:
        return None
    key = pinyin_key(q)
    return SearchTerms(
        text=q,
        pinyin=key if key and q.replace(" ", "").isascii() else "",
        phone=phone_search_key(q) or "",
        email=q.lower() if "@" in q else "",
    )


def search_q(query: str, *, indexed: bool = True) -> Q:
    """Name prefix, full pinyin or initials prefix (张三 ← 'zhangsan', 'zs'),
    phone prefix, e-mail prefix, tag name. Each term uses an index.

    indexed=False: the same matches through expressions no index answers
    (the columns aliased by unindexed_search_columns), for a search with so
    many matches that walking the list's own order finds a page sooner than
    sorting them all (CustomerListing)."""
    terms = search_terms(query)
    if terms is None:
        return Q()
    gram = _rarest_gram(terms.text) if terms.contains and indexed else ""
    return _search_condition(terms.shape, indexed=indexed, gram=gram, **terms._asdict())


def _search_condition(shape: tuple[bool, ...], *, indexed: bool, text: str, pinyin: str, phone: str, email: str, gram: str) -> Q:
    contains, has_pinyin, has_phone, has_email = shape

    def col(name: str) -> str:
        return name if indexed else f"{name}__searched"

    # Every name that starts with the text also contains it: "contains"
    # alone is "prefix or contains". Indexed, only the customers whose name
    # has the text's rarest bigram are tested (_rarest_gram).
    if contains and indexed:
        cond = Q(name__contains=text) & Q(access.InSubqueryArray(F("pk"), RawSQL(NAME_GRAMS_SQL, [gram])))
    elif contains:
        cond = Q(**{f"{col('name')}__contains": text})
    else:
        cond = Q(**{f"{col('name')}__prefix": text})
    if has_pinyin:
        cond |= Q(**{f"{col('name_pinyin')}__prefix": pinyin}) | Q(**{f"{col('name_initials')}__prefix": pinyin})
    if has_phone:
        cond |= Q(**{f"{col('mobile')}__prefix": phone}) | Q(**{f"{col('phone')}__prefix": phone})
    if has_email:
        cond |= Q(**{f"{col('email')}__prefix": email})
    # In the same query: a separate look-up of the tag cost a round trip.
    return cond | Q(access.InSubqueryArray(F("pk"), RawSQL(TAGGED_SQL, [text])))


class _Unindexed(Func):
    """The column's value through an expression no index serves: SQLite's
    unary plus (a no-op that costs nothing per row), PostgreSQL's `|| ''`."""

    template = "(%(expressions)s || '')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(+%(expressions)s)", **extra)


def unindexed_search_columns() -> dict[str, Func]:
    return {f"{name}__searched": _Unindexed(name) for name in SEARCH_COLUMNS}


TAGGED_SQL = (
    'SELECT ct."customer_id" FROM "customers_customer_tags" ct JOIN "customers_tag" t ON t."id" = ct."tag_id" WHERE t."name" = %s'
)
# Every customer name's two-character substrings, kept by database triggers
# (migration customers 0002_customer_name_bigram_index).
NAME_GRAMS_SQL = "SELECT customer_id FROM customers_name_gram WHERE gram = lower(%s)"
RARE_ENOUGH = 100  # a bigram in fewer names ends the search for a rarer one


def _rarest_gram(text: str) -> str:
    """Of a text's two-character substrings (bigrams), the one with the
    fewest customers, counting each only up to a limit. The customers whose
    name has it are a superset of those whose name contains the text, so
    testing only them gives exactly the rows of the plain condition, which
    otherwise reads every customer."""
    grams = _grams(text)
    return _gram_counts(grams, BROAD_PROBE_LIMIT)[0] if len(grams) > 1 else grams[0]


def _grams(text: str) -> list[str]:
    return list(dict.fromkeys(text[i : i + 2] for i in range(len(text) - 1)))


def _gram_counts(grams: list[str], limit: int) -> tuple[str, int]:
    """The rarest of `grams` and its customers, counted up to `limit`. The
    last bigrams are counted first (a company's name starts with its city,
    the commonest part), and each only up to the fewest found so far."""
    best, best_count = grams[-1], limit
    for gram in reversed(grams[-8:]):
        count = _fetchall(f"SELECT COUNT(*) FROM ({NAME_GRAMS_SQL} LIMIT {best_count}) AS g", [gram])[0][0]
        if count < best_count:
            best, best_count = gram, count
        if best_count < RARE_ENOUGH:
            break
    return best, best_count


def broad_search(query: str) -> bool:
    """Whether a search has BROAD_PROBE_LIMIT matches or more, judged from one
    index: a Chinese text by its rarest bigram (every bigram of 哈尔滨 is in
    some 25,000 names), a pinyin text by the names whose pinyin starts with
    it. Such a search is read by walking the list's order, since collecting
    its matches first reads them all (~40,000 for 上海 or "shangh")."""
    terms = search_terms(query)
    return terms is not None and _probe(terms)[0]


def _probe(terms: SearchTerms) -> tuple[bool, str]:
    """(broad, the rarest bigram of a Chinese text) in one round of probes."""
    limit = BROAD_PROBE_LIMIT
    if terms.contains:
        gram, count = _gram_counts(_grams(terms.text), limit)
        return count >= limit, gram
    if len(terms.pinyin) >= 2:
        sql, params = _PINYIN_NAMED.sql(None, prefix=terms.pinyin)
        return _fetchall(f"SELECT COUNT(*) FROM ({sql} LIMIT {limit}) named", params)[0][0] >= limit, ""
    return False, ""


_PINYIN_NAMED = QueryTemplate(texts=("prefix",), build=lambda _key, prefix: Customer.objects.filter(name_pinyin__prefix=prefix).order_by().values("id"))


def _filtered(qs: QuerySet[Customer], f: CustomerFilters, *, indexed: bool = True, search: Q | None = None) -> QuerySet[Customer]:
    if search is not None or f.q:
        if not indexed:
            qs = qs.alias(**unindexed_search_columns())
        qs = qs.filter(search if search is not None else search_q(f.q, indexed=indexed))
    for name in ("kind", "category", "importance", "grade", "depth"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    return qs


def _order(f: CustomerFilters) -> tuple[str, ...]:
    return SORTS.get(f.sort) or SORTS[DEFAULT_SORT]


def customer_list(*, user: User, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    f = filters or CustomerFilters()
    if f.deleted:
        if not user.is_admin:
            return Customer.objects.none()
        qs = access.visible_customers(user, include_deleted=True).filter(deleted_at__isnull=False)
    else:
        qs = access.visible_customers(user)
    return _filtered(qs, f).select_related("owner").order_by(*_order(f))


class OwnerRef(NamedTuple):
    id: int
    name: str

    def __str__(self) -> str:
        return self.name


class CustomerRow(NamedTuple):
    """One line of a customer list: the columns a list shows, nothing more."""

    id: int
    kind: str
    name: str
    category: str
    importance: str
    grade: str
    depth: str
    phone: str
    mobile: str
    email: str
    city: str
    created_at: datetime
    updated_at: datetime
    owner: OwnerRef
    tags: list[str]


_ROW_COLUMNS = (
    "id", "kind", "name", "category", "importance", "grade", "depth", "phone", "mobile", "email", "city",
    "created_at", "updated_at", "owner_id",
)  # fmt: skip
# A page's rows, with owner and tags, around the page's ids: one query, written
# out because the ORM's query building costs several times these 25 lookups.


def _tag_pairs_sql(customer_id: str) -> str:
    """A subquery: the customer's tags as JSON text [[id, name], ...], by name."""
    if connection.vendor == "postgresql":
        return (
            'SELECT coalesce(json_agg(json_build_array(t."id", t."name") ORDER BY t."name", t."id"), \'[]\')::text'
            f' FROM "customers_customer_tags" ct JOIN "customers_tag" t ON t."id" = ct."tag_id" WHERE ct."customer_id" = {customer_id}'
        )
    return (
        'SELECT json_group_array(json_array(id, name)) FROM (SELECT t."id" AS id, t."name" AS name FROM "customers_customer_tags" ct'
        f' JOIN "customers_tag" t ON t."id" = ct."tag_id" WHERE ct."customer_id" = {customer_id} ORDER BY t."name", t."id")'
    )


_PAGE_SQL = (
    "SELECT " + ", ".join(f'c."{name}"' for name in _ROW_COLUMNS)
    + "".join(f', u."{name}"' for name in NAME_COLUMNS) + ", ({tags}), page.*"
    + ' FROM ({ids}) page'
    + ' JOIN "customers_customer" c ON c."id" = page."id" JOIN "accounts_user" u ON u."id" = c."owner_id"'
)


def _fetchall(sql: str, params, *, prepare: bool = False) -> list[tuple]:
    with connection.cursor() as cursor:
        execute(cursor, sql, params, prepare=prepare)
        return cursor.fetchall()


def _people(compiled: tuple[str, list]) -> list[tuple[int, str]]:
    """(id, name) from a compiled values_list("id", *NAME_COLUMNS)."""
    return [(pk, person_name(*names)) for pk, *names in _fetchall(*compiled)]


def _user_key(user: User) -> tuple:
    """What in a user changes the SQL of an access rule (see _stand_in)."""
    return (user.role, user.is_superuser, user.team_id is not None)


def _stand_in(key: tuple, *, user: int, team: int) -> User:
    """A user with stand-in ids, for compiling an access rule once per role."""
    role, is_superuser, has_team = key
    return User(id=user, team_id=team if has_team else None, role=role, is_superuser=is_superuser, is_active=True)


def _aware(value: datetime) -> datetime:
    """SQLite returns stored UTC times without a zone; PostgreSQL with one."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


SEARCH_COUNT_CAP = 1_000
BROAD_COUNT_CAP = 100
# A search that one index shows to match this many names is broad (broad_search)
# and walks the list's order; a rarer one collects its matches, up to as many,
# and sorts them. Measured on PostgreSQL with a million customers, walking for
# 101 matches costs ~60 ms / (matches / 1,000) and collecting ~13 ms per 1,000
# matches: the two meet near 2,000 (a 1,124-name text took 56 ms walked; a
# 5,000-name one about as long collected).
BROAD_PROBE_LIMIT = 2_000
COLLECT_LIMIT = BROAD_PROBE_LIMIT
# A list counted past its cap (an administrator's million, a manager's team)
# is not counted again for this long: it reads "more than 10,000" either way,
# and counting to 10,001 cost each such page ~3 ms on PostgreSQL. Kept per
# process; a list that falls below its cap shows its exact count after this.
COUNT_MEMO_SECONDS = 60
_OVER_CAP: dict[tuple, float] = {}


_FILTER_NAMES = ("kind", "category", "importance", "grade", "depth", "owner", "tag")
_LISTING_TEXTS = ("kind", "category", "importance", "grade", "depth", "tag", "text", "pinyin", "phone", "email", "gram")


def _columns_of(order: tuple[str, ...]) -> list[str]:
    """The id and the sort keys: what a page's ids are read with."""
    return list(dict.fromkeys(["id", *(name.lstrip("-") for name in order)]))


def _listing_parts(shape: tuple, **values: Any) -> list[QuerySet[Customer]]:
    """A listing's parts (access.visible_parts, filtered) for its shape:
    (user key, recycle bin, filters set, sort, search shape, indexed)."""
    user_key, deleted, filters_set, _sort, search_shape, indexed = shape
    user = _stand_in(user_key, user=values["user"], team=values["team"])
    if deleted:
        scope = [access.visible_customers(user, include_deleted=True).filter(deleted_at__isnull=False)]
    else:
        scope = access.visible_parts(user)
    f = CustomerFilters(**{name: values[name] for name in filters_set})
    search = None
    if search_shape:
        search = _search_condition(search_shape, indexed=indexed, **{name: values[name] for name in ("text", "pinyin", "phone", "email", "gram")})
    return [_filtered(part, f, indexed=indexed, search=search) for part in scope]


def _listed_union(shape: tuple, **values: Any) -> QuerySet:
    columns = _columns_of(SORTS[shape[3]])
    first, *rest = (part.values_list(*columns).order_by() for part in _listing_parts(shape, **values))
    return first.union(*rest, all=True) if rest else first


def _listed_part(key: tuple, **values: Any) -> QuerySet:
    *shape, index = key
    order = SORTS[shape[3]]
    return _listing_parts(tuple(shape), **values)[index].values_list(*_columns_of(order)).order_by(*order)


# A listing's SQL is built and compiled once per shape, as building it cost
# more than running it: (id, sort keys) of the union of its parts, unordered,
# and of each part in the list's order.
_LISTED = QueryTemplate("user", "team", "owner", texts=_LISTING_TEXTS, build=_listed_union)
_LISTED_PART = QueryTemplate("user", "team", "owner", texts=_LISTING_TEXTS, build=_listed_part)
_PART_COUNTS: dict[tuple, int] = {}


def _part_count(user_key: tuple) -> int:
    if user_key not in _PART_COUNTS:
        _PART_COUNTS[user_key] = len(access.visible_parts(_stand_in(user_key, user=1, team=1)))
    return _PART_COUNTS[user_key]


class CustomerListing:
    """The customers a user may see, filtered and sorted, read one page at a
    time whatever the number of customers, in one statement (_fetch) that
    gives:

    - how many, counting stops at `cap` + 1 (a million customers are not
      counted to say "more than 10,000"; a search stops at 1,000);
    - the page: its ids from the union of access.visible_parts (each part
      walks its own index; a rep's owned and granted customers are merged),
      joined to their rows, owners' names and tags.

    A search with more matches than its cap is read the other way round: the
    list's own order is walked, each customer tested, until the page is full
    (with over 1,000 matches that is soon), instead of sorting every match.
    So is any search by a rep or an agent, among their own customers, and a
    search that one index shows to be very common (broad_search)."""

    def __init__(self, *, user: User, filters: CustomerFilters | None = None, cap: int | None = None):
        f = self.filters = filters or CustomerFilters()
        self.terms = search_terms(f.q)
        cap = settings.MANYI_COUNT_CAP if cap is None else cap
        self.cap = min(cap, SEARCH_COUNT_CAP) if self.terms else cap
        sort = f.sort if f.sort in SORTS else DEFAULT_SORT
        self.order = SORTS[sort]
        self._columns = _columns_of(self.order)
        # Prepared once per connection (core.queries.execute) unless the best
        # plan depends on a value: a searched text's index range, or a tag,
        # which may be on three customers or on half of them.
        self._prepare = self.terms is None and not f.tag
        if not (user and user.is_authenticated and user.is_active) or (f.deleted and not user.is_admin):
            self.part_count = 0  # the recycle bin is for administrators only
        else:
            self.part_count = 1 if f.deleted else _part_count(_user_key(user))
        # A rep's own customers are few thousand, and one index carries their
        # searched columns: testing each of them beats any other index (and
        # needs no probe of how common the text is).
        own = self.terms is not None and access.sees_own_and_granted_only(user)
        broad, gram = (False, "") if self.terms is None or own else _probe(self.terms)
        self.walk = own or broad
        if broad:  # thousands match: counting stops at 100 ("more than 100")
            self.cap = min(self.cap, BROAD_COUNT_CAP)
        if self.part_count:
            filters_set = tuple(name for name in _FILTER_NAMES if getattr(f, name))
            self._shape = (_user_key(user), f.deleted, filters_set, sort, self.terms.shape if self.terms else None)
            self._values = {"user": user.pk, "team": user.team_id, **{name: getattr(f, name) for name in filters_set}}
            if self.terms:
                self._values.update(self.terms._asdict(), gram=gram)

    @cached_property
    def _listed(self) -> tuple[str, list]:
        """The union of the parts' (id, sort keys), unordered."""
        return _LISTED.sql((*self._shape, not self.walk), **self._values)

    def expect(self, start: int, stop: int) -> None:
        """The slice that will be read first: counting reads it too, in the
        same statement (a page is a count and its rows, one round trip)."""
        self._expected = (start, stop)

    _expected = (0, 0)
    _total: int | None = None
    _page: tuple[int, int, list] = (0, 0, [])

    def count(self) -> int:
        if self._total is None:
            self._fetch(*self._expected)
        return self._total

    def _positions(self) -> str:
        """ORDER BY result column positions, which both databases accept after a union."""
        return ", ".join(f"{self._columns.index(name.lstrip('-')) + 1} {'DESC' if name.startswith('-') else 'ASC'}" for name in self.order)

    def _first(self, n: int, *, offset: int = 0) -> tuple[str, list]:
        """The ids and sort keys of rows offset .. offset + n in the list's
        order. Of several parts, each gives only its own first offset + n in
        that order, which its index reads without sorting (a rep's page read
        25 rows, not all of their customers); the union is then sorted."""
        # A search with too many matches to sort walks the list's order.
        indexed = not self.walk and not (self.terms and self.count() > self.cap)
        key = (*self._shape, indexed)
        if self.part_count == 1:
            sql, params = _LISTED.sql(key, **self._values)
        else:
            compiled = [_LISTED_PART.sql((*key, i), **self._values) for i in range(self.part_count)]
            # SQLite takes no ORDER BY or LIMIT in a compound SELECT's members: each is wrapped.
            sql = " UNION ALL ".join(f"SELECT * FROM ({part_sql} LIMIT {int(offset + n)}) part{i}" for i, (part_sql, _params) in enumerate(compiled))
            params = [p for _sql, part_params in compiled for p in part_params]
        return f"{sql} ORDER BY {self._positions()} LIMIT {int(n)} OFFSET {int(offset)}", params

    def _fetch(self, start: int, stop: int) -> None:
        """The count, up to cap + 1, and the rows start .. stop, in one statement.

        - A list without a search counts its union and reads the page from
          the list's order, two independent subqueries.
        - A walked search reads its first cap + 1 matches in the list's order
          once: their number is the count, and the page is among them.
        - Any other search collects its matches once, up to COLLECT_LIMIT
          (more than it counts: a text with a few thousand matches is not
          broad, and walking the list's order for its page read some 20,000
          customers): if they are all there, the page is theirs, sorted; if
          not, the page is read again by walking the list's order (_first)."""
        if not self.part_count:
            self._total, self._page = 0, (start, stop, [])
            return
        sql, params = self._listed
        n, limit = int(stop - start), int(self.cap) + 1
        collect = limit if not self.terms or self.walk else max(limit, COLLECT_LIMIT)
        memo = (self._shape, tuple(self._values.items()), self.cap)
        remembered = not self.terms and time.monotonic() - _OVER_CAP.get(memo, -COUNT_MEMO_SECONDS) < COUNT_MEMO_SECONDS
        if remembered:  # counted a moment ago: more than the cap; only the page is read
            window, (ids, params) = "", self._first(n, offset=start)
            total = f"SELECT {limit} AS total"
        elif not self.terms:
            window, (ids, ids_params) = "", self._first(n, offset=start)
            total, params = f"SELECT COUNT(*) AS total FROM ({sql} LIMIT {limit}) counted", [*params, *ids_params]
        else:
            window_sql, params = self._first(limit) if self.walk else (f"{sql} LIMIT {collect}", params)
            window = f"WITH window_ AS MATERIALIZED ({window_sql}) "
            total = "SELECT COUNT(*) AS total FROM window_"
            ids = f"SELECT * FROM window_ ORDER BY {self._positions()} LIMIT {n} OFFSET {int(start)}"
        page_sql = _PAGE_SQL.format(tags=_tag_pairs_sql('c."id"'), ids=ids)
        rows = _fetchall(f"{window}SELECT t.total, r.* FROM ({total}) t LEFT JOIN ({page_sql}) r ON 1 = 1", params, prepare=self._prepare)
        read = rows[0][0]
        self._total = min(read, limit)
        if not self.terms and not remembered and self._total > self.cap:
            if len(_OVER_CAP) > 10_000:
                _OVER_CAP.clear()
            _OVER_CAP[memo] = time.monotonic()
        # A search's page is among the matches read: all of them, or (walked) the first cap + 1 in order.
        if not self.terms or read < collect or (self.walk and stop <= limit):
            self._page = (start, stop, self._rows([row[1:] for row in rows if row[1] is not None]))

    def __getitem__(self, page: slice) -> list[CustomerRow]:
        start, stop = page.start or 0, page.stop
        if self._total is None:
            self._fetch(start, stop)
        first, last, rows = self._page
        # The rows read with the count serve any slice they cover (the last
        # page of a list is shorter than the one expected).
        if start == first and (stop <= last or len(rows) < last - first):
            return rows[: stop - start]
        if not self.part_count:
            return []
        ids_sql, params = self._first(int(stop - start), offset=int(start))
        return self._rows(_fetchall(_PAGE_SQL.format(tags=_tag_pairs_sql('c."id"'), ids=ids_sql), params, prepare=self._prepare))

    def _rows(self, rows: list[tuple]) -> list[CustomerRow]:
        # The join keeps no order: put the rows back in the page's, by its sort keys.
        keys = self._columns
        first_key = len(_ROW_COLUMNS) + 5
        for name in reversed(self.order):
            position = first_key + keys.index(name.lstrip("-"))
            rows.sort(key=lambda row: row[position], reverse=name.startswith("-"))
        return [
            CustomerRow(*row[:11], _aware(row[11]), _aware(row[12]), OwnerRef(row[13], person_name(*row[14:18])), [name for _id, name in json.loads(row[18])])
            for row in rows
        ]


# In the model's field order, as Model.from_db expects them.
_OWNER_FIELDS = tuple(
    f.attname for f in User._meta.concrete_fields if f.attname in {"id", "username", "first_name", "last_name", "display_name", "role", "team_id", "is_active"}
)


def _visible_one(key: tuple, *, user: int, team: int, pk: int) -> QuerySet[Customer]:
    """The customer, its owner's name fields and its tags in one query."""
    user_key, include_deleted = key
    return (
        access.visible_customers(_stand_in(user_key, user=user, team=team), include_deleted=include_deleted)
        .filter(pk=pk)
        .annotate(**{f"owner_{name}_": F(f"owner__{name}") for name in _OWNER_FIELDS})  # team_id: the owner's
        .annotate(tags_json_=RawSQL(_tag_pairs_sql('"customers_customer"."id"'), []))
        .order_by()
    )


# The 360° page and every write start here: compiled once per role.
_CUSTOMER_GET = QueryTemplate("user", "team", "pk", build=_visible_one)


_OWNER_CHOICES = QueryTemplate(
    "user", "team", build=lambda key, user, team: access.assignable_owners(_stand_in(key, user=user, team=team)).values_list("id", *NAME_COLUMNS)
)


def owner_choices(*, user: User) -> list[tuple[int, str]]:
    """(id, name) of the people `user` may make owners, as a filter or a form lists them."""
    return _people(_OWNER_CHOICES.sql(_user_key(user), user=user.pk, team=user.team_id))


def customer_get(*, user: User, pk: Any, include_deleted: bool = False) -> Customer:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Customer not found.")) from None
    if not user or not user.is_authenticated or not user.is_active:
        raise NotFound(_("Customer not found."))
    key = (_user_key(user), include_deleted and user.is_admin)
    found = _CUSTOMER_GET.raw(key, user=user.pk, team=user.team_id, pk=pk)
    if not found:
        raise NotFound(_("Customer not found."))
    customer = found[0]
    db = customer._state.db
    customer.owner = User.from_db(db, _OWNER_FIELDS, [getattr(customer, f"owner_{name}_") for name in _OWNER_FIELDS])
    _prefetched(customer, "tags", [Tag.from_db(db, ["id", "name"], pair) for pair in json.loads(customer.tags_json_)])
    for name in (*(f"owner_{name}_" for name in _OWNER_FIELDS), "tags_json_"):
        delattr(customer, name)
    customer._read_for = user.pk
    return customer


def _prefetched(instance, name: str, objects: list) -> None:
    """What prefetch_related leaves on an instance: `instance.name.all()`
    answers from `objects` without a query."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def customer_check_held(*, user: User, customer: Customer, include_deleted: bool = False) -> None:
    """customer_check_visible for a read given a customer object: no query
    when customer_get loaded this very object for this user (the 360° page's
    contacts, timeline and history would each check again)."""
    if getattr(customer, "_read_for", None) == user.pk and (include_deleted or customer.deleted_at is None):
        return
    customer_check_visible(user=user, pk=customer.pk, include_deleted=include_deleted)


def customer_check_visible(*, user: User, pk: Any, include_deleted: bool = False) -> None:
    """Raise NotFound exactly when customer_get would, with one EXISTS query
    instead of loading the customer again (for reads that already hold it)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Customer not found.")) from None
    if not access.visible_customers(user, include_deleted=include_deleted and user.is_admin).filter(pk=pk).exists():
        raise NotFound(_("Customer not found."))


def customer_profile(*, user: User, customer: Customer) -> dict[str, Any]:
    """Field values as this user may read them: sensitive fields are blank
    unless the user is the owner, their manager or an administrator."""
    hidden = () if access.can_see_sensitive(user, customer) else SENSITIVE_FIELDS
    return {"hidden": hidden, "can_see_sensitive": not hidden}


def contact_list(*, user: User, customer: Customer) -> QuerySet[Contact]:
    """Contacts of a customer the caller has already fetched through customer_get."""
    customer_check_held(user=user, customer=customer)
    return _live_contacts(customer.pk)


def _live_contacts(customer_id: int) -> QuerySet[Contact]:
    return Contact.objects.filter(customer_id=customer_id, deleted_at__isnull=True).order_by("-is_key_person", "name_pinyin")


_CONTACTS_OF = QueryTemplate("customer", build=lambda key, customer: _live_contacts(customer))


def contacts_read(customer: Customer) -> Read:
    """contact_list's rows, from a query compiled once, for read_together
    (the 360° page; the caller checks access)."""
    return _CONTACTS_OF.read(None, customer=customer.pk)


def contact_search(*, user: User, q: str = "", customer_id: int | None = None) -> QuerySet[Contact]:
    qs = Contact.objects.filter(deleted_at__isnull=True, customer__in=access.visible_customers(user)).select_related("customer")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    q = normalize_text(q)
    if q:
        key = pinyin_key(q)
        cond = Q(name__prefix=q)
        if key and q.isascii():
            cond |= Q(name_pinyin__prefix=key) | Q(name_initials__prefix=key)
        phone = phone_search_key(q)
        if phone:
            cond |= Q(mobile__prefix=phone)
        qs = qs.filter(cond)
    return qs.order_by("customer_id", "-is_key_person", "name_pinyin")


def contact_get(*, user: User, pk: Any) -> Contact:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Contact not found.")) from None
    contact = (
        Contact.objects.filter(pk=pk, deleted_at__isnull=True, customer__in=access.visible_customers(user))
        .select_related("customer", "customer__owner")
        .first()
    )
    if contact is None:
        raise NotFound(_("Contact not found."))
    return contact


_NEWEST_CHANGES = QueryTemplate(
    "customer",
    build=lambda limit, customer: ChangeRecord.objects.filter(customer_id=customer).annotate(**name_columns_of("actor")).order_by("-at", "-id")[:limit],
)


def change_history(
    *, user: User, customer: Customer, limit: int | None = None, before: datetime | None = None, related: bool = True
) -> list[ChangeRecord]:
    """Changes to the customer and its contacts, newest first (older than
    `before` when given), with sensitive values masked for users who may not
    read them. related=False leaves `actor` and `contact` to the caller
    (the timeline loads them with the interactions' in one query each)."""
    customer_check_held(user=user, customer=customer, include_deleted=True)
    # Related rows are attached afterwards, not joined, as in the interaction
    # timeline: SQLite then stops after `limit` rows.
    if limit and not before and not related:
        records = _NEWEST_CHANGES.raw(limit, customer=customer.pk)
    else:
        qs = ChangeRecord.objects.filter(customer=customer)
        qs = qs.prefetch_related("actor", "contact") if related else qs.annotate(**name_columns_of("actor"))
        if before:
            qs = qs.filter(at__lt=before)
        records = list(qs[:limit] if limit else qs)
    return masked_changes(user=user, customer=customer, records=records)


def newest_changes_read(customer: Customer, limit: int) -> Read:
    """change_history(limit=limit, related=False)'s query, for read_together:
    its records go through masked_changes."""
    return _NEWEST_CHANGES.read(limit, customer=customer.pk)


def masked_changes(*, user: User, customer: Customer, records: list[ChangeRecord]) -> list[ChangeRecord]:
    """Sensitive values hidden from users who may not read them."""
    if not access.can_see_sensitive(user, customer):
        for record in records:
            record.changes = [
                {**c, "old": "•••" if c["old"] else "", "new": "•••" if c["new"] else ""} if c["field"] in SENSITIVE_FIELDS else c
                for c in record.changes
            ]
    return records


_GRANTEES = QueryTemplate(
    "customer",
    build=lambda key, customer: User.objects.filter(customer_grants__customer_id=customer)
    .annotate(grant_kind=F("customer_grants__kind"))
    .order_by("customer_grants__kind", "username"),
)


def grantees_read(customer: Customer) -> Read:
    """Who the customer is shared with or served by, for read_together: the
    people go through grants_by_kind (the caller checks access)."""
    return _GRANTEES.read(None, customer=customer.pk)


def grants_by_kind(people: list[User]) -> dict[str, list[User]]:
    out: dict[str, list[User]] = {"shared": [], "service": []}
    for person in people:
        out[person.grant_kind].append(person)
    return out


def tag_list(*, user: User) -> QuerySet[Tag]:
    """Tags in use on customers the user can see."""
    return Tag.objects.filter(customers__in=access.visible_customers(user)).distinct().order_by("name")


def home_customers(*, user: User, limit: int = 8) -> QuerySet[Customer]:
    return access.visible_customers(user).select_related("owner").order_by("-updated_at", "-id")[:limit]


def _grant_candidates(has_team: bool, *, owner: int, team: int) -> QuerySet:
    return grant_candidates(customer=Customer(owner_id=owner, team_id=team if has_team else None)).values_list("id", *NAME_COLUMNS)


_GRANT_CHOICES = QueryTemplate("owner", "team", build=_grant_candidates)


def grant_choices_read(customer: Customer) -> Read:
    """grant_candidates' ids and names, as the 360° page's select lists them,
    for read_together."""
    return _GRANT_CHOICES.read(customer.team_id is not None, owner=customer.owner_id, team=customer.team_id)


def grant_candidates(*, customer: Customer) -> QuerySet[User]:
    """Who a customer can be shared with or handed to for service: active reps and
    agents of the customer's team (anyone, for a customer without a team)."""
    qs = User.objects.filter(is_active=True, role__in=(Role.SALES, Role.SERVICE)).exclude(pk=customer.owner_id)
    if customer.team_id:
        qs = qs.filter(team_id=customer.team_id)
    return qs.order_by("display_name", "username")
