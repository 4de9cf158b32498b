from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from manyi.api import (
    analytics,
    auth,
    campaigns,
    care,
    complaints,
    contacts,
    customers,
    deals,
    emotion,
    errors,
    exports,
    interactions,
    loyalty,
    quotes,
    satisfaction,
    visits,
)


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as itself (UTF-8), not as \\u escapes: readable in logs and
    half the bytes on the wire."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8JSONRenderer(),
    title="Manyi API",
    version="1",
    description="满意 CRM: customers, contacts, interactions, the emotion engine, orders and products, customer value analytics, complaints, sales work (deals, quotes, visit plans), and keeping customers (follow-up tasks and the today agenda, satisfaction surveys, the loyalty programme, consent and campaigns). Get a token from POST /api/v1/auth/token.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=auth.BearerToken(),
)
errors.install(api)
api.add_router("/v1/auth", auth.router)
api.add_router("/v1/customers", exports.router)
api.add_router("/v1/customers", customers.router)
api.add_router("/v1", contacts.router)
api.add_router("/v1/interactions", interactions.router)
api.add_router("/v1/emotion", emotion.router)
api.add_router("/v1", analytics.router)
api.add_router("/v1/complaints", complaints.router)
api.add_router("/v1/sales", deals.router)
api.add_router("/v1/sales/quotes", quotes.router)
api.add_router("/v1/sales/visits", visits.router)
api.add_router("/v1/care", care.router)
api.add_router("/v1/satisfaction", satisfaction.router)
api.add_router("/v1/loyalty", loyalty.router)
api.add_router("/v1/campaigns", campaigns.router)
