import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from manyi.customers.models import Customer, CustomerAccess
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_login_page_and_wrong_password(client, rep, password):
    assert client.get(reverse("web:login")).status_code == 200
    response = client.post(reverse("web:login"), {"username": "rep", "password": "wrong"})
    assert response.status_code == 200 and "Wrong username or password" in response.content.decode()
    response = client.post(reverse("web:login"), {"username": "rep", "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")


def test_logout_is_a_post(as_user, rep):
    client = as_user(rep)
    assert client.get(reverse("web:logout")).status_code == 405
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_me_shows_name_role_and_team_cheaply(as_user, rep):
    client = as_user(rep)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("web:me")).content.decode()
    assert "王小明" in body and "Sales rep" in body and "华东一组" in body
    assert len(queries) <= 3  # session, user, team


def test_navbar_shows_the_user_and_role(as_user, manager):
    body = as_user(manager).get("/").content.decode()
    assert "陈经理" in body and "Manager" in body


def test_home_lists_recent_customers_and_interactions(as_user, rep, customer):
    InteractionFactory(customer=customer, subject="续约沟通")
    body = as_user(rep).get("/").content.decode()
    assert "张三" in body and "续约沟通" in body


def test_home_empty_state(as_user, rep):
    body = as_user(rep).get("/").content.decode()
    assert "No customers yet." in body and "No interactions yet." in body


def test_language_switch_to_chinese_and_back(client, rep):
    client.force_login(rep)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    body = client.get("/customers/").content.decode()
    assert "客户" in body and 'lang="zh-hans"' in body and "New customer" not in body
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get("/customers/").content.decode()
    assert "New customer" in body and 'lang="en"' in body


def test_chinese_is_the_default(client, rep, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(rep)
    body = client.get("/customers/").content.decode()
    assert "新建客户" in body


class TestCustomerList:
    @pytest.fixture
    def many(self, rep):
        names = ["欧阳娜娜", "张伟", "李娜", "Acme Ltd"]
        return [CustomerFactory(name=n, owner=rep, grade=g) for n, g in zip(names, "ABCD")]

    @pytest.mark.parametrize("q,found", [
        ("ouyang", ["欧阳娜娜"]), ("oynn", ["欧阳娜娜"]), ("欧阳", ["欧阳娜娜"]), ("zw", ["张伟"]),
        ("acme", ["Acme Ltd"]), ("nomatch", []),
    ])  # fmt: skip
    def test_search_by_name_pinyin_and_initials(self, as_user, rep, many, q, found):
        body = as_user(rep).get(reverse("web:customer_list"), {"q": q}).content.decode()
        for c in many:
            assert (f"/customers/{c.pk}/" in body) == (c.name in found), (q, c.name)
        if not found:
            assert "No customer matches your search." in body

    def test_search_by_phone_email_and_tag(self, as_user, rep, many):
        c = many[0]
        Customer.objects.filter(pk=c.pk).update(email="nana@example.com")
        c.tags.create(name="VIP")
        client = as_user(rep)
        for q in (c.mobile[3:], "nana@example.com", "VIP"):
            body = client.get(reverse("web:customer_list"), {"q": q}).content.decode()
            assert f"/customers/{c.pk}/" in body and f"/customers/{many[1].pk}/" not in body, q

    def test_htmx_search_returns_only_the_results(self, as_user, rep, many):
        response = as_user(rep).get(reverse("web:customer_list"), {"q": "ouyang"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "<html" not in body and "欧阳娜娜" in body and "张伟" not in body
        assert "HX-Request" in response["Vary"]

    def test_filters_and_sorting(self, as_user, rep, many):
        client = as_user(rep)
        body = client.get(reverse("web:customer_list"), {"grade": "B"}).content.decode()
        assert "张伟" in body and "欧阳娜娜" not in body
        body = client.get(reverse("web:customer_list"), {"sort": "-grade"}).content.decode()
        table = body[body.index("<tbody>") :]
        assert table.index("Acme Ltd") < table.index("欧阳娜娜")
        body = client.get(reverse("web:customer_list"), {"sort": "name"}).content.decode()
        table = body[body.index("<tbody>") :]
        assert table.index("Acme Ltd") < table.index("李娜") < table.index("欧阳娜娜") < table.index("张伟")
        assert 'href="?sort=-name"' in body  # clicking the sorted column reverses it

    def test_owner_filter_is_for_managers(self, as_user, rep, rep2, manager, many):
        CustomerFactory(name="赵家客户", owner=rep2)
        body = as_user(manager).get(reverse("web:customer_list"), {"owner": rep2.pk}).content.decode()
        assert "赵家客户" in body and "张伟" not in body
        body = as_user(rep).get(reverse("web:customer_list"), {"owner": rep2.pk}).content.decode()
        assert 'name="owner"' not in body and "张伟" in body and "赵家客户" not in body

    def test_pagination_and_query_count(self, as_user, rep, settings):
        settings.MANYI_PAGE_SIZE = 5
        for i in range(12):
            CustomerFactory(owner=rep).tags.create(name=f"标签{i}")
        client = as_user(rep)
        with CaptureQueriesContext(connection) as first:  # on PostgreSQL, the page's statement is prepared here
            client.get(reverse("web:customer_list"), {"page": 3})
        with CaptureQueriesContext(connection) as queries:
            body = client.get(reverse("web:customer_list"), {"page": 3}).content.decode()
        assert "12 customers" in body and "Page 3 of 3" in body and body.count('<tr>') == 3  # header + 2 rows
        assert len(queries) == 4  # session, user, the count with the page's rows, owners and tags, and the bell's unread notifications
        selected = next(q["sql"] for q in first.captured_queries if "OFFSET 10" in q["sql"])
        assert "notes" not in selected and "health_notes" not in selected


def test_delete_and_restore(as_user, rep, admin, customer):
    client = as_user(rep)
    response = client.post(reverse("web:customer_delete", args=[customer.pk]))
    assert response.status_code == 302
    assert client.get(reverse("web:customer_detail", args=[customer.pk])).status_code == 404
    admin_client = as_user(admin)
    assert "张三" in admin_client.get(reverse("web:customer_deleted")).content.decode()
    response = admin_client.post(reverse("web:customer_restore", args=[customer.pk]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.deleted_at is None
    assert "No deleted customers." in admin_client.get(reverse("web:customer_deleted")).content.decode()


def test_share_and_unshare(as_user, rep, rep2, customer):
    client = as_user(rep)
    body = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "赵丽" in body  # offered as a colleague
    client.post(reverse("web:grant_add", args=[customer.pk]), {"user": rep2.pk, "kind": "shared"})
    assert CustomerAccess.objects.filter(customer=customer, user=rep2, kind="shared").exists()
    assert as_user(rep2).get(reverse("web:customer_detail", args=[customer.pk])).status_code == 200
    as_user(rep).post(reverse("web:grant_remove", args=[customer.pk]), {"user": rep2.pk, "kind": "shared"})
    assert not CustomerAccess.objects.exists()


def test_unknown_customer_is_404(as_user, rep):
    assert as_user(rep).get("/customers/999999/").status_code == 404


def test_restoring_a_customer_that_is_not_deleted_says_so(as_user, admin, customer):
    response = as_user(admin).post(reverse("web:customer_restore", args=[customer.pk]), follow=True)
    assert "This customer is not deleted." in response.content.decode()


def test_a_refused_page_explains_why(as_user, analyst):
    response = as_user(analyst).get(reverse("web:customer_new"))
    assert response.status_code == 403 and "Your role may not create customers." in response.content.decode()


def test_the_detail_page_shows_the_360_view(as_user, rep, customer):
    from manyi.customers import services

    services.customer_update(by=rep, customer=customer, data={"social_style": "driver", "temperament": "combative", "tags": "VIP"})
    body = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Grade C" in body and "Ordinary" in body and "Awareness" in body and "王小明" in body and "VIP" in body
    assert "Be on time and keep it brief" in body and "Stay calm and never argue back." in body
    assert customer.mobile[3:6] in body and customer.mobile not in body  # shown formatted, not as E.164


def test_a_serving_agent_cannot_share_the_customer(as_user, agent, rep2, customer):
    CustomerAccess.objects.create(customer=customer, user=agent, kind="service")
    client = as_user(agent)
    assert client.post(reverse("web:grant_add", args=[customer.pk]), {"user": rep2.pk, "kind": "shared"}).status_code == 403
    assert client.post(reverse("web:grant_remove", args=[customer.pk]), {"user": agent.pk, "kind": "service"}).status_code == 403
    assert list(CustomerAccess.objects.values_list("user__username", flat=True)) == ["agent"]


def test_owner_filter_lists_the_team_and_keeps_the_choice(client, manager, rep, rep2, outsider, customer):
    client.force_login(manager)
    page = client.get("/customers/", {"owner": rep.pk}).content.decode()
    assert f'<option value="{rep.pk}" selected>' in page  # the choice shows before the options load
    assert f'value="{rep2.pk}"' not in page and reverse("web:customer_owner_options") in page
    options = client.get(reverse("web:customer_owner_options"), {"owner": rep.pk}).content.decode()
    assert options.startswith('<option value="">') and f'<option value="{rep.pk}" selected>' in options
    assert f'<option value="{rep2.pk}">' in options
    assert f'value="{outsider.pk}"' not in options


def test_owner_options_are_for_those_who_assign_owners(client, rep, analyst, admin, outsider):
    url = reverse("web:customer_owner_options")
    assert client.get(url).status_code == 302  # to the login page
    for user in (rep, analyst):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403 and "<option" not in response.content.decode()
    client.force_login(admin)
    options = client.get(url).content.decode()
    assert f'<option value="{outsider.pk}">' in options and f'<option value="{rep.pk}">' in options


def test_list_rows_escape_what_users_typed(client, rep):
    from tests.factories import CustomerFactory

    c = CustomerFactory(owner=rep, name="<script>alert(1)</script>有限公司", city="<b>杭州</b>")
    c.tags.create(name="<i>VIP</i>")
    client.force_login(rep)
    page = client.get("/customers/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;有限公司" in page
    assert "&lt;b&gt;杭州&lt;/b&gt;" in page and "&lt;i&gt;VIP&lt;/i&gt;" in page
    assert f'href="/customers/{c.pk}/"' in page


def test_a_customer_with_no_colleague_to_share_with_says_so(as_user, rep, customer):
    body = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "No colleague in this customer's team to share it with." in body and 'id="grant-user"' not in body
