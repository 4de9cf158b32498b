"""What a customer rates in an expectation-vs-perception survey (domain §6):
for individual customers the product (quality, function, design, ease of
use), the service (atmosphere, staff attitude) and the company image (social
contribution, environment); for business clients the four dimensions
(professional, value for money, the AE's personal qualities, dedication)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.customers.models import Kind


class Driver(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    PRODUCT_FUNCTION = "product_function", _("Product function")
    PRODUCT_DESIGN = "product_design", _("Product design")
    EASE_OF_USE = "ease_of_use", _("Ease of use")
    ATMOSPHERE = "atmosphere", _("Service atmosphere")
    STAFF_ATTITUDE = "staff_attitude", _("Staff attitude")
    SOCIAL_CONTRIBUTION = "social_contribution", _("Social contribution")
    ENVIRONMENT = "environment", _("Care for the environment")
    PROFESSIONAL = "professional", _("Professional competence")
    VALUE = "value", _("Value for money")
    AE_QUALITIES = "ae_qualities", _("Your account executive's personal qualities")
    DEDICATION = "dedication", _("Dedication and responsibility")


class DriverGroup(models.TextChoices):
    PRODUCT = "product", _("The product")
    SERVICE = "service", _("The service")
    IMAGE = "image", _("The company")
    BUSINESS = "business", _("Working with us")


GROUP_OF = {
    Driver.PRODUCT_QUALITY: DriverGroup.PRODUCT,
    Driver.PRODUCT_FUNCTION: DriverGroup.PRODUCT,
    Driver.PRODUCT_DESIGN: DriverGroup.PRODUCT,
    Driver.EASE_OF_USE: DriverGroup.PRODUCT,
    Driver.ATMOSPHERE: DriverGroup.SERVICE,
    Driver.STAFF_ATTITUDE: DriverGroup.SERVICE,
    Driver.SOCIAL_CONTRIBUTION: DriverGroup.IMAGE,
    Driver.ENVIRONMENT: DriverGroup.IMAGE,
    Driver.PROFESSIONAL: DriverGroup.BUSINESS,
    Driver.VALUE: DriverGroup.BUSINESS,
    Driver.AE_QUALITIES: DriverGroup.BUSINESS,
    Driver.DEDICATION: DriverGroup.BUSINESS,
}

INDIVIDUAL_DRIVERS = (
    Driver.PRODUCT_QUALITY, Driver.PRODUCT_FUNCTION, Driver.PRODUCT_DESIGN, Driver.EASE_OF_USE,
    Driver.ATMOSPHERE, Driver.STAFF_ATTITUDE, Driver.SOCIAL_CONTRIBUTION, Driver.ENVIRONMENT,
)  # fmt: skip
ENTERPRISE_DRIVERS = (Driver.PROFESSIONAL, Driver.VALUE, Driver.AE_QUALITIES, Driver.DEDICATION)


def drivers_for(customer_kind: str) -> tuple[Driver, ...]:
    """The drivers a customer of this kind is asked about, in the survey's order."""
    return ENTERPRISE_DRIVERS if customer_kind == Kind.ENTERPRISE else INDIVIDUAL_DRIVERS
