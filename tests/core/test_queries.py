import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from manyi.core import queries
from manyi.core.queries import QueryTemplate, Read, execute, read_together, stand_ins
from manyi.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_template_reruns_its_sql_with_other_values(rep, rep2):
    mine, theirs = CustomerFactory(owner=rep), CustomerFactory(owner=rep2)
    built = []

    def build(key, owner):
        built.append(key)
        return Customer.objects.filter(owner_id=owner).order_by("id")

    template = QueryTemplate("owner", build=build)
    assert template.raw("k", owner=rep.pk) == [mine]
    assert template.raw("k", owner=rep2.pk) == [theirs]
    assert built == ["k"]  # compiled once


def test_stand_ins_are_distinct_and_never_real_values():
    marks = stand_ins("a", "b", "c")
    assert len(set(marks.values())) == 3
    assert all(v < -10**12 for v in marks.values())


@pytest.mark.parametrize("value", ["abc", "50%_off", "a*b?[c]", "back\\slash", "张三"])
def test_a_text_is_escaped_as_its_lookup_escapes_it(value):
    """The text stand-in's parameters are rebuilt exactly as Django and the
    prefix lookup build them, wildcards and escapes included."""

    def build(key, text):
        return Customer.objects.filter(Q(name__prefix=text) | Q(name__contains=text) | Q(email=text)).order_by("id")

    template = QueryTemplate(texts=("text",), build=build)
    template.sql("k", text="warm-up")
    sql, params = template.sql("k", text=value)
    want_sql, want_params = build("k", value).query.sql_with_params()
    assert (sql, list(params)) == (want_sql, list(want_params))


def test_a_text_in_an_unknown_form_is_refused():
    template = QueryTemplate(texts=("text",), build=lambda key, text: Customer.objects.filter(name__endswith=text))
    with pytest.raises(ValueError, match="unknown form"):
        template.sql("k", text="x")


def test_literal_texts_match_literally(rep):
    odd = CustomerFactory(owner=rep, name="百分之50%_折扣")
    CustomerFactory(owner=rep, name="百分之50X折扣")
    template = QueryTemplate(texts=("text",), build=lambda key, text: Customer.objects.filter(name__prefix=text).order_by("id"))
    assert template.raw("k", text="百分之50%_") == [odd]


def test_reads_sent_together_give_what_each_gives_alone(rep, rep2):
    """read_together (one round trip on PostgreSQL) makes the same instances,
    annotations and converted values (dates, JSON) as each read run alone."""
    from django.db.models import F

    from manyi.customers.models import ChangeRecord
    from manyi.customers.services import customer_update

    mine = CustomerFactory(owner=rep, name="张三贸易", registered_capital="12.50")
    CustomerFactory(owner=rep2)
    customer_update(by=rep, customer=mine, data={"grade": "A"})
    customers = QueryTemplate("owner", build=lambda key, owner: Customer.objects.filter(owner_id=owner).annotate(owner_login=F("owner__username")))
    changes = QueryTemplate("customer", build=lambda key, customer: ChangeRecord.objects.filter(customer_id=customer).order_by("id"))
    empty = QueryTemplate("owner", build=lambda key, owner: Customer.objects.filter(owner_id=owner, name="nobody"))
    reads = [customers.read("k", owner=rep.pk), changes.read("k", customer=mine.pk), empty.read("k", owner=rep.pk), customers.read("k", owner=rep2.pk)]
    together = read_together(*reads)
    alone = [customers.raw("k", owner=rep.pk), changes.raw("k", customer=mine.pk), [], customers.raw("k", owner=rep2.pk)]
    assert [[o.pk for o in objs] for objs in together] == [[o.pk for o in objs] for objs in alone]
    got, want = together[0][0], Customer.objects.get(pk=mine.pk)
    assert got.owner_login == "rep" and got.registered_capital == want.registered_capital and got.created_at == want.created_at
    assert [c.changes for c in together[1]] == [c.changes for c in ChangeRecord.objects.filter(customer=mine).order_by("id")]
    assert any(c["field"] == "grade" for record in together[1] for c in record.changes)


PREPARABLE = 'SELECT "name" FROM "customers_customer" WHERE "owner_id" = %s AND "name" NOT LIKE \'%%x\' ORDER BY "id"'


def run_marked(sql, params):
    with CaptureQueriesContext(connection) as ctx, connection.cursor() as cursor:
        execute(cursor, sql, params, prepare=True)
        rows = cursor.fetchall()
    return rows, [q["sql"] for q in ctx.captured_queries]


def test_a_marked_query_is_prepared_once_per_connection_and_planned_once(rep, rep2):
    CustomerFactory(owner=rep, name="百分之百")
    CustomerFactory(owner=rep2, name="王五")
    mine, first = run_marked(PREPARABLE, [rep.pk])
    theirs, again = run_marked(PREPARABLE, [rep2.pk])
    assert (mine, theirs) == ([("百分之百",)], [("王五",)])  # a literal %, and the values put in their places
    if connection.vendor != "postgresql":
        assert not any("PREPARE" in q or "EXECUTE" in q for q in first + again)  # SQLite caches its statements itself
        return
    name = first[1].split("(")[0].removeprefix("EXECUTE ")
    assert first[0].startswith(f"PREPARE {name} AS ") and "$1" in first[0] and len(first) == 2
    assert again == [f"EXECUTE {name}({rep2.pk})"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s", [name])
        assert cursor.fetchone() == (2, 0)  # plan_cache_mode=force_generic_plan: planned once, for every value


def test_prepared_statements_can_be_turned_off(rep, settings):
    settings.MANYI_PREPARED_STATEMENTS = False
    rows, sent = run_marked(PREPARABLE, [rep.pk])
    assert rows == [] and len(sent) == 1 and not sent[0].startswith(("PREPARE", "EXECUTE"))


def test_past_the_limit_statements_run_unprepared(rep, monkeypatch):
    CustomerFactory(owner=rep, name="张三")
    monkeypatch.setattr(queries, "PREPARED_PER_CONNECTION", 0)
    rows, sent = run_marked(PREPARABLE, [rep.pk])
    assert rows == [("张三",)] and len(sent) == 1 and not sent[0].startswith(("PREPARE", "EXECUTE"))


def test_a_failed_pipeline_does_not_leave_a_statement_thought_prepared(rep):
    """On PostgreSQL the reads are pipelined: after a failing read the server
    skips the rest, a PREPARE included. That statement is prepared again when
    next used, not executed by a name the server never heard of."""
    CustomerFactory(owner=rep, name="张三")
    failing = Read(Customer, 'SELECT * FROM "no_such_table"', [])
    mine = Read(Customer, 'SELECT * FROM "customers_customer" WHERE "owner_id" = %s', [rep.pk], prepare=True)
    with pytest.raises(Exception, match="no_such_table"), transaction.atomic():
        read_together(failing, mine)
    assert [c.name for c in read_together(mine)[0]] == ["张三"]
    assert [c.name for c in read_together(mine, mine)[1]] == ["张三"]


def test_a_read_without_the_primary_key_is_refused(rep):
    from django.core.exceptions import FieldDoesNotExist

    CustomerFactory(owner=rep)
    with pytest.raises(FieldDoesNotExist, match="primary key"):
        read_together(Read(Customer, 'SELECT "name" FROM "customers_customer"', []))


def test_how_rows_become_instances_is_worked_out_once_per_query(rep, monkeypatch):
    from django.db.models.query import RawQuerySet

    CustomerFactory(owner=rep, name="张三")
    calls = []
    resolve = RawQuerySet.resolve_model_init_order
    monkeypatch.setattr(RawQuerySet, "resolve_model_init_order", lambda self: calls.append(1) or resolve(self))
    mine = Read(Customer, 'SELECT * FROM "customers_customer" WHERE "owner_id" = %s AND "name" <> \'plan\'', [rep.pk])
    assert [c.name for c in read_together(mine)[0]] == [c.name for c in read_together(mine, mine)[1]] == ["张三"]
    assert len(calls) == 1
