"""Bearer tokens: issued for a username and password, sent as
`Authorization: Bearer <token>` on every other route."""

from django.http import HttpRequest
from ninja import Router
from ninja.security import HttpBearer

from manyi.accounts.models import User
from manyi.accounts.selectors import user_for_token
from manyi.accounts.services import api_token_issue
from manyi.api.schemas import ErrorOut, TokenIn, TokenOut

router = Router(tags=["auth"])


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return user_for_token(token=token)


@router.post("/token", auth=None, response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut})
def token_issue(request: HttpRequest, payload: TokenIn) -> dict:
    token, record = api_token_issue(username=payload.username, password=payload.password)
    return {"token": token, "expires_at": record.expires_at}
