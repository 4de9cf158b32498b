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

import hypothesis
import pytest

from manyi.analytics import services as analytics_services
from tests.factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory

# In CI nothing may be skipped: a browser test that cannot find Chromium, or a
# PostgreSQL test without a server, fails instead of passing silently.
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests explore new examples on a developer's machine; in CI they run
# the same examples every time, so a red build always means a changed program.
hypothesis.settings.register_profile("ci", derandomize=True)
if IN_CI:
    hypothesis.settings.load_profile("ci")


def _fail_skip(report):
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which allows no skips: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_skip(outcome.get_result())


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_count_memo():
    """Each test's database starts again: no list is known to be over its cap,
    and each statement is prepared anew (under a new name), so what a test
    sends does not depend on which tests ran before it on the connection."""
    from manyi.core import queries
    from manyi.customers import selectors

    selectors._OVER_CAP.clear()
    queries._PREPARED.clear()


@pytest.fixture(autouse=True)
def _import_files(settings, tmp_path):
    """Uploaded import files and complaint attachments go to the test's own folder."""
    settings.MANYI_IMPORT_DIR = tmp_path / "imports"
    settings.MANYI_ATTACHMENT_DIR = tmp_path / "attachments"


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


@pytest.fixture
def products(admin):
    """A small catalogue (the analytics and order tests' shop)."""
    make = analytics_services.product_create
    return {
        "purifier": make(by=admin, sku="WP-1", name="家用净水器", unit_price="2999", category="家用电器"),
        "filter": make(by=admin, sku="WPF-1", name="净水器滤芯", unit_price="239.50", category="耗材配件"),
        "care": make(by=admin, sku="CARE-1", name="年度保养服务", unit_price="399", category="服务"),
        "lock": make(by=admin, sku="LK-1", name="智能门锁", unit_price="1599", category="家用电器"),
    }
