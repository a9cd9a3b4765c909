"""``manage.py load_check`` — after ``make load``: nothing lost, nothing doubled
(docs/decisions/0276). On the applications ``seed_load`` made (its JSON):

1. every application the load test saw submitted is out of draft, and no certificate has
   two live applications in the campaign;
2. no transition lost or applied twice: each seeded application (version 1, no steps
   when seeded) has exactly ``version − 1`` steps, each with a distinct version;
3. every step has its audit row (the row whose details name the step);
4. ``audit_verify`` passes: every hash chain intact.

Exit status 1 with the first problems named when any check fails."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.registration.models import Application, ApplicationStep
from jiaozi.registration.workflow import Status


class Command(BaseCommand):
    help = "Check the load test's invariants (nothing lost or doubled, audit rows, audit_verify)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", default="var/cluster/load-accounts.json")
        parser.add_argument("--submitted", default="", help="JSON lines with the ids the run saw submitted")

    def handle(self, *args: Any, **options: Any) -> None:
        data = json.loads(Path(options["accounts"]).read_text(encoding="utf-8"))
        seeded = [d["application"] for d in data["drafts"]] + list(data["pending"])
        submitted: set[int] = set()
        if options["submitted"] and Path(options["submitted"]).is_file():
            for line in Path(options["submitted"]).read_text(encoding="utf-8").splitlines():
                submitted.update(json.loads(line).get("submitted", []))
        problems: list[str] = []

        rows = dict(Application.objects.filter(pk__in=seeded).values_list("pk", "status"))
        missing = [pk for pk in submitted if pk not in rows]
        still_draft = [pk for pk in submitted if rows.get(pk) == Status.DRAFT]
        if missing:
            problems.append(f"{len(missing)} submitted applications missing, e.g. {missing[:5]}")
        if still_draft:
            problems.append(
                f"{len(still_draft)} applications answered 'submitted' but are drafts: {still_draft[:5]}"
            )
        doubled = (
            Application.objects.exclude(status=Status.WITHDRAWN)
            .values("campaign_id", "certificate_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        if doubled.exists():
            problems.append(f"{doubled.count()} certificates with two live applications")

        versions = dict(Application.objects.filter(pk__in=seeded).values_list("pk", "version"))
        steps: dict[int, list[tuple[int, int]]] = {}
        for step_id, application_id in ApplicationStep.objects.filter(application_id__in=seeded).values_list(
            "pk", "application_id"
        ):
            steps.setdefault(application_id, []).append((step_id, application_id))
        wrong = [pk for pk, version in versions.items() if version - 1 != len(steps.get(pk, []))]
        if wrong:
            problems.append(
                f"{len(wrong)} applications whose version and steps disagree (a transition lost or "
                f"doubled), e.g. {[(pk, versions[pk], len(steps.get(pk, []))) for pk in wrong[:5]]}"
            )
        step_ids = {step_id for items in steps.values() for step_id, _a in items}
        audited: Counter[int] = Counter()
        # The transition's own row per step (a decision also files the form's snapshot,
        # audited under its own kind and naming the same step).
        for details in (
            AuditEvent.objects.filter(
                object_type="registration.application", object_id__in=[str(pk) for pk in seeded]
            )
            .exclude(kind=AuditKind.REGISTRATION_FORM_SNAPSHOT_TAKEN)
            .values_list("details", flat=True)
        ):
            step = (details or {}).get("step")
            if step is not None:
                audited[int(step)] += 1
        unaudited = [s for s in step_ids if audited[s] == 0]
        twice = [s for s in step_ids if audited[s] > 1]
        if unaudited:
            problems.append(f"{len(unaudited)} steps without their audit row, e.g. {unaudited[:5]}")
        if twice:
            problems.append(f"{len(twice)} steps with more than one audit row, e.g. {twice[:5]}")

        moved = sum(1 for pk in seeded if versions.get(pk, 1) > 1)
        self.stdout.write(
            f"load_check: {len(seeded)} seeded applications, {len(submitted)} submitted in the run, "
            f"{moved} moved, {len(step_ids)} steps, all audited: {not unaudited and not twice}"
        )
        try:
            call_command("audit_verify", stdout=self.stdout)
        except CommandError as exc:
            problems.append(f"audit_verify: {exc}")
        if problems:
            for problem in problems:
                self.stderr.write(f"LOST/DOUBLED: {problem}")
            raise CommandError(f"load_check failed: {len(problems)} problems")
        self.stdout.write(
            self.style.SUCCESS("load_check: nothing lost, nothing doubled, audit chains intact")
        )
