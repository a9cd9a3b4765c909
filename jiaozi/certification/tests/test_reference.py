"""The authority-code table (a data file, unique in the database), the Anhui 2024
second-half batch, and the portal's list of announced batches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from jiaozi.certification.models import AuthorityCode, CertificationBatch
from jiaozi.certification.reference import ANHUI_CODES, AuthorityCodeError, read_codes
from jiaozi.certification.selectors import portal_batches
from jiaozi.certification.windows import SHANGHAI
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import LUYANG, bureau

pytestmark = pytest.mark.django_db


def test_every_anhui_bureau_has_one_code_from_the_file() -> None:
    rows = read_codes(ANHUI_CODES)
    assert (
        len(rows) == Institution.objects.filter(kind="bureau", division__code__startswith="34").count() == 121
    )
    assert AuthorityCode.objects.count() == 121
    assert AuthorityCode.objects.get(authority__code="340000").code == "001"
    assert len({r.code for r in rows}) == 121


def test_the_database_refuses_a_repeated_code() -> None:
    taken = AuthorityCode.objects.get(authority=bureau(LUYANG)).code
    other = bureau("340102")
    AuthorityCode.objects.filter(authority=other).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorityCode.objects.create(authority=other, code=taken)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "division_code,authority_name,authority_code\n340100,a,001\n340200,b,001\n",
            "line 3: code 001 repeats line 2",
        ),
        (
            "division_code,authority_name,authority_code\n340100,a,001\n340100,b,002\n",
            "line 3: division 340100",
        ),
        ("division_code,authority_name,authority_code\n340100,a,01\n", "line 2: authority code '01'"),
        ("division_code,name\n340100,a\n", "missing columns"),
    ],
)
def test_a_bad_code_file_is_refused_naming_the_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(AuthorityCodeError, match=message):
        read_codes(path)


def test_the_anhui_2024_second_half_batch_follows_the_notice() -> None:
    batch = CertificationBatch.objects.get(province_code="340000", year=2024)
    assert batch.announced_on == dt.date(2024, 9, 13)
    assert batch.apply_opens_at == dt.datetime(2024, 9, 14, tzinfo=SHANGHAI)
    assert batch.apply_closes_at == dt.datetime(2024, 9, 25, 17, tzinfo=SHANGHAI)
    assert batch.completes_on == dt.date(2024, 12, 20)


def test_the_portal_lists_a_batch_from_its_announcement_date() -> None:
    assert portal_batches(today=dt.date(2024, 9, 12)) == []
    [item] = portal_batches(today=dt.date(2024, 9, 13))
    assert item.name == "安徽省2024年下半年中小学教师资格认定"
    assert item.link == "/me/certification/"
    assert "9月14日至9月25日17时" in item.announcement
