import datetime as dt

import factory
from django.utils import timezone

from manyi.accounts.models import Role, Team, User
from manyi.analytics import services as analytics_services
from manyi.core.text import initials_key, name_key, pinyin_key
from manyi.customers.models import Contact, Customer
from manyi.interactions.models import Interaction

PASSWORD = "Manyi-test-2026"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"华东{n}组")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    role = Role.SALES
    team = factory.SubFactory(TeamFactory)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
    is_superuser = factory.LazyAttribute(lambda o: o.role == Role.ADMIN)
    is_staff = factory.LazyAttribute(lambda o: o.role == Role.ADMIN)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"杭州测试{n}科技有限公司")
    name_pinyin = factory.LazyAttribute(lambda o: pinyin_key(o.name))
    name_initials = factory.LazyAttribute(lambda o: initials_key(o.name))
    name_key = factory.LazyAttribute(lambda o: name_key(o.name))
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team)
    mobile = factory.Sequence(lambda n: f"+86139{n:08d}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"李{n}")
    name_pinyin = factory.LazyAttribute(lambda o: pinyin_key(o.name))
    name_initials = factory.LazyAttribute(lambda o: initials_key(o.name))


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    kind = "call"
    direction = "outbound"
    channel = "phone"
    occurred_at = factory.Faker("past_datetime", tzinfo=__import__("datetime").timezone.utc)
    text = "电话沟通了新报价"
    created_by = factory.LazyAttribute(lambda o: o.customer.owner)


def buy(customer, by, products, days_ago, *, quantity=1, status="completed"):
    """One order per entry of days_ago, each with a line per product."""
    today = timezone.localdate()
    orders = []
    for days in days_ago:
        data = {
            "ordered_on": today - dt.timedelta(days=days),
            "status": status,
            "lines": [{"product": p, "quantity": quantity} for p in products],
        }
        orders.append(analytics_services.order_create(by=by, customer=customer, data=data))
    return orders
