"""The readable and the machine-readable forms of a differential profile.

``report`` is a table of the functions whose share changed most, with the
totals of both captures; ``to_json`` carries the same data (its schema is
documented in the README, section "flamekit diff").  Both are deterministic:
rows are sorted by impact, then name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..diff import DiffProfile, FunctionDelta, Offender, printable

#: how many rows the text report shows unless told
DEFAULT_TOP = 20

JSON_FORMAT = "flamekit-diff"
JSON_VERSION = 1


def _side_label(sources: Sequence[str], fallback: str) -> str:
    return ", ".join(sources) if sources else fallback


def _fmt_rel(rel: float | None, after_pct: float) -> str:
    if rel is None:
        return "new" if after_pct else ""
    if rel == -1.0:
        return "gone"
    pct = 100.0 * rel
    return "~0%" if abs(pct) < 0.5 else f"{pct:+.0f}%"


def _count(n: int | float) -> str:
    return f"{n:,.0f}" if isinstance(n, float) else f"{n:,}"


def report(
    diff: DiffProfile,
    deltas: Sequence[FunctionDelta],
    top: int | None = None,
    offenders: Sequence[Offender] = (),
    measure: str = "total",
) -> str:
    """A text table: totals of both captures, then the ``top`` functions by impact."""
    top = DEFAULT_TOP if top is None else top
    b, a = diff.before, diff.after
    unit = a.unit if a.unit == b.unit else f"{b.unit} / {a.unit}"
    tb, ta = b.total, a.total
    lines = [
        f"BEFORE  {_count(tb):>14} {b.unit:<8} {len(b.stacks):>8,} stacks  {_side_label(b.sources, 'before')}",
        f"AFTER   {_count(ta):>14} {a.unit:<8} {len(a.stacks):>8,} stacks  {_side_label(a.sources, 'after')}",
    ]
    if tb and a.unit == b.unit:
        lines.append(f"change  {100.0 * (ta - tb) / tb:+.1f}% in total {unit}")
    elif a.unit != b.unit:
        lines.append(f"note    the captures weigh stacks differently ({unit}); only shares compare")
    if diff.scale != 1:
        lines.append(f"BEFORE normalized to AFTER's total (x{float(diff.scale):.6g}); shares are unaffected")
    lines.append("")
    if not deltas:
        lines.append("no function's share changed")
    else:
        lines.append("shares are % of each capture's total; deltas in percentage points; "
                     "'total' is inclusive, 'self' is as leaf")
        head = (f"{'total Δ':>9} {'self Δ':>9}  {'total before':>12} {'after':>8} {'rel':>6}  "
                f"{'self before':>11} {'after':>8} {'rel':>6}  function")
        lines.append(head)
        for d in deltas[:top] if top > 0 else deltas:
            lines.append(
                f"{d.total_delta:>+9.2f} {d.self_delta:>+9.2f}  "
                f"{d.total_before_pct:>11.2f}% {d.total_after_pct:>7.2f}% {_fmt_rel(d.total_relative, d.total_after_pct):>6}  "
                f"{d.self_before_pct:>10.2f}% {d.self_after_pct:>7.2f}% {_fmt_rel(d.self_relative, d.self_after_pct):>6}  "
                f"{printable(d.name)}"
            )
        hidden = len(deltas) - top if top > 0 else 0
        if hidden > 0:
            lines.append(f"... {hidden} more function{'s' if hidden != 1 else ''} changed (--top N shows more)")
    if offenders:
        lines.append("")
        lines.append(f"FAILED: {len(offenders)} function{'s' if len(offenders) != 1 else ''} grew past the limit:")
        lines.extend("  " + o.message() for o in offenders)
    return "\n".join(lines) + "\n"


def _r(x: float | None) -> float | None:
    """Rounded for stable, readable JSON (4 decimals of a percentage point)."""
    return None if x is None else round(x, 4) + 0.0


def _function_json(d: FunctionDelta) -> dict[str, Any]:
    return {
        "name": d.name,
        "total": {"before": d.total_before, "after": d.total_after,
                  "before_pct": _r(d.total_before_pct), "after_pct": _r(d.total_after_pct),
                  "delta_pts": _r(d.total_delta), "relative": _r(d.total_relative)},
        "self": {"before": d.self_before, "after": d.self_after,
                 "before_pct": _r(d.self_before_pct), "after_pct": _r(d.self_after_pct),
                 "delta_pts": _r(d.self_delta), "relative": _r(d.self_relative)},
    }


def to_json(
    diff: DiffProfile,
    deltas: Sequence[FunctionDelta],
    top: int | None = None,
    offenders: Sequence[Offender] = (),
    gate_checked: bool = False,
    measure: str = "total",
) -> bytes:
    """The report as JSON (all changed functions unless ``top`` is given)."""
    rows = list(deltas if top is None or top <= 0 else deltas[:top])

    def side(p: Any) -> dict[str, Any]:
        return {"sources": list(p.sources), "unit": p.unit, "event": p.event,
                "total": p.total, "stacks": len(p.stacks)}

    doc = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "before": side(diff.before),
        "after": side(diff.after),
        "normalize_scale": None if diff.scale == 1 else _r(float(diff.scale)),
        "functions_changed": len(deltas),
        "functions": [_function_json(d) for d in rows],
        "gate": {
            "checked": gate_checked,
            "measure": measure,
            "passed": not offenders,
            "offenders": [
                {"name": o.delta.name, "grew_pts": _r(o.grew), "limit_pts": o.rule.limit,
                 "rule": None if o.rule.pattern is None else o.rule.pattern.pattern}
                for o in offenders
            ],
        },
    }
    text = json.dumps(doc, indent=2, ensure_ascii=True)
    return text.encode("ascii") + b"\n"
