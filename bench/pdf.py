"""Benchmark: stamped registration-form PDFs (PRODUCT.md §10: ≥ 50 per second per core).

Renders N distinct forms in one process (one core): each with its own name, numbers,
opinions and verification token, so every QR code and text run is new work — the way
a completion batch renders them. Reports forms per second against the target.

    python bench/pdf.py [N]          # standalone, default N = 500
    python bench/run.py pdf          # through the registry (ctx.options["forms"])
"""

from __future__ import annotations

import os
import platform
import random
import secrets
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TITLE = "Stamped registration form PDFs (registration.completion.form)"
TARGET_PER_SECOND = 50.0
DEFAULT_FORMS = 500
# Rendering touches no database: one backend is enough.
BACKENDS = ("sqlite",)
WARM_UP = 20

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘欧阳"
GIVEN = "明华建国志强文军平丽芳敏静玉兰秀英伟磊洋勇艳杰娟涛超鹏晨宇浩然欣怡子涵梓轩"
SCHOOLS = (
    "合肥市第一中学",
    "合肥市庐阳区第六中学",
    "合肥市瑶海区大通路小学",
    "芜湖市第一中学",
    "合肥市第四十五中学",
)
OPINIONS = (
    "该同志师德表现良好，近五年年度考核均为合格以上，培训学时达标，同意申请定期注册。",
    "符合定期注册条件，同意。",
    "经审核，材料齐全，符合《中小学教师资格定期注册暂行办法》规定的条件。",
    "同意，予以注册。",
)


def forms(count: int, seed: int = 20240901) -> list[Any]:
    """``count`` distinct, valid forms (deterministic but for the random tokens)."""
    from jiaozi.registration.completion.form import ReviewOpinion
    from jiaozi.registration.completion.samples import SAMPLE

    rng = random.Random(seed)
    result = []
    for index in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        conclusion = rng.choices(("qualified", "deferred", "unqualified"), weights=(92, 7, 1))[0]
        qualified = conclusion == "qualified"
        opinion = rng.choice(OPINIONS)
        assert SAMPLE.county_opinion is not None
        result.append(
            replace(
                SAMPLE,
                form_number=f"ZC-2024-340103-{index:06d}",
                applicant_name=name,
                sex=rng.choice(("male", "female")),
                certificate_number=f"2012340104{rng.randrange(1, 3)}{index:06d}",
                school=rng.choice(SCHOOLS),
                subject=rng.choice(("语文", "数学", "英语", "物理", "化学", "历史", "体育与健康")),
                conclusion=conclusion,
                valid_from=SAMPLE.valid_from if qualified else None,
                valid_to=SAMPLE.valid_to if qualified else None,
                county_opinion=ReviewOpinion(
                    opinion, SAMPLE.county_opinion.institution, SAMPLE.county_opinion.date
                ),
                verification_url=f"https://jiaozi.example.gov.cn/verify/{secrets.token_urlsafe(32)}/",
            )
        )
    return result


def measure(count: int = DEFAULT_FORMS) -> dict[str, Any]:
    from reportlab import __version__ as reportlab_version
    from reportlab.lib import rl_accel

    from jiaozi.registration.completion.form import render_registration_form

    batch = forms(count + WARM_UP)
    for data in batch[:WARM_UP]:  # font registration, caches, imports
        render_registration_form(data)
    timings = []
    size = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for data in batch[WARM_UP:]:
        t0 = time.perf_counter()
        size += len(render_registration_form(data))
        timings.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    timings.sort()
    return {
        "forms": count,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        # Per core = per CPU-second of this single-threaded process: on a shared
        # machine the wall clock also counts time spent waiting for a core.
        "per_second": count / cpu_seconds,
        "per_wall_second": count / seconds,
        "ms_median": statistics.median(timings) * 1000,
        "ms_p95": timings[int(len(timings) * 0.95) - 1] * 1000,
        "kb_mean": size / count / 1024,
        "reportlab": reportlab_version,
        "c_accelerator": bool(rl_accel._c_funcs),
        "python": platform.python_version(),
        "load_average": " / ".join(f"{value:.1f}" for value in os.getloadavg()),
    }


def run(ctx: Any = None) -> dict[str, Any]:
    """Called by bench/run.py (``ctx.options["forms"]`` sets N); prints and returns
    the figures."""
    options = getattr(ctx, "options", None) or {}
    count = int(options.get("forms") or DEFAULT_FORMS)
    figures = measure(count)
    rate = figures["per_second"]
    wall_rate = figures["per_wall_second"]
    metrics: list[dict[str, Any]] = [
        {
            "what": "forms rendered",
            "value": f"{count:,} in {figures['cpu_seconds']:.2f} s CPU, {figures['seconds']:.2f} s wall (one process)",
        },
        {
            "what": "throughput (wall clock)",
            "value": f"{wall_rate:,.1f} PDFs/s, one process",
            "target": f"≥ {TARGET_PER_SECOND:.0f} PDFs/s per core",
            "ok": wall_rate >= TARGET_PER_SECOND,
        },
        {
            "what": "throughput (CPU time)",
            "value": f"{rate:,.1f} PDFs per CPU-second",
            "target": f"≥ {TARGET_PER_SECOND:.0f} PDFs/s per core",
            "ok": rate >= TARGET_PER_SECOND,
        },
        {
            "what": "time per form",
            "value": f"median {figures['ms_median']:.1f} ms, p95 {figures['ms_p95']:.1f} ms (wall)",
        },
        {"what": "size", "value": f"{figures['kb_mean']:.1f} KB per form"},
    ]
    notes = [
        f"reportlab {figures['reportlab']}, C accelerator (rl_accel) "
        + ("present" if figures["c_accelerator"] else "absent: pure-Python number formatting"),
        "each form: its own name, numbers, opinion and token (new QR code); seal and fonts cached",
        "per core: the CPU-time figure is what one core does; the wall-clock one also counts waiting for a core"
        f" (load average {figures['load_average']} on {os.cpu_count()} cores during the run)",
    ]
    for metric in metrics:
        target = (
            f"  (target {metric['target']}: {'ok' if metric['ok'] else 'MISSED'})"
            if "target" in metric
            else ""
        )
        print(f"{metric['what']:>24}: {metric['value']}{target}")
    for note in notes:
        print(f"{'note':>24}: {note}")
    result = {"title": TITLE, "figures": figures, "metrics": metrics, "notes": notes}
    return result


if __name__ == "__main__":
    run(type("Ctx", (), {"options": {"forms": sys.argv[1] if len(sys.argv) > 1 else None}})())
