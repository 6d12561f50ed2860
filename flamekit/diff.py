"""Differential profiles: two Profiles aligned on the same stacks."""

from __future__ import annotations

from dataclasses import dataclass

from .profile import Profile, Stack


@dataclass
class DiffProfile:
    """A BEFORE and an AFTER profile, compared stack by stack."""

    before: Profile
    after: Profile

    def stacks(self) -> list[Stack]:
        """Every stack present on either side (each once)."""
        seen = dict.fromkeys(self.before.stacks)
        seen.update(dict.fromkeys(self.after.stacks))
        return list(seen)
