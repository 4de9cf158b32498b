"""Products, orders and customer value: what customers buy, and the figures
the analytics refresh stores from it (RFM, lifetime value, churn risk,
proposed grades, win-back list)."""

from dataclasses import asdict

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from manyi.analytics import selectors, services
from manyi.analytics.models import Order
from manyi.api.analytics_schemas import (
    GradesAppliedOut,
    OrderIn,
    OrderListItem,
    OrderOut,
    OrderQuery,
    OrderStatusIn,
    OverviewOut,
    ProductIn,
    ProductOut,
    ProductQuery,
    RefreshOut,
    ValueOut,
    WinbackItem,
)
from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import ErrorOut, PathId
from manyi.core.errors import NotFound
from manyi.customers.selectors import customer_get

router = Router()


# --- products -----------------------------------------------------------------


@router.get("/products", response={200: Page[ProductOut], **ERRORS}, tags=["products"])
def product_list(request: HttpRequest, paging: Query[PageParams], filters: Query[ProductQuery]) -> dict:
    return paginate(selectors.product_list(user=request.auth, active_only=filters.active), paging)


@router.post("/products", response={201: ProductOut, **WRITE_ERRORS}, tags=["products"])
def product_create(request: HttpRequest, payload: ProductIn) -> Status:
    """Managers and administrators."""
    return Status(201, services.product_create(by=request.auth, **payload.model_dump()))


# --- orders -------------------------------------------------------------------


@router.get("/orders", response={200: Page[OrderListItem], **ERRORS}, tags=["orders"])
def order_list(request: HttpRequest, paging: Query[PageParams], filters: Query[OrderQuery]) -> dict:
    """Orders of the customers you see, newest first."""
    customer = customer_get(user=request.auth, pk=filters.customer) if filters.customer else None
    orders = selectors.order_list(user=request.auth, customer=customer).select_related("created_by")
    if filters.since:
        orders = orders.filter(ordered_on__gte=filters.since)
    if filters.until:
        orders = orders.filter(ordered_on__lte=filters.until)
    return paginate(orders, paging)


@router.post("/orders", response={201: OrderOut, **WRITE_ERRORS}, tags=["orders"])
def order_create(request: HttpRequest, payload: OrderIn) -> Status:
    """Sales reps, managers and administrators, on a customer they see. Line
    amounts and the order's amount are computed from quantity × unit price.
    A field error in a line is named `lines.<n>.<field>`, lines counted from 1."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    order = services.order_create(by=request.auth, customer=customer, data=payload.model_dump(exclude={"customer"}))
    return Status(201, order)


@router.get("/orders/{order_id}", response={200: OrderOut, **ERRORS}, tags=["orders"])
def order_get(request: HttpRequest, order_id: PathId) -> Order:
    return selectors.order_get(user=request.auth, pk=order_id)


@router.patch("/orders/{order_id}/status", response={200: OrderOut, **WRITE_ERRORS}, tags=["orders"])
def order_set_status(request: HttpRequest, order_id: PathId, payload: OrderStatusIn) -> Order:
    """Complete, cancel or return an order."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    return services.order_set_status(by=request.auth, order=order, status=payload.status)


# --- customer value -------------------------------------------------------------


@router.get("/customers/{customer_id}/value", response={200: ValueOut, **ERRORS}, tags=["analytics"])
def customer_value(request: HttpRequest, customer_id: PathId) -> dict:
    """The figures the last analytics refresh stored for this customer.

    A customer no refresh has included yet (none has run, or the customer is
    newer than the last one) answers 404 with code `not_computed`, apart from
    `not_found` (a customer you may not see): run `manyi analytics refresh`,
    or POST /analytics/refresh, and ask again."""
    customer = customer_get(user=request.auth, pk=customer_id)
    figures = selectors.customer_figures(user=request.auth, customer=customer)
    if figures is None:
        raise NotFound(_("No figures for this customer yet: run `manyi analytics refresh` and ask again."), code="not_computed")
    return ValueOut.render(customer, figures)


# --- analytics ------------------------------------------------------------------


@router.get("/analytics/overview", response={200: OverviewOut, **ERRORS}, tags=["analytics"])
def analytics_overview(request: HttpRequest) -> dict:
    """Totals and charts over the stored figures of the customers you see."""
    run = selectors.last_run()
    return {**asdict(selectors.overview(user=request.auth)), "as_of": run.as_of if run else None}


@router.get("/analytics/winback", response={200: Page[WinbackItem], **ERRORS}, tags=["analytics"])
def winback_list(request: HttpRequest, paging: Query[PageParams]) -> dict:
    """Valuable customers slipping away (churn risk at least 0.5), the most value at risk first."""
    return paginate(selectors.winback_list(user=request.auth), paging)


@router.post("/analytics/refresh", response={202: RefreshOut, 409: ErrorOut, **ERRORS}, tags=["analytics"])
def analytics_refresh(request: HttpRequest) -> Status:
    """Managers and administrators: queue a refresh of every customer's figures
    (a background task). 409 while a refresh is running."""
    result = services.analytics_refresh_enqueue(by=request.auth, trigger="api")
    return Status(202, {"task_id": str(result.id), "status": result.status})


@router.post("/analytics/grades/apply", response={200: GradesAppliedOut, **WRITE_ERRORS}, tags=["analytics"])
def grades_apply(request: HttpRequest) -> dict:
    """Managers (their team's customers) and administrators: give every customer
    the grade and importance the last refresh proposed, except those graded by hand."""
    return {"changed": services.grades_apply(by=request.auth)}
