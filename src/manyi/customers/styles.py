"""How to deal with each social style and temperament (domain §2).

A pure lookup: every SocialStyle and Temperament value maps to a short
description and a few concrete tips, all translatable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi.customers.models import SocialStyle, Temperament


@dataclass(frozen=True)
class Advice:
    label: Promise
    summary: Promise
    tips: tuple[Promise, ...]


SOCIAL_STYLES: dict[str, Advice] = {
    SocialStyle.DRIVER: Advice(
        label=SocialStyle.DRIVER.label,
        summary=_("A “street fighter”: time-conscious, all business, decides fast on facts."),
        tips=(
            _("Be on time and keep it brief; agree the agenda up front."),
            _("Lead with facts, results and the bottom line, not small talk."),
            _("Offer two or three clear options and let them choose."),
            _("Do not waste their time with detail they did not ask for."),
        ),
    ),
    SocialStyle.EXPRESSIVE: Advice(
        label=SocialStyle.EXPRESSIVE.label,
        summary=_("“Over-enthusiastic”: friendly and open, decides on impulse and may regret it later."),
        tips=(
            _("Be warm and personal; leave room to chat and share ideas."),
            _("Paint the vision and tell stories of people who succeeded with us."),
            _("Confirm every agreement in writing straight after the talk."),
            _("Follow up soon after the purchase so second thoughts do not turn into regret."),
        ),
    ),
    SocialStyle.AMIABLE: Advice(
        label=SocialStyle.AMIABLE.label,
        summary=_("The “happy mediator”: wants everyone happy, dislikes pressure and change, bad at saying no."),
        tips=(
            _("Never push; give them time and reassurance."),
            _("Build the relationship first and show you care about their people."),
            _("Make it easy to say no, so a yes is a real yes."),
            _("Stress safety, guarantees and a smooth change-over."),
        ),
    ),
    SocialStyle.ANALYTICAL: Advice(
        label=SocialStyle.ANALYTICAL.label,
        summary=_("The “professional realist”: precise, wants every detail, decides slowly and never emotionally."),
        tips=(
            _("Bring data, specifications and written evidence."),
            _("Be exact: correct figures, no exaggeration."),
            _("Give them time to decide and do not rush the close."),
            _("Answer questions in writing and keep a clear record."),
        ),
    ),
}

TEMPERAMENTS: dict[str, Advice] = {
    Temperament.FIRM: Advice(
        label=Temperament.FIRM.label,
        summary=_("Serious and strong-willed; respects competence and straight talk."),
        tips=(
            _("Be well prepared and speak with confidence."),
            _("Keep your promises exactly; they will remember."),
            _("Respect their decisions and do not argue over small points."),
        ),
    ),
    Temperament.NEUROTIC: Advice(
        label=Temperament.NEUROTIC.label,
        summary=_("Over-sensitive; easily hurt and quick to read slights into words."),
        tips=(
            _("Choose your words carefully and stay calm and patient."),
            _("Acknowledge their feelings before moving to the facts."),
            _("Avoid jokes or remarks that could be taken personally."),
            _("Keep them informed so uncertainty does not grow into worry."),
        ),
    ),
    Temperament.INTROVERTED: Advice(
        label=Temperament.INTROVERTED.label,
        summary=_("Reserved; thinks before speaking and dislikes being put on the spot."),
        tips=(
            _("Ask open questions and leave pauses for them to answer."),
            _("Prefer quiet one-to-one meetings to large groups."),
            _("Send material in advance so they can prepare."),
        ),
    ),
    Temperament.EASYGOING: Advice(
        label=Temperament.EASYGOING.label,
        summary=_("Easy-going and agreeable; pleasant to deal with but may commit too lightly."),
        tips=(
            _("Be friendly and relaxed, but stay professional."),
            _("Check that they really understood what they agreed to."),
            _("Put commitments in writing to avoid misunderstandings later."),
        ),
    ),
    Temperament.VAIN: Advice(
        label=Temperament.VAIN.label,
        summary=_("Likes to be admired and to show status."),
        tips=(
            _("Give sincere recognition of their achievements and taste."),
            _("Never contradict or embarrass them in front of others."),
            _("Present premium options and what they say about the buyer."),
        ),
    ),
    Temperament.COMBATIVE: Advice(
        label=Temperament.COMBATIVE.label,
        summary=_("Likes to argue and to win; may test you with provocation."),
        tips=(
            _("Stay calm and never argue back."),
            _("Let them speak out, then answer with facts."),
            _("Concede small points to win agreement on what matters."),
            _("Keep a written record of what was agreed."),
        ),
    ),
    Temperament.STUBBORN: Advice(
        label=Temperament.STUBBORN.label,
        summary=_("Holds on to an opinion once formed; hard to persuade head-on."),
        tips=(
            _("Do not attack their view; start from what you agree on."),
            _("Let them reach the conclusion themselves with evidence and examples."),
            _("Be patient and give them time to change their mind."),
        ),
    ),
    Temperament.SUSPICIOUS: Advice(
        label=Temperament.SUSPICIOUS.label,
        summary=_("Distrustful; doubts claims and looks for the catch."),
        tips=(
            _("Back every claim with proof: references, data, trial offers."),
            _("Be transparent about prices, terms and limits."),
            _("Never over-promise; deliver a little more than you said."),
            _("Be consistent: say the same thing every time."),
        ),
    ),
    Temperament.SILENT: Advice(
        label=Temperament.SILENT.label,
        summary=_("Says little; their silence does not mean agreement."),
        tips=(
            _("Ask simple questions that are easy to answer."),
            _("Watch body language and tone for hidden objections."),
            _("Summarise and ask for explicit confirmation."),
        ),
    ),
}


def social_style_advice(value: str) -> Advice | None:
    return SOCIAL_STYLES.get(value)


def temperament_advice(value: str) -> Advice | None:
    return TEMPERAMENTS.get(value)
