"""The shared cast: every read path is tested against these people.

- rep:      sales rep in team 华东一组, owns `customer`
- rep2:     another sales rep in the same team, owns nothing of rep's
- agent:    service agent in the same team
- manager:  manager of 华东一组
- analyst:  analyst in 华东一组 (read-only)
- outsider: sales rep in another team
- admin:    administrator
"""

import os

import pytest

from tests.factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory

os.environ.setdefault("MANYI_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", ".pytest-data"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def team(db):
    return TeamFactory(name="华东一组")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="华南二组")


@pytest.fixture
def rep(team):
    return UserFactory(username="rep", display_name="王小明", role="sales", team=team)


@pytest.fixture
def rep2(team):
    return UserFactory(username="rep2", display_name="赵丽", role="sales", team=team)


@pytest.fixture
def agent(team):
    return UserFactory(username="agent", display_name="孙客服", role="service", team=team)


@pytest.fixture
def manager(team):
    return UserFactory(username="manager", display_name="陈经理", role="manager", team=team)


@pytest.fixture
def analyst(team):
    return UserFactory(username="analyst", display_name="周分析", role="analyst", team=team)


@pytest.fixture
def outsider(other_team):
    return UserFactory(username="outsider", display_name="外人", role="sales", team=other_team)


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", display_name="管理员", role="admin", team=None)


@pytest.fixture
def customer(rep):
    return CustomerFactory(name="张三", owner=rep, health_notes="高血压", income_level="年薪50万")


@pytest.fixture
def enterprise(rep):
    return CustomerFactory(name="北京华为科技有限公司", kind="enterprise", owner=rep)
