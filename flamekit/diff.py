"""Differential profiles: two Profiles aligned on the same stacks.

A :class:`DiffProfile` holds a BEFORE and an AFTER profile.  From it come the
two-column folded form (``stack BEFORE AFTER``, as ``difffolded.pl`` writes),
per-function changes of share (:func:`function_deltas`) and the CI gate
(:func:`check_gate`) that names every function whose share grew too much.

Shares are percentages of each side's own total, so they do not depend on
normalization; normalization only rescales BEFORE's absolute weights.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from .profile import Profile, Stack

#: what ``difffolded.pl -s`` replaces: every hex literal, so addresses do not split stacks
HEX = re.compile(r"0x[0-9a-fA-F]+")

MEASURES = ("total", "self")

#: control characters would break a line of a report or message: shown as escapes instead
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(32), 127]}


def printable(name: str) -> str:
    """``name`` for one line of text: control characters escaped (other bytes kept as they are)."""
    return name if name.isprintable() else name.translate(_CONTROL)


def strip_hex(profile: Profile) -> Profile:
    """``profile`` with every ``0x<hex>`` in frame names replaced by ``0x...`` (stacks that meet are summed)."""
    return profile.map_frames(lambda f: HEX.sub("0x...", f) if "0x" in f else f)


@dataclass
class DiffProfile:
    """A BEFORE and an AFTER profile, compared stack by stack.

    ``scale`` multiplies BEFORE's weights (exactly, as a fraction); it is 1
    unless :meth:`normalized` made BEFORE's total equal AFTER's.
    """

    before: Profile
    after: Profile
    scale: Fraction = field(default=Fraction(1))

    def stacks(self) -> list[Stack]:
        """Every stack present on either side (each once)."""
        seen = dict.fromkeys(self.before.stacks)
        seen.update(dict.fromkeys(self.after.stacks))
        return list(seen)

    # -- totals ---------------------------------------------------------------
    @property
    def before_total(self) -> Fraction:
        """BEFORE's total after scaling (exact)."""
        return self.before.total * self.scale

    @property
    def after_total(self) -> int:
        return self.after.total

    # -- transformations (each returns a new DiffProfile) ------------------------
    def normalized(self) -> DiffProfile:
        """BEFORE scaled to AFTER's total (``difffolded.pl -n``).

        An empty BEFORE cannot be scaled and is left as it is.
        """
        tb = self.before.total
        if tb == 0:
            return DiffProfile(self.before, self.after, self.scale)
        return DiffProfile(self.before, self.after, Fraction(self.after.total, tb))

    def strip_hex(self) -> DiffProfile:
        """Hex addresses in frame names replaced by ``0x...`` (``difffolded.pl -s``)."""
        return DiffProfile(strip_hex(self.before), strip_hex(self.after), self.scale)

    def swapped(self) -> DiffProfile:
        """AFTER as BEFORE and BEFORE as AFTER (every delta negated)."""
        scale = Fraction(1) if self.scale == 0 else 1 / self.scale
        return DiffProfile(self.after, self.before, scale)

    def materialized(self) -> DiffProfile:
        """The weights the folded form prints: BEFORE scaled and truncated, scale 1.

        Renderers that only read ``before``/``after`` see what ``difffolded.pl`` would write.
        """
        if self.scale == 1:
            return DiffProfile(self.before, self.after)
        before = self.before._like({s: self.before_weight_int(w) for s, w in self.before.stacks.items()})
        return DiffProfile(before, self.after)

    # -- rows -------------------------------------------------------------------
    def before_weight_int(self, weight: int) -> int:
        """A BEFORE weight scaled as ``difffolded.pl -n`` does: ``int(w * T2 / T1)``.

        Float division and truncation toward zero, like Perl, so the folded
        form matches byte for byte (exact for weights below 2**53).
        """
        if self.scale == 1:
            return weight
        return int(weight * self.scale.numerator / self.scale.denominator)

    def rows(self) -> list[tuple[Stack, int, int]]:
        """``(stack, before, after)`` for every stack, in the byte order of the folded form."""
        b, a = self.before.stacks, self.after.stacks
        out = [(s, self.before_weight_int(b.get(s, 0)), a.get(s, 0)) for s in self.stacks()]
        out.sort(key=lambda r: ";".join(r[0]).encode("utf-8", "surrogateescape"))
        return out


def _folded_key(stack: Stack) -> bytes:
    key = ";".join(stack)
    # frames rarely hold ';' or line breaks: check the joined text once, sanitize per frame only then
    if key.count(";") != len(stack) - 1 or "\n" in key or "\r" in key:
        from .folded import sanitize

        key = ";".join(map(sanitize, stack))
    return key.encode("utf-8", "surrogateescape")


def dumps_folded(d: DiffProfile) -> bytes:
    """The two-column folded form ``stack BEFORE AFTER`` (BEFORE scaled as difffolded.pl), lines in byte order.

    The same bytes as :func:`flamekit.folded.dumps_diff` of :meth:`DiffProfile.materialized`, faster.
    """
    b, a = d.before.stacks, d.after.stacks
    scaled = d.before_weight_int
    # tuple hashes are not cached: walk each side once rather than looking every stack up in both
    rows = [(_folded_key(s), scaled(w), a.get(s, 0)) for s, w in b.items()]
    rows.extend((_folded_key(s), 0, w) for s, w in a.items() if s not in b)
    rows.sort(key=lambda r: r[0])
    return b"".join([b"%s %d %d\n" % r for r in rows])


def diff(before: Profile, after: Profile, normalize: bool = False, strip_hex: bool = False) -> DiffProfile:
    """Align ``before`` and ``after``; ``strip_hex`` first, then ``normalize`` (as difffolded.pl)."""
    d = DiffProfile(before, after)
    if strip_hex:
        d = d.strip_hex()
    if normalize:
        d = d.normalized()
    return d


# -- per-function changes -----------------------------------------------------------

def _pct(weight: int, total: int) -> float:
    return 100.0 * weight / total if total else 0.0


def _relative(before_pct: float, after_pct: float) -> float | None:
    """Relative change of a share (0.5 = half as large again); None when it was 0."""
    if before_pct == 0.0:
        return None
    return after_pct / before_pct - 1.0


@dataclass(frozen=True)
class FunctionDelta:
    """How one function's share of its side's total changed.

    ``self`` is the weight of stacks where the function is the leaf; ``total``
    counts each stack containing it once (inclusive).  Percentages are of
    each side's own total; deltas are in percentage points.
    """

    name: str
    self_before: int
    self_after: int
    total_before: int
    total_after: int
    self_before_pct: float
    self_after_pct: float
    total_before_pct: float
    total_after_pct: float

    @property
    def self_delta(self) -> float:
        return self.self_after_pct - self.self_before_pct

    @property
    def total_delta(self) -> float:
        return self.total_after_pct - self.total_before_pct

    @property
    def self_relative(self) -> float | None:
        return _relative(self.self_before_pct, self.self_after_pct)

    @property
    def total_relative(self) -> float | None:
        return _relative(self.total_before_pct, self.total_after_pct)

    @property
    def impact(self) -> float:
        """The larger of the two changes, in points (what the report sorts by)."""
        return max(abs(self.self_delta), abs(self.total_delta))

    def delta(self, measure: str) -> float:
        return self.total_delta if measure == "total" else self.self_delta

    def shares(self, measure: str) -> tuple[float, float]:
        if measure == "total":
            return self.total_before_pct, self.total_after_pct
        return self.self_before_pct, self.self_after_pct

    @property
    def changed(self) -> bool:
        return self.self_delta != 0.0 or self.total_delta != 0.0


def _sort_key(d: FunctionDelta) -> tuple[float, float, float, bytes]:
    # biggest change first; on a tie what grew comes before what shrank
    return (-d.impact, -d.total_delta, -d.self_delta, d.name.encode("utf-8", "surrogateescape"))


def function_deltas(diff: DiffProfile, include_unchanged: bool = False) -> list[FunctionDelta]:
    """Every function's change of self and total share, largest impact first.

    Functions whose shares did not change at all are left out unless asked for.
    """
    tb, ta = diff.before.total, diff.after.total
    sb, sa = diff.before.self_weights(), diff.after.self_weights()
    cb, ca = diff.before.total_weights(), diff.after.total_weights()
    out = []
    for name in dict.fromkeys([*cb, *ca]):
        d = FunctionDelta(
            name,
            sb.get(name, 0), sa.get(name, 0), cb.get(name, 0), ca.get(name, 0),
            _pct(sb.get(name, 0), tb), _pct(sa.get(name, 0), ta),
            _pct(cb.get(name, 0), tb), _pct(ca.get(name, 0), ta),
        )
        if include_unchanged or d.changed:
            out.append(d)
    out.sort(key=_sort_key)
    return out


# -- the CI gate -------------------------------------------------------------------

@dataclass(frozen=True)
class GateRule:
    """Fail when a function matching ``pattern`` (every function if None) grew by more than ``limit`` points."""

    limit: float
    pattern: re.Pattern[str] | None = None

    @property
    def text(self) -> str:
        return "any function" if self.pattern is None else f"/{self.pattern.pattern}/"

    def applies(self, name: str) -> bool:
        return self.pattern is None or self.pattern.search(name) is not None


class GateSpecError(ValueError):
    """A malformed ``--fail-if-grown(-fn)`` value."""


def parse_limit(text: str) -> float:
    """A threshold in percentage points: a finite number >= 0 (a trailing ``%`` is allowed)."""
    t = text.strip().removesuffix("%")
    try:
        value = float(t)
    except ValueError:
        raise GateSpecError(f"{text!r} is not a number of percentage points") from None
    if not (value >= 0.0 and value != float("inf")):
        raise GateSpecError(f"{text!r} must be a finite number >= 0")
    return value


def parse_fn_rule(spec: str) -> GateRule:
    """``REGEX:PCT`` → a rule; split at the last ``:`` so C++ ``::`` stays in the regex."""
    pattern, sep, limit = spec.rpartition(":")
    if not sep or not pattern:
        raise GateSpecError(f"{spec!r}: expected REGEX:PCT")
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise GateSpecError(f"{spec!r}: bad regex: {e}") from None
    return GateRule(parse_limit(limit), rx)


@dataclass(frozen=True)
class Offender:
    """A function whose share grew by more than a rule allows."""

    delta: FunctionDelta
    rule: GateRule
    measure: str

    @property
    def grew(self) -> float:
        return self.delta.delta(self.measure)

    def message(self) -> str:
        before, after = self.delta.shares(self.measure)
        what = "inclusive" if self.measure == "total" else "self"
        return (f"{printable(self.delta.name)}: {what} share grew {self.grew:+.2f} points "
                f"({before:.2f}% -> {after:.2f}%), limit {self.rule.limit:g} for {self.rule.text}")


def check_gate(deltas: Iterable[FunctionDelta], rules: Iterable[GateRule], measure: str = "total") -> list[Offender]:
    """Every function that grew past a rule, in the order of ``deltas``.

    A function breaking several rules is named once, with the tightest rule.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}")
    rules = sorted(rules, key=lambda r: (r.limit, r.text))
    out = []
    for d in deltas:
        grew = d.delta(measure)
        for rule in rules:
            if grew > rule.limit and rule.applies(d.name):
                out.append(Offender(d, rule, measure))
                break
    return out
