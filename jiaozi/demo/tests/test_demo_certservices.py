"""The demo's certificate services: a correction waiting in 庐阳区's queue, a reissue
done with its remark on the new paper, a share link that opens, and an open
authenticity check — each made by the personas through the services."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from jiaozi.certservices.models import AuthenticityCheck, ServiceRequest, ShareLink
from jiaozi.certservices.workflow import CheckStatus, RequestKind, RequestStatus
from jiaozi.core import clock
from jiaozi.demo.certservices import REISSUE_REMARK, SHARED_AT, certservices_seed

pytestmark = pytest.mark.django_db


def test_the_demo_has_certificate_services_to_walk(
    media_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("seed_demo", teachers=60, no_applications=True)
    out = capsys.readouterr().out
    requests = {r.kind: r for r in ServiceRequest.objects.select_related("applicant", "authority")}
    correction, reissue = requests[RequestKind.CORRECTION], requests[RequestKind.REISSUE]
    assert (correction.status, correction.applicant.username) == (RequestStatus.SUBMITTED, "rd_applicant01")
    assert correction.authority.code == "340103"
    assert (reissue.status, reissue.decision_note) == (RequestStatus.APPROVED, REISSUE_REMARK)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=reissue.paper.read(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "补发" in re.sub(r"\s+", "", text)
    check = AuthenticityCheck.objects.get()
    assert check.status == CheckStatus.OPEN
    assert check.authority is not None
    assert check.authority.code == "340103"
    link = ShareLink.objects.get()
    url = next(line.split("：", 1)[1] for line in out.splitlines() if "证书分享链接" in line)
    path = "/" + url.split("/", 3)[3]
    assert link.hint in url
    with clock.travel(SHARED_AT):  # the demo's date; by now the 30 days are over
        assert Client().get(path).status_code == 200
    assert certservices_seed() == {}
