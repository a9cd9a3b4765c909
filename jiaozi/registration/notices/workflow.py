"""The states of a notice and of an objection, as tables the workflow engine runs
(``jiaozi.workflow``): nothing else assigns ``Notice.state`` or ``Objection.state``.

A notice is open from publication until the periodic job closes it after its end; an
objection is open until the registration reviewer upholds or dismisses it. Both are
moved by the engine's compare-and-set on the state (they carry no version): the loser
of a race changes nothing."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.workflow.table import Transition, TransitionTable

from ..models import Notice, Objection
from ..workflow import ActingLevel


class NoticeAction(models.TextChoices):
    CLOSE = "close", _("公示结束")


class ObjectionAction(models.TextChoices):
    UPHOLD = "uphold", _("异议成立")
    DISMISS = "dismiss", _("异议不成立")


NOTICE_TABLE = TransitionTable(
    transitions=(Transition(Notice.State.OPEN, NoticeAction.CLOSE, Notice.State.CLOSED, ActingLevel.SYSTEM),),
    levels=(ActingLevel.SYSTEM,),
    actions=tuple(NoticeAction.values),
    windows={ActingLevel.SYSTEM: "system"},
    anonymous=frozenset({ActingLevel.SYSTEM}),
)

OBJECTION_TABLE = TransitionTable(
    transitions=(
        Transition(
            Objection.State.OPEN,
            ObjectionAction.UPHOLD,
            Objection.State.UPHELD,
            ActingLevel.REGISTRATION,
            True,
        ),
        Transition(
            Objection.State.OPEN,
            ObjectionAction.DISMISS,
            Objection.State.DISMISSED,
            ActingLevel.REGISTRATION,
            True,
        ),
    ),
    levels=(ActingLevel.REGISTRATION,),
    actions=tuple(ObjectionAction.values),
    windows={ActingLevel.REGISTRATION: "review"},
)
