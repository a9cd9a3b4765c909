"""Campaign windows: open and closed at their edges (with the clock moved), and the
message naming the window and its dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from jiaozi.core import clock
from jiaozi.core.errors import WindowClosed
from jiaozi.registration.campaigns.windows import (
    format_window,
    window_check,
    window_errors,
    window_is_open,
    window_states,
)
from jiaozi.registration.models import Campaign, WindowAction
from jiaozi.registration.tests.factories import anhui_2024, at
from jiaozi.registration.tests.factories import campaign as make_campaign

pytestmark = pytest.mark.django_db


def test_the_data_migration_seeds_anhui_2024() -> None:
    campaign = anhui_2024()
    assert campaign.is_active
    assert campaign.registration_date == dt.date(2024, 12, 31)
    assert campaign.window(WindowAction.SYSTEM) == (at(2024, 9, 11), at(2024, 12, 27, 17))
    for action in (WindowAction.APPLY, WindowAction.SCHOOL_REVIEW, WindowAction.REVIEW, WindowAction.RECHECK):
        assert campaign.window(action) == (at(2024, 9, 13), at(2024, 12, 15, 17))
    assert campaign.window(WindowAction.FINAL_REVIEW)[1] == at(2024, 12, 27, 17)
    assert (campaign.training_hours_required, campaign.notice_days) == (360, 7)


@pytest.mark.parametrize(
    ("action", "moment", "is_open"),
    [
        ("apply", at(2024, 9, 12, 23, 59, 59), False),
        ("apply", at(2024, 9, 13), True),
        ("apply", at(2024, 12, 15, 16, 59, 59), True),
        ("apply", at(2024, 12, 15, 17), False),
        ("school_review", at(2024, 10, 1), True),
        ("review", at(2024, 12, 16), False),
        ("recheck", at(2024, 12, 15, 16, 0), True),
        ("final_review", at(2024, 12, 20), True),
        ("final_review", at(2024, 12, 27, 16, 59, 59), True),
        ("final_review", at(2024, 12, 27, 17), False),
        ("system", at(2024, 9, 11), True),
        ("system", at(2024, 9, 10, 23, 59, 59), False),
        ("system", at(2024, 12, 27, 17), False),
    ],
)
def test_window_edges(action: str, moment: dt.datetime, is_open: bool) -> None:
    campaign = anhui_2024()
    assert window_is_open(campaign=campaign, action=action, at=moment) is is_open
    with clock.travel(moment):
        assert window_is_open(campaign=campaign, action=action) is is_open
        if is_open:
            window_check(campaign=campaign, action=action)
        else:
            with pytest.raises(WindowClosed):
                window_check(campaign=campaign, action=action)


def test_closed_apply_window_names_the_window_and_its_dates() -> None:
    with clock.travel(at(2024, 12, 15, 17)), pytest.raises(WindowClosed) as caught:
        window_check(campaign=anhui_2024(), action="apply")
    assert caught.value.message == "本人申请时间为2024年9月13日至12月15日17时，当前不在办理时间内。"
    assert caught.value.code == "window_closed"
    assert caught.value.status == 409
    assert caught.value.details["window"] == "apply"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("school_review", "学校审查时间为2024年9月13日至12月15日17时，当前不在办理时间内。"),
        ("review", "县级审核时间为2024年9月13日至12月15日17时，当前不在办理时间内。"),
        ("recheck", "市级复核时间为2024年9月13日至12月15日17时，当前不在办理时间内。"),
        ("final_review", "省级终审时间为2024年9月13日至12月27日17时，当前不在办理时间内。"),
        ("system", "系统开放时间为2024年9月11日至12月27日17时，当前不在办理时间内。"),
    ],
)
def test_each_window_is_named(action: str, message: str) -> None:
    with pytest.raises(WindowClosed) as caught:
        window_check(campaign=anhui_2024(), action=action, at=at(2025, 1, 5))
    assert caught.value.message == message


def test_an_open_step_in_a_closed_system_window_names_the_system_window() -> None:
    campaign = make_campaign(is_active=False)
    # Data that bypassed the form: the step outlives the system window.
    Campaign.objects.filter(pk=campaign.pk).update(system_closes_at=at(campaign.year, 12, 1))
    campaign.refresh_from_db()
    campaign.is_active = True
    with pytest.raises(WindowClosed) as caught:
        window_check(campaign=campaign, action="apply", at=at(campaign.year, 12, 10))
    assert caught.value.details["window"] == "system"
    assert caught.value.message.startswith("系统开放时间为")


def test_an_inactive_or_missing_campaign_is_closed() -> None:
    campaign = make_campaign(is_active=False)
    moment = at(campaign.year, 10, 1)
    assert not window_is_open(campaign=campaign, action="apply", at=moment)
    with pytest.raises(WindowClosed, match="未启用"):
        window_check(campaign=campaign, action="apply", at=moment)
    assert not window_is_open(campaign=None, action="apply", at=moment)
    with pytest.raises(WindowClosed, match="没有进行中的定期注册工作"):
        window_check(campaign=None, action="apply", at=moment)


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="objection"):
        window_check(campaign=anhui_2024(), action="objection")


@pytest.mark.parametrize(
    ("opens", "closes", "text"),
    [
        (at(2024, 9, 13), at(2024, 12, 15, 17), "2024年9月13日至12月15日17时"),
        (at(2024, 9, 14), at(2024, 9, 25, 17), "2024年9月14日至9月25日17时"),
        (at(2024, 9, 13), at(2024, 12, 16), "2024年9月13日至12月15日"),
        (at(2024, 9, 13, 8, 30), at(2024, 12, 15, 17, 30), "2024年9月13日8时30分至12月15日17时30分"),
        (at(2024, 11, 1), at(2025, 1, 10, 12), "2024年11月1日至2025年1月10日12时"),
        # Stored in UTC, shown in Beijing time.
        (
            dt.datetime(2024, 9, 12, 16, tzinfo=dt.UTC),
            dt.datetime(2024, 12, 15, 9, tzinfo=dt.UTC),
            "2024年9月13日至12月15日17时",
        ),
    ],
)
def test_format_window(opens: dt.datetime, closes: dt.datetime, text: str) -> None:
    assert format_window(opens, closes) == text


def test_window_states_for_pages() -> None:
    states = window_states(campaign=anhui_2024(), at=at(2024, 12, 20))
    by_action = {state["action"]: state for state in states}
    assert [state["action"] for state in states] == [
        "system",
        "apply",
        "school_review",
        "review",
        "recheck",
        "final_review",
    ]
    assert by_action["apply"]["is_open"] is False
    assert by_action["final_review"]["is_open"] is True
    assert by_action["system"]["text"] == "2024年9月11日至12月27日17时"


def _bounds(campaign: Campaign) -> dict[str, dt.datetime]:
    return {
        f"{action}_{edge}_at": getattr(campaign, f"{action}_{edge}_at")
        for action in WindowAction.values
        for edge in ("opens", "closes")
    }


def test_window_errors_accepts_the_reference_campaign() -> None:
    assert window_errors(_bounds(anhui_2024())) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"apply_closes_at": at(2024, 9, 13)}, "apply_closes_at"),  # closes when it opens
        ({"apply_opens_at": at(2024, 9, 10)}, "apply_opens_at"),  # before the system opens
        ({"review_closes_at": at(2024, 12, 28)}, "review_closes_at"),  # after the system closes
        ({"school_review_opens_at": at(2024, 9, 12)}, "school_review_opens_at"),  # before apply opens
        ({"recheck_closes_at": at(2024, 12, 10)}, "recheck_closes_at"),  # before review closes
        ({"final_review_closes_at": at(2024, 12, 1)}, "final_review_closes_at"),  # before recheck closes
        ({"system_closes_at": at(2024, 9, 1)}, "system_closes_at"),
    ],
)
def test_window_errors_name_the_field(changes: dict[str, dt.datetime], field: str) -> None:
    bounds = _bounds(anhui_2024()) | changes
    fields = [f for f, _message in window_errors(bounds)]
    assert field in fields


def test_window_errors_skip_missing_values() -> None:
    bounds: dict[str, dt.datetime | None] = dict(_bounds(anhui_2024()))
    bounds["apply_opens_at"] = None
    assert window_errors(bounds) == []


def test_the_message_in_english() -> None:
    with translation.override("en"), pytest.raises(WindowClosed) as caught:
        window_check(campaign=anhui_2024(), action="apply", at=at(2024, 12, 16))
    # The wording may come from the project catalogue; the dates are this app's.
    message = caught.value.message
    assert "2024-09-13 to 12-15 17:00" in message
    assert not any("\u4e00" <= char <= "\u9fff" for char in message), message
