"""Which certificate may teach at which school stage (a higher general certificate
covers the lower stages; vocational schools take 中职 and 高中 certificates; special
education any). A school without a stage, or of a stage not listed, is not checked.

One table for the data audit (oversight) and the teacher import (a warning on the row,
docs/decisions/0254), kept here, below both layers."""

from __future__ import annotations

from jiaozi.orgs.models import Institution

from .models import QualificationType as Q_TYPE

STAGE_TYPES: dict[str, frozenset[str]] = {
    Institution.Stage.KINDERGARTEN: frozenset({Q_TYPE.KINDERGARTEN}),
    Institution.Stage.PRIMARY: frozenset({Q_TYPE.PRIMARY, Q_TYPE.JUNIOR, Q_TYPE.SENIOR, Q_TYPE.HIGHER}),
    Institution.Stage.JUNIOR: frozenset({Q_TYPE.JUNIOR, Q_TYPE.SENIOR, Q_TYPE.HIGHER}),
    Institution.Stage.SENIOR: frozenset({Q_TYPE.SENIOR, Q_TYPE.HIGHER}),
    Institution.Stage.COMPLETE_SECONDARY: frozenset({Q_TYPE.JUNIOR, Q_TYPE.SENIOR, Q_TYPE.HIGHER}),
    Institution.Stage.NINE_YEAR: frozenset({Q_TYPE.PRIMARY, Q_TYPE.JUNIOR, Q_TYPE.SENIOR, Q_TYPE.HIGHER}),
    Institution.Stage.VOCATIONAL: frozenset(
        {Q_TYPE.SENIOR, Q_TYPE.VOCATIONAL, Q_TYPE.VOCATIONAL_PRACTICE, Q_TYPE.HIGHER}
    ),
}


def type_fits_stage(qualification_type: str, stage: str) -> bool:
    """False only when the stage is checked and the certificate type is not among its
    types; an unknown or blank stage or type is not judged."""
    types = STAGE_TYPES.get(stage)
    return types is None or not qualification_type or qualification_type in types
