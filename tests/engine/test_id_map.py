"""Context.ids keeps a reverse index so address_of does not scan every resource."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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


_ADDRESSES = st.sampled_from(["client.a", "client.b", "client_group.g", "client.a.delivery_method.m"])
_OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("set"), _ADDRESSES, st.integers(1, 4)),
    st.tuples(st.just("setdefault"), _ADDRESSES, st.integers(1, 4)),
    st.tuples(st.just("update"), _ADDRESSES, st.integers(1, 4)),
    st.tuples(st.just("pop"), _ADDRESSES, st.just(0)),
    st.tuples(st.just("del"), _ADDRESSES, st.just(0)),
    st.tuples(st.just("popitem"), st.just(""), st.just(0)),
    st.tuples(st.just("clear"), st.just(""), st.just(0)),
    st.tuples(st.just("ask"), st.just(""), st.integers(1, 4)),  # builds the reverse index
), max_size=30)


@given(start=st.dictionaries(_ADDRESSES, st.integers(1, 4)), operations=_OPERATIONS)
def test_the_reverse_index_is_right_whether_built_before_or_after_changes(
        start: dict[str, int], operations: list[tuple[str, str, int]]) -> None:
    ids, plain = IdMap(start), dict(start)
    for name, address, remote_id in operations:
        if name == "set":
            ids[address] = plain[address] = remote_id
        elif name == "setdefault":
            assert ids.setdefault(address, remote_id) == plain.setdefault(address, remote_id)
        elif name == "update":
            ids.update({address: remote_id})
            plain.update({address: remote_id})
        elif name == "pop":
            assert ids.pop(address, None) == plain.pop(address, None)
        elif name == "del" and address in plain:
            del ids[address], plain[address]
        elif name == "popitem" and plain:
            assert ids.popitem() == plain.popitem()
        elif name == "clear":
            ids.clear()
            plain.clear()
        elif name == "ask":
            assert sorted(ids.addresses_of(remote_id)) == sorted(a for a, r in plain.items() if r == remote_id)
    assert dict(ids) == plain
    for remote_id in range(1, 5):
        assert sorted(ids.addresses_of(remote_id)) == sorted(a for a, r in plain.items() if r == remote_id)
