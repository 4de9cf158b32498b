import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.accounts.backends import TeamAwareBackend

pytestmark = pytest.mark.django_db


def test_session_user_comes_with_team_in_one_query(rep):
    with CaptureQueriesContext(connection) as ctx:
        user = TeamAwareBackend().get_user(rep.pk)
        assert user.team.name == "华东一组"
    assert len(ctx.captured_queries) == 1


def test_inactive_user_is_not_loaded(rep):
    rep.is_active = False
    rep.save()
    assert TeamAwareBackend().get_user(rep.pk) is None
