"""``python manage.py create_service_token USERNAME NAME [--expires-days N]``

Creates an API token for the staff account USERNAME (a service account filed like any
staff member, so it acts inside its institution's jurisdiction and role) and prints the
token once. Only its hash is kept: a lost token is revoked and replaced, never shown
again. Audited as SERVICE_TOKEN_CREATED with no actor (the operator's shell)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiaozi.accounts.models import User
from jiaozi.accounts.tokens import service_token_create
from jiaozi.core import clock
from jiaozi.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for a staff (service) account and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="What the token is for, e.g. 'HR system sync'.")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=365,
            help="Days until the token expires (default 365; 0 = never).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError("No such user.") from None
        days = options["expires_days"]
        if days < 0:
            raise CommandError("--expires-days must be 0 or more.")
        expires_at = clock.now() + dt.timedelta(days=days) if days else None
        try:
            token, plaintext = service_token_create(
                actor=None, user=user, name=options["name"], expires_at=expires_at
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(
            f"Token {token.prefix}… for {user.username}"
            + (f", expires {expires_at:%Y-%m-%d %H:%M %Z}" if expires_at else ", never expires")
            + ". It is shown once; store it in the integration's secret store."
        )
        # The token alone on stdout, so scripts can capture it.
        self.stdout.write(plaintext)
