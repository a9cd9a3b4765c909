"""Routing by management authority (教师管理权限, §2).

A school's registration application goes: the school → the institution that reviews it
(its ``parent``: normally the county bureau, for 省直/市直/non-education schools its
主管部门) → the city bureau above that reviewer → the province bureau.

One data-driven rule: after the reviewer come the city- and province-level *bureaus
among the reviewer's ancestors in the institution tree*, nearest first. The tree
already says everything the rule needs — a 省直管县's bureau hangs directly under the
province bureau, so its schools (and departments placed in it) have no city bureau
above them; a province-level reviewer has only the province above it; a county-level
department sits under its county bureau, which sits under the city bureau. Walking the
same tree that jurisdiction (``scope_q``) walks guarantees that every institution in a
chain can see the school. See docs/decisions/0021-review-chain-from-the-tree.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from jiaozi.core.errors import ValidationFailed

from .models import Institution, Level

REVIEWER_KINDS = frozenset({Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT})
_CHAIN_LEVELS = (Level.CITY, Level.PROVINCE)


def _ancestor_codes(institution: Institution) -> list[str]:
    """Codes above ``institution`` in the tree, root first."""
    return institution.path.strip("/").split("/")[:-1]


def _reviewer_of(school: Institution) -> Institution:
    if school.kind != Institution.Kind.SCHOOL:
        raise ValueError(f"{school.code} is not a school.")
    reviewer = school.parent
    if reviewer is None or reviewer.kind not in REVIEWER_KINDS:
        raise ValidationFailed(
            _("该学校未设置审核机构（教育行政部门或主管部门）。"), code="no_reviewing_institution"
        )
    return reviewer


def _chain(school: Institution, reviewer: Institution, bureaus: dict[str, Institution]) -> list[Institution]:
    chain = [school, reviewer]
    for code in reversed(_ancestor_codes(reviewer)):  # nearest first
        bureau = bureaus.get(code)
        if bureau is not None:
            chain.append(bureau)
    return chain


def _chain_bureaus(codes: Iterable[str]) -> dict[str, Institution]:
    return {
        b.code: b
        for b in Institution.objects.filter(
            code__in=set(codes), kind=Institution.Kind.BUREAU, level__in=_CHAIN_LEVELS
        )
    }


def review_chain(school: Institution) -> list[Institution]:
    """``[school, reviewing institution, city bureau?, province bureau]``.

    The city bureau is absent when the reviewer is province-level, is a city bureau
    itself (it does not recheck its own review), or lies in a 省直管县. Two queries at
    most (the school's parent, when not already loaded, and the bureaus above it)."""
    reviewer = _reviewer_of(school)
    return _chain(school, reviewer, _chain_bureaus(_ancestor_codes(reviewer)))


def review_chains(schools: Iterable[Institution]) -> dict[int, list[Institution]]:
    """``review_chain`` for many schools at once (load them with
    ``select_related("parent")``): one query for all the bureaus."""
    reviewers = {school.pk: (school, _reviewer_of(school)) for school in schools}
    codes = {code for _, reviewer in reviewers.values() for code in _ancestor_codes(reviewer)}
    bureaus = _chain_bureaus(codes)
    return {pk: _chain(school, reviewer, bureaus) for pk, (school, reviewer) in reviewers.items()}


def registration_authority_of(school: Institution) -> Institution:
    """注册机构: the institution that reviews the school's applications and decides the
    conclusion (``review_chain(school)[1]``)."""
    return _reviewer_of(school)
