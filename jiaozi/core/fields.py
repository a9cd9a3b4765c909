"""One model field type for personal data: encrypted at rest, with a blind index.

``EncryptedField(index="resident_id")`` stores ciphertext in its own column and adds a
companion ``<name>_bidx`` column holding the blind index, filled on every save and
bulk insert. Look values up with ``Model.objects.filter(**field_lookup(Model, "resident_id", v))``
or the shorthand ``EncryptedField.lookup``.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from . import crypto


class BlindIndexField(models.CharField):
    """Filled from its source field on save; never set by hand."""

    def __init__(self, *args: Any, source: str = "", context: str = "", **kwargs: Any) -> None:
        self.source = source
        self.context = context
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["context"] = self.context
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        plain = getattr(model_instance, self.source)
        value = crypto.blind_index(plain, context=self.context) if plain else None
        if value is None and not self.null:
            value = ""
        setattr(model_instance, self.attname, value)
        return value


class EncryptedField(models.TextField):
    """Personal data (resident ID, phone): plain in Python, ciphertext in the database.

    ``index`` names the blind-index context; with ``unique=True`` the blind index, not
    the ciphertext, carries the unique constraint."""

    def __init__(self, *args: Any, index: str = "", **kwargs: Any) -> None:
        self.index = index
        self.index_unique = kwargs.pop("unique", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["index"] = self.index
        if self.index_unique:
            kwargs["unique"] = True
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        # Historical models in migrations ("__fake__") get the companion from the
        # migration itself.
        if self.index and not cls._meta.abstract and cls.__module__ != "__fake__":
            companion = BlindIndexField(
                source=name,
                context=self.index,
                null=self.null,
                blank=True,
                db_index=not self.index_unique,
                unique=self.index_unique,
            )
            cls.add_to_class(f"{name}_bidx", companion)

    @property
    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), context=self.context)

    def lookup(self, value: str) -> dict[str, str]:
        """Filter kwargs that find rows whose value equals ``value``."""
        return {f"{self.name}_bidx": crypto.blind_index(value, context=self.index)}


def field_lookup(model: type[models.Model], field_name: str, value: str) -> dict[str, str]:
    field = model._meta.get_field(field_name)
    assert isinstance(field, EncryptedField)
    return field.lookup(value)


# ── Which columns are personal data ─────────────────────────────────────────────
# The one list: a concrete field of one of these names holds a person's data and must be
# an EncryptedField (checked by ``unencrypted_personal_fields`` and its test).
PERSONAL_FIELD_NAMES = frozenset(
    {
        "resident_id",
        "id_number",
        "id_card",
        "passport",
        "phone",
        "mobile",
        "contact",
        "address",
        "home_address",
    }
)
# Fields of those names that describe an organisation, not a person ("app_label.Model.field").
NOT_PERSONAL = frozenset({"orgs.Institution.address", "orgs.Institution.phone"})


def encrypted_fields() -> list[EncryptedField]:
    """Every EncryptedField of every installed (concrete, managed) model."""
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedField)
    ]


def unencrypted_personal_fields() -> list[str]:
    """``app_label.Model.field`` of each personal-data field stored in the clear."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            label = f"{model._meta.label}.{field.name}"
            personal = field.name in PERSONAL_FIELD_NAMES and label not in NOT_PERSONAL
            if personal and not isinstance(field, EncryptedField):
                found.append(label)
    return sorted(found)


class ClockDateTimeField(models.DateTimeField):
    """A ``DateTimeField`` whose "now" is ``core.clock``'s: ``auto_now`` / ``auto_now_add``
    stamp ``clock.now()``, and a ``default`` of ``timezone.now`` gives ``clock.now()``. So
    a creation time shown next to a workflow date follows the same (demo) date.

    Migrations see the plain ``DateTimeField`` with the same arguments: the stamp is
    taken in Python, the column is the same (docs/decisions/0261)."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            from . import clock

            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def get_default(self) -> Any:
        from django.utils import timezone

        if self.default is timezone.now:
            from . import clock

            return clock.now()
        return super().get_default()

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
