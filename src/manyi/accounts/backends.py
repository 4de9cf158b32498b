from django.contrib.auth.backends import ModelBackend

from manyi.accounts.models import User


class TeamAwareBackend(ModelBackend):
    """Django's model backend, loading the user's team in the same query:
    every page and every access check reads it."""

    def get_user(self, user_id):
        user = User._default_manager.select_related("team").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
