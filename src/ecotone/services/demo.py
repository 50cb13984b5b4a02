"""Build the demo atlas: the seed articles' ecosystem with illustrative members around it, and its demo accounts."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from ..data.demo import BRIDGE, demo_batch
from ..store import Atlas
from ..store.accounts import Accounts
from ..store.merge import MergeReport, merge
from .accounts import add_user

__all__ = ["build_demo", "demo_users", "DEMO_USERS"]

#: The demo's accounts: e-mail, name, role, hubs, organisation.
DEMO_USERS = [
    ("admin@demo.ecotone.example", "Demo Admin", "admin", [], None),
    ("manager@barcelonahealthhub.example", "Barcelona hub manager", "manager", ["Barcelona Health Hub"], None),
    ("facilitator@medicalinnovation.example", "Polish–Spanish facilitator", "editor",
     ["Medical Innovation Institute"], "Medical Innovation Institute"),
    ("viewer@tmc.example", "Texas Medical Center viewer", "viewer", ["Texas Medical Center"], None),
]


def build_demo(atlas: Atlas, *, seed: int = 7, progress: Callable[[str, int, int], None] | None = None) -> MergeReport:
    """Merge the demo atlas into ``atlas`` (running it again changes nothing), and let the two hubs of the
    Polish–Spanish bridge share their network records with each other.

    Examples
    --------
    >>> with Atlas.open("sqlite://") as atlas:
    ...     report = build_demo(atlas)
    ...     build_demo(atlas).changed
    False
    """
    report = merge(atlas, demo_batch(seed), progress=progress, note="ecotone demo")
    accounts = Accounts(atlas)
    a, b = (atlas.hub_id(name) for name in BRIDGE)
    accounts.share(a, b)
    accounts.share(b, a)
    return report


def demo_users(atlas: Atlas) -> list[dict[str, str]]:
    """Create the demo's accounts (an admin, Barcelona's manager, the Polish facilitator, a Texas viewer) with
    fresh random passwords, returned once; accounts that exist already are left as they are.

    Examples
    --------
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     made = demo_users(atlas)
    ...     [(u["email"], u["role"], len(u["password"]) > 10) for u in made][:2], demo_users(atlas)[0]["password"]
    ([('admin@demo.ecotone.example', 'admin', True), ('manager@barcelonahealthhub.example', 'manager', True)], '(exists)')
    """
    out = []
    for email, name, role, hubs, organization in DEMO_USERS:
        if Accounts(atlas).user(email) is not None:
            out.append({"email": email, "role": role, "hubs": ", ".join(hubs), "password": "(exists)"})
            continue
        password = secrets.token_urlsafe(12)
        add_user(atlas, email, name=name, role=role, password=password, hubs=hubs, organization=organization)
        out.append({"email": email, "role": role, "hubs": ", ".join(hubs), "password": password})
    return out
