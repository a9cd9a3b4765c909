"""The opinion a level records when its reviewer writes none (§5: "a default opinion is
recorded at decision time, not invented at print time"). The decision forms show it,
prefilled, before the reviewer confirms; the workflow records it on the step when the
opinion is left empty (a batch, the API). It is the filed record's text, so it is
Chinese whatever the reviewer's UI language."""

from __future__ import annotations

from jiaozi.certificates.models import Conclusion

from .workflow import Action

_CONCLUSION_TEXT = {
    Conclusion.QUALIFIED: "注册合格",
    Conclusion.DEFERRED: "暂缓注册",
    Conclusion.UNQUALIFIED: "注册不合格",
}

DEFAULT_OPINIONS: dict[str, str] = {
    Action.SCHOOL_APPROVE: "情况属实，同意上报。",
    Action.CITY_APPROVE: "经复核，同意。",
    Action.PROVINCE_APPROVE: "同意，予以备案。",
}

CONCLUDING_DEFAULT = "经审核，{conclusion}。"


def default_opinion(action: str, conclusion: str = "") -> str:
    """The default opinion of ``action`` (with the conclusion it records), or ""."""
    if action in (Action.CONCLUDE, Action.UPHOLD_OBJECTION):
        text = _CONCLUSION_TEXT.get(conclusion)  # type: ignore[call-overload]
        return CONCLUDING_DEFAULT.format(conclusion=text) if text else ""
    return DEFAULT_OPINIONS.get(action, "")
