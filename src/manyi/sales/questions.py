"""The questions helper (探问技巧, domain §5): open, probing and closed
questions, what each is for and examples a rep can adapt before a visit. A
pure lookup of translatable text."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class QuestionType:
    key: str
    label: Promise
    purpose: Promise
    examples: tuple[Promise, ...]


QUESTION_TYPES: tuple[QuestionType, ...] = (
    QuestionType(
        key="open",
        label=_("Open questions (what, how, why)"),
        purpose=_("Draw out the customer's views, needs and feelings; let them talk."),
        examples=(
            _("What matters most to you when you choose a supplier?"),
            _("How do you handle this today, and what would you like to be different?"),
            _("Why did you decide to look at this now?"),
        ),
    ),
    QuestionType(
        key="probing",
        label=_("Probing questions (how many, how long, who, where, when)"),
        purpose=_("Narrow down to facts: quantities, timing, budget and who decides."),
        examples=(
            _("How many units would you need in the first year?"),
            _("Who else takes part in the decision, and when do they meet?"),
            _("By when must it be delivered, and where?"),
        ),
    ),
    QuestionType(
        key="closed",
        label=_("Closed questions (yes / no)"),
        purpose=_("Get a commitment, bring the customer to the point, narrow the range and set priorities."),
        examples=(
            _("If we deliver by the 15th, can we sign this week?"),
            _("Is price the only thing still in the way?"),
            _("Shall I book the trial for Tuesday morning?"),
        ),
    ),
)
