import pytest

from manyi.accounts.models import Team
from manyi.accounts.services import team_get_or_create
from manyi.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_team_is_created_once():
    team, created = team_get_or_create(name=" 华北三组 ")
    again, created_again = team_get_or_create(name="华北三组")
    assert created and not created_again and team == again and team.name == "华北三组"


@pytest.mark.parametrize("name", ["", "   ", "组" * 101])
def test_bad_team_names_are_refused(name):
    with pytest.raises(ValidationFailed) as exc:
        team_get_or_create(name=name)
    assert "team" in exc.value.fields
    assert not Team.objects.exists()
