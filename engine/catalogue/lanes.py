"""What a lane of a route may be called: the role code, or a Chinese name of a body that holds the role.

The role codes and their display names are engine.people.accounts' role table; the names here are the
bodies a designer writes on a lane (several bodies hold one role: a township's work is done by the
乡镇人民政府 or, in a city, the 街道办事处). Deploy turns a lane's name into its role
(engine.catalogue.deployment), so the spec and the inbox only ever see role codes.
"""
from __future__ import annotations

import unicodedata

# Role → the Chinese names a lane doing its work may carry (each role's display name among them). Department
# roles join here.
LANE_NAMES: dict[str, tuple[str, ...]] = {
    "village": ("村（居）委会", "村（居）民委员会", "村委会", "居委会", "社区居委会"),
    "township": ("乡镇人民政府", "街道办事处", "镇人民政府", "乡人民政府", "乡镇（街道）"),
    "review_panel": ("评审小组",),
    "county": ("县（区）民政局", "县民政局", "区民政局"),
    "district_center": ("区社会救助中心",),
    "disability_federation": ("县（区）残联", "县残联", "区残联", "残联"),
}


def _folded(name: str) -> str:
    # 村(居)委会 typed with ASCII brackets, or with a stray space, names the same body as 村（居）委会.
    return "".join(unicodedata.normalize("NFKC", name).split())


_LANE_ROLES = {_folded(name): role for role, names in LANE_NAMES.items() for name in (role, *names)}


def lane_role(name: str | None) -> str | None:
    """The role a lane named ``name`` stands for (by role code or Chinese name), or None if it names none."""
    return _LANE_ROLES.get(_folded(name or ""))
