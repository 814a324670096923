"""A view's methods, found per client without a scan of every method (resources/live.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.resources.live import LiveView

uids = st.integers(min_value=1, max_value=8)
clients = st.integers(min_value=1, max_value=3)
changes = st.lists(st.one_of(
    st.tuples(st.just("set"), uids, clients),
    st.tuples(st.just("pop"), uids, clients),
    st.tuples(st.just("del"), uids, clients),
    st.tuples(st.just("update"), uids, clients),
    st.tuples(st.just("setdefault"), uids, clients),
    st.tuples(st.just("popitem"), uids, clients),
    st.tuples(st.just("replace"), uids, clients),
), max_size=30)


def scanned(view: LiveView, client: int) -> list[dict]:
    return [m for m in view.methods.values() if int(m.get("ClientUID", 0)) == client]


@settings(max_examples=200, deadline=None)
@given(changes=changes)
def test_each_clients_methods_are_those_a_scan_finds_whatever_changed(changes: list) -> None:
    view = LiveView(methods={9: {"ClientUID": "2", "ClientDeliveryUID": 9}})
    for what, uid, client in changes:
        details = {"ClientUID": str(client), "ClientDeliveryUID": uid}
        if what == "set":
            view.methods[uid] = details
        elif what == "pop":
            view.methods.pop(uid, None)
        elif what == "del" and uid in view.methods:
            del view.methods[uid]
        elif what == "update":
            view.methods.update({uid: details})
        elif what == "setdefault":
            view.methods.setdefault(uid, details)
        elif what == "popitem" and view.methods:
            view.methods.popitem()
        elif what == "replace":
            view.methods = {uid: details}
        for c in (1, 2, 3):
            assert view.methods_of(c) == scanned(view, c)


def test_a_method_set_again_for_its_client_keeps_its_place() -> None:
    view = LiveView()
    for uid in (1, 2, 3):
        view.methods[uid] = {"ClientUID": 7, "n": 0}
    view.methods[1] = {"ClientUID": 7, "n": 1}
    assert [m["n"] for m in view.methods_of(7)] == [1, 0, 0] == [m["n"] for m in scanned(view, 7)]
