"""CustomerListing: the list and the API read a page in a few queries; its
answers must be exactly those of the plain queryset (customer_list), in the
same order, for every role, sort and search, whichever plan it takes."""

import datetime as dt

import pytest
from django.utils import timezone

from manyi.customers import access, selectors, services
from manyi.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep, rep2, agent, outsider):
    """Customers of several owners, some shared or served, one deleted, with
    distinct update times so every order is total."""
    base = timezone.now() - dt.timedelta(days=30)
    made = []
    names = ["张三贸易", "张伟科技", "李四商行", "王五餐饮", "赵六物流", "钱七服饰", "孙八电器", "周九建材"]
    for i, name in enumerate(names):
        owner = (rep, rep2, outsider)[i % 3]
        c = CustomerFactory(name=name, owner=owner, grade="ABCD"[i % 4])
        Customer.objects.filter(pk=c.pk).update(updated_at=base + dt.timedelta(hours=i))
        made.append(c)
    services.customer_grant_access(by=rep2, customer=made[1], user=rep, kind="shared")
    services.customer_grant_access(by=rep2, customer=made[4], user=agent, kind="service")
    services.customer_delete(by=rep, customer=made[3])
    made[2].tags.create(name="VIP")
    return made


def expected(user, **filters):
    return [c.pk for c in selectors.customer_list(user=user, filters=selectors.CustomerFilters(**filters))]


def listed(user, cap=10_000, **filters):
    listing = selectors.CustomerListing(user=user, filters=selectors.CustomerFilters(**filters), cap=cap)
    return [row.id for row in listing[0:100]], listing.count()


ROLES = ("rep", "rep2", "agent", "manager", "analyst", "outsider", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_visible_parts_are_disjoint_and_make_up_the_visible_customers(request, book, role):
    user = request.getfixturevalue(role)
    parts = [set(part.values_list("id", flat=True)) for part in access.visible_parts(user)]
    union = set().union(*parts)
    assert sum(len(p) for p in parts) == len(union)
    assert union == set(access.visible_customers(user).values_list("id", flat=True))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("sort", sorted(selectors.SORTS))
def test_every_role_and_sort_lists_what_the_queryset_lists(request, book, role, sort):
    user = request.getfixturevalue(role)
    ids, count = listed(user, sort=sort)
    assert ids == expected(user, sort=sort)
    assert count == len(ids)


def test_a_rep_sees_their_shared_customer_merged_in_order(rep, book):
    ids, _count = listed(rep)
    assert book[1].pk in ids  # rep2's, shared with rep
    assert ids == sorted(ids, key=lambda pk: Customer.objects.get(pk=pk).updated_at, reverse=True)


@pytest.mark.parametrize("sort", sorted(selectors.SORTS))
def test_pages_of_any_size_join_up_to_the_whole_list(rep, rep2, sort):
    """Each part gives only its own first rows of a page: own and shared
    customers interleaved in the list's order must still page exactly."""
    base = timezone.now() - dt.timedelta(days=30)
    for i in range(11):
        c = CustomerFactory(name=f"客户{i:02d}", owner=rep if i % 2 else rep2, grade="ABCD"[i % 4])
        Customer.objects.filter(pk=c.pk).update(updated_at=base + dt.timedelta(hours=i))
        if i % 2 == 0:
            services.customer_grant_access(by=rep2, customer=c, user=rep, kind="shared")
    want = expected(rep, sort=sort)
    assert len(want) == 11
    listing = selectors.CustomerListing(user=rep, filters=selectors.CustomerFilters(sort=sort))
    for size in (1, 2, 3, 5):
        pages = [[row.id for row in listing[start : start + size]] for start in range(0, 11, size)]
        assert [pk for page in pages for pk in page] == want, size


def test_rows_carry_owner_name_and_tags(admin, book):
    rows = {row.id: row for row in selectors.CustomerListing(user=admin)[0:25]}
    assert rows[book[2].pk].tags == ["VIP"] and rows[book[0].pk].tags == []
    assert rows[book[0].pk].owner.name == book[0].owner.name and rows[book[0].pk].owner.id == book[0].owner_id


@pytest.mark.parametrize("q", ["张", "zhang", "zs", "VIP", "139", "贸易"])
@pytest.mark.parametrize("role", ("rep", "manager", "admin"))
def test_searches_match_the_queryset_in_every_plan(request, book, role, q, monkeypatch):
    """cap=1: a search with two or more matches counts past its cap; its page
    is sorted from the matches collected (up to COLLECT_LIMIT) or, when they
    are not all collected, read by walking the list's order (as a broad
    search is). The answer must not change."""
    user = request.getfixturevalue(role)
    want = expected(user, q=q)
    assert listed(user, q=q)[0] == want
    collected, count = listed(user, cap=1, q=q)
    assert collected == want and count == min(len(want), 2)
    monkeypatch.setattr(selectors, "COLLECT_LIMIT", 0)
    walked, count = listed(user, cap=1, q=q)
    assert walked == want and count == min(len(want), 2)


@pytest.mark.parametrize("q", ["张伟", "zhangw", "zhang"])
def test_a_very_common_text_walks_and_counts_to_the_broad_cap(admin, book, monkeypatch, q):
    monkeypatch.setattr(selectors, "BROAD_PROBE_LIMIT", 1)
    monkeypatch.setattr(selectors, "BROAD_COUNT_CAP", 1)
    listing = selectors.CustomerListing(user=admin, filters=selectors.CustomerFilters(q=q))
    assert listing.walk and listing.cap == 1
    want = expected(admin, q=q)
    assert listing.count() == min(len(want), 2)
    assert [row.id for row in listing[0:25]] == want


def test_a_rare_text_is_not_broad(admin, book):
    assert not selectors.broad_search("张伟") and not selectors.broad_search("zhangw")


def test_count_stops_after_the_cap(admin, book):
    listing = selectors.CustomerListing(user=admin, cap=3)
    assert listing.count() == 4  # cap + 1: "more than 3"
    assert len(listing[0:100]) == 7  # pages go on past the count


def test_a_list_over_its_cap_is_not_counted_again_for_a_while(admin, book, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page(**filters):
        listing = selectors.CustomerListing(user=admin, filters=selectors.CustomerFilters(**filters), cap=3)
        listing.expect(0, 25)
        with CaptureQueriesContext(connection) as queries:
            count, ids = listing.count(), [row.id for row in listing[0:25]]
        return count, ids, " ".join(q["sql"] for q in queries.captured_queries)

    count, ids, sql = page()
    assert count == 4 and "COUNT(*)" in sql  # more than 3
    count, ids_again, sql = page()
    assert (count, ids_again) == (4, ids) and "COUNT(*)" not in sql  # remembered; the page is read as ever
    assert "COUNT(*)" in page(grade="A")[2]  # another list is counted
    Customer.objects.filter(pk__in=ids[2:]).update(deleted_at=timezone.now())
    monkeypatch.setattr(selectors, "COUNT_MEMO_SECONDS", 0)
    assert page()[0] == 2  # once the memory is old, the count is exact again


@pytest.mark.parametrize(("filters", "prepared"), [({}, True), ({"grade": "A"}, True), ({"q": "张"}, False), ({"tag": "VIP"}, False)])
def test_a_list_is_prepared_unless_its_plan_depends_on_a_value(rep, book, filters, prepared):
    """A searched text's index range, and a tag's rarity, choose the plan:
    such lists are planned with their values each time (core.queries.execute)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert listed(rep, **filters) == (expected(rep, **filters), len(expected(rep, **filters)))
    sent = [q["sql"] for q in queries.captured_queries]
    by_name = any(sql.startswith("EXECUTE manyi_") for sql in sent)
    assert by_name == (prepared and connection.vendor == "postgresql")


def test_the_recycle_bin_is_for_administrators(rep, admin, book):
    assert listed(admin, deleted=True)[0] == [book[3].pk]
    assert listed(rep, deleted=True) == ([], 0)


def test_the_rarest_bigram_is_found_counting_no_further_than_needed(rep, monkeypatch):
    for name in ("北京东方", "北京东方科技", "北京东方物流", "东方红", "东方明珠"):
        CustomerFactory(name=name, owner=rep)
    monkeypatch.setattr(selectors, "RARE_ENOUGH", 1)
    # 东方 (in all five) is counted first, then 京东 (three) only up to five
    assert selectors._rarest_gram("京东方") == "京东"
    assert selectors._gram_counts(["京东", "东方"], 2) == ("东方", 2)  # both reach the limit: none is rarer
