"""Pure functions of oversight: the stratified sample of a spot check (§5).

The draw is reproducible by construction: the population is sorted by id inside each
stratum, the allocation is exact arithmetic (largest remainder, ties by county code),
and each stratum draws with its own ``random.Random`` seeded by the text
``"<seed>:<county>"`` — Python seeds a ``str`` through SHA-512, so the sequence does not
depend on the process, the platform or ``PYTHONHASHSEED``
(docs/decisions/0240-spot-check-sampling.md)."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction


def sample_size(population: int, *, size: int | None = None, percent: Decimal | None = None) -> int:
    """How many rows to draw: ``size`` (at most the population), or ``percent`` of the
    population rounded up, so a non-empty population with a positive rate gives at
    least one row."""
    if size is not None:
        return max(0, min(size, population))
    if percent is None:
        raise ValueError("size or percent")
    wanted = Fraction(Decimal(percent)) * population / 100
    return min(population, math.ceil(wanted))


def allocate(strata: Mapping[str, int], total: int) -> dict[str, int]:
    """Proportional allocation of ``total`` over ``strata`` (key → population) by the
    largest remainder (Hamilton); remainders that tie go to the smaller key. Each
    stratum gets at most its population; the allocations sum to ``min(total, N)``."""
    population = sum(strata.values())
    total = min(total, population)
    if population == 0 or total == 0:
        return dict.fromkeys(strata, 0)
    quotas = {key: Fraction(total * n, population) for key, n in strata.items()}
    shares = {key: math.floor(q) for key, q in quotas.items()}
    left = total - sum(shares.values())
    order = sorted(strata, key=lambda key: (-(quotas[key] - shares[key]), key))
    for key in order[:left]:
        shares[key] += 1
    return shares


def stratum_draw(ids: Sequence[int], k: int, *, seed: str, stratum: str) -> list[int]:
    """``k`` of ``ids`` drawn with the stratum's own generator, returned sorted."""
    ordered = sorted(ids)
    rng = random.Random(f"{seed}:{stratum}")  # noqa: S311 - reproducible by design, not a secret
    return sorted(rng.sample(ordered, k))


def draw(population: Mapping[str, Sequence[int]], total: int, *, seed: str) -> dict[str, list[int]]:
    """The stratified sample: stratum → the ids drawn, in stratum order."""
    shares = allocate({key: len(ids) for key, ids in population.items()}, total)
    return {
        key: stratum_draw(population[key], shares[key], seed=seed, stratum=key) for key in sorted(population)
    }


def population_digest(ids: Iterable[int]) -> str:
    """SHA-256 of the sorted ids, one per line: the population a draw was made from."""
    digest = hashlib.sha256()
    for pk in sorted(ids):
        digest.update(f"{pk}\n".encode())
    return digest.hexdigest()
