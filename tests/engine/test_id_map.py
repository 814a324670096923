"""Context.ids keeps a reverse index so address_of does not scan every resource."""

from __future__ import annotations

from lexsync.resources.base import Context, IdMap
from lexsync.resources.catalog import Catalog


def _ctx() -> Context:
    return Context(catalog=Catalog(), dialect="rest", hash_secret=str)


def test_assigning_a_plain_dict_keeps_the_index() -> None:
    ctx = _ctx()
    ctx.ids = {"client_group.gold": 7, "client.acme": 7}
    assert isinstance(ctx.ids, IdMap)
    assert ctx.address_of("client_group.", 7) == "client_group.gold"
    assert ctx.address_of("client.", 7) == "client.acme"
    assert ctx.address_of("client.", 8) is None


def test_index_follows_changes_and_removals() -> None:
    ctx = _ctx()
    ctx.ids["client.a.delivery_method.m"] = 2001
    ctx.ids["client.a.delivery_method.m"] = 2002
    assert ctx.address_of("client.a.delivery_method.", 2001) is None
    assert ctx.address_of("client.a.delivery_method.", 2002) == "client.a.delivery_method.m"
    ctx.ids.setdefault("client.a.delivery_method.m", 5)
    assert ctx.ids["client.a.delivery_method.m"] == 2002
    ctx.ids.pop("client.a.delivery_method.m")
    assert ctx.address_of("client.a.delivery_method.", 2002) is None
    ctx.ids.update({"client.b": 1001})
    del ctx.ids["client.b"]
    assert ctx.address_of("client.", 1001) is None
