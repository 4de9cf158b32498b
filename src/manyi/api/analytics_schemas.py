"""Request and response shapes of products, orders and customer value.

Money travels as a decimal string in and out, like everywhere in the API;
the stored analytics figures (lifetime value, value at risk, ...) are
estimates and travel as numbers."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from manyi.analytics.metrics.rfm import SEGMENTS
from manyi.analytics.models import (
    ChurnBasis,
    Order,
    OrderChannel,
    OrderStatus,
    Product,
    ProductCategory,
)
from manyi.analytics.selectors import order_lines
from manyi.analytics.services import MAX_LINES, MAX_QUANTITY
from manyi.api.schemas import (
    BodyId,
    InputSchema,
    IsoDate,
    Money,
    RecordId,
    Ref,
    max_length,
)
from manyi.customers.models import Grade, Importance

Segment = Literal[SEGMENTS]

# --- products -----------------------------------------------------------------


class ProductQuery(InputSchema):
    active: bool = Field(False, description="Only products on sale.")


class ProductIn(InputSchema):
    sku: str = Field(min_length=1, max_length=max_length(Product, "sku"))
    name: str = Field(min_length=1, max_length=max_length(Product, "name"))
    unit_price: Money | None = Field(None, description="List price in CNY; 0 when left out.")
    category: str = Field("", max_length=max_length(ProductCategory, "name"), description="Category name; created when new.")


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str | None
    unit_price: Decimal = Field(description="List price in CNY.")
    active: bool = Field(description="On sale: only these can go on a new order.")
    created_at: datetime

    @staticmethod
    def resolve_category(obj: Product) -> str | None:
        return obj.category.name if obj.category_id else None


class ProductRef(Ref):
    sku: str


# --- orders -------------------------------------------------------------------


class OrderLineIn(InputSchema):
    product: BodyId = Field(description="Product id; the product must be on sale.")
    quantity: Decimal = Field(gt=0, le=MAX_QUANTITY, decimal_places=3, description="Up to three decimals.")
    unit_price: Money | None = Field(None, description="The product's list price when left out.")


def _line_field(loc: tuple) -> tuple:
    """("lines", 1, "quantity") -> ("lines.2.quantity",): lines are counted
    from 1, as the order service names them."""
    if len(loc) > 1 and loc[0] == "lines" and isinstance(loc[1], int):
        return (".".join(str(part) for part in ("lines", loc[1] + 1, *loc[2:])),)
    return loc


class OrderIn(InputSchema):
    customer: BodyId = Field(description="Customer id.")
    ordered_on: IsoDate | None = Field(None, description="Today when left out; not in the future.")
    channel: OrderChannel = OrderChannel.DIRECT
    status: OrderStatus = OrderStatus.CONFIRMED
    notes: str = Field("", max_length=max_length(Order, "notes"))
    number: str = Field("", max_length=max_length(Order, "number"), description="An ERP's own order number; generated when left out.")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)

    @model_validator(mode="wrap")
    @classmethod
    def _name_line_fields(cls, value, handler):
        """An error in a line names it as `lines.<n>.<field>`, not just `lines`."""
        try:
            return handler(value)
        except ValidationError as exc:
            details = [
                InitErrorDetails(type=PydanticCustomError(error["type"], error["msg"]), loc=_line_field(error["loc"]), input=error["input"])
                for error in exc.errors()
            ]
            raise ValidationError.from_exception_data(exc.title, details) from None


class OrderStatusIn(InputSchema):
    status: OrderStatus = Field(description="Cancelled and returned orders count in no figure.")


class OrderQuery(InputSchema):
    customer: RecordId = Field(None, description="Only this customer's orders.")
    since: IsoDate = Field(None, description="Ordered on or after this day.")
    until: IsoDate = Field(None, description="Ordered on or before this day.")


class OrderLineOut(Schema):
    id: int
    product: ProductRef
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class OrderListItem(Schema):
    id: int
    number: str
    customer: Ref
    ordered_on: date
    channel: OrderChannel
    status: OrderStatus
    amount: Decimal = Field(description="The sum of the lines, CNY.")
    notes: str
    created_by: Ref | None
    created_at: datetime
    updated_at: datetime


class OrderOut(OrderListItem):
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj: Order) -> list:
        return order_lines(obj)


# --- customer value -------------------------------------------------------------


class SuggestionOut(Schema):
    product: Ref
    because: Ref | None = Field(description="The product the customer bought that led to this one; null for a popular pick.")
    share: float = Field(description="Share of the buyers of `because` who also bought `product`.")


# What ValueOut shows of the stored CustomerValue row, as it is.
VALUE_FIGURES = (
    "computed_at", "orders", "first_order", "last_order", "total_spend", "revenue_year", "r", "f", "m", "segment", "segment_before",
    "p_alive", "churn_risk", "churn_basis", "expected_purchases", "expected_spend", "clv", "value_at_risk", "proposed_grade",
    "proposed_importance",
)  # fmt: skip


class ValueOut(Schema):
    """Figures stored by the last refresh; amounts in CNY."""

    customer_id: int
    as_of: date | None = Field(description="The day the last refresh computed figures for.")
    computed_at: datetime
    orders: int
    first_order: date | None
    last_order: date | None
    total_spend: float
    revenue_year: float = Field(description="Revenue of the last twelve months.")
    r: int = Field(ge=0, le=5, description="RFM recency score, 1-5 (0: no orders).")
    f: int = Field(ge=0, le=5)
    m: int = Field(ge=0, le=5)
    segment: Segment
    segment_before: Segment = Field(description="The segment at the end of the month before.")
    p_alive: float = Field(description="Probability the customer still buys (BG/NBD).")
    churn_risk: float
    churn_basis: ChurnBasis
    expected_purchases: float = Field(description="Purchases expected in the next twelve months.")
    expected_spend: float = Field(description="Expected spend per purchase (Gamma-Gamma).")
    clv: float = Field(description="Lifetime value over the next twelve months, discounted.")
    value_at_risk: float = Field(description="Churn risk × average yearly spend.")
    grade: Grade = Field(description="The customer's grade now.")
    importance: Importance
    grade_manual: bool = Field(description="Graded by hand: applying the proposed grades leaves this customer alone.")
    proposed_grade: Grade
    proposed_importance: Importance
    suggestions: list[SuggestionOut]

    @classmethod
    def render(cls, customer, figures) -> dict:
        """One customer (as customer_get read it) with their selectors.CustomerFigures."""
        return {
            **{name: getattr(figures.value, name) for name in VALUE_FIGURES},
            "customer_id": customer.pk,
            "as_of": figures.run.as_of if figures.run else None,
            "grade": customer.grade,
            "importance": customer.importance,
            "grade_manual": customer.grade_manual,
            "suggestions": figures.suggestions,
        }


# --- analytics ------------------------------------------------------------------


class DistributionRow(Schema):
    low: float
    high: float
    customers: int
    revenue: float


class SegmentRow(Schema):
    segment: Segment
    customers: int


class Migration(Schema):
    segments: list[Segment]
    counts: list[list[int]] = Field(description="counts[i][j]: customers who moved from segments[i] (end of last month) to segments[j].")


class CohortRow(Schema):
    month: str = Field(examples=["2026-01"])
    size: int
    retained: list[int] = Field(description="Customers of the cohort with an order k months after their first.")


class GradeRow(Schema):
    grade: Grade
    customers: int
    proposed: int


class OverviewOut(Schema):
    """Sums over the stored figures of the customers you see; amounts in CNY."""

    as_of: date | None = Field(description="The day the last refresh computed figures for; null before the first.")
    customers: int
    buyers: int
    revenue_year: float
    clv: float
    at_risk: int
    value_at_risk: float
    top_fifth_share: float | None = Field(description="Share of revenue brought by the top fifth of customers.")
    pareto: list[tuple[float, float]] = Field(description="(share of customers, share of revenue), from the top.")
    distribution: list[DistributionRow]
    segments: list[SegmentRow]
    migration: Migration
    cohorts: list[CohortRow]
    grades: list[GradeRow]


class WinbackItem(Schema):
    customer: Ref
    owner: Ref
    orders: int
    last_order: date | None
    segment: Segment
    churn_risk: float
    churn_basis: ChurnBasis
    value_at_risk: float
    clv: float
    revenue_year: float

    @staticmethod
    def resolve_owner(obj) -> object:
        return obj.customer.owner


class RefreshOut(Schema):
    task_id: str = Field(description="The queued background task.")
    status: str = Field(examples=["READY"])


class GradesAppliedOut(Schema):
    changed: int = Field(description="Customers whose grade or importance changed.")
