"""Re-import updates files in place: comments, order and the user's own defaults survive."""

from __future__ import annotations

import io

from lexsync.config.writer import dump, escaped, merge_into, yaml_writer
from lexsync.engine.import_keys import slug, unique
from lexsync.engine.importer import YAML_DEFAULTS, YAML_KEPT
from lexsync.resources.delivery_method import schedule_yaml

USER_FILE = """\
# Our biggest buyer: talk to Sam before changing caps.
clients:
  acme:
    username: acme   # portal login
    status: Active
    delivery_accounts:
      main:
        method: post
        price: 25
        caps: {day: 100, week: 400}   # week is ours: LeadExec cannot show it
        use_order: false
        criteria:
          - {field: State, op: In, value: [CA]}
"""


def load(text: str):
    return yaml_writer().load(io.StringIO(text))


def test_only_changed_values_change() -> None:
    doc = load(USER_FILE)
    live = {"username": "acme", "status": "Active", "delivery_accounts": {"main": {
        "method": "post", "price": 30, "caps": {"day": 100},
        "criteria": [{"field": "State", "op": "In", "value": ["CA"]}]}}}
    merge_into(doc["clients"]["acme"], live, YAML_DEFAULTS, YAML_KEPT)
    out = dump(yaml_writer(), doc)
    assert out == USER_FILE.replace("price: 25", "price: 30")


def test_removed_live_values_go_and_new_ones_arrive() -> None:
    doc = load(USER_FILE)
    live = {"username": "acme", "status": "Suspended", "notes": "paused",
            "delivery_accounts": {"main": {"method": "post", "price": 25, "caps": {"day": 100}}}}
    merge_into(doc["clients"]["acme"], live, YAML_DEFAULTS, YAML_KEPT)
    out = dump(yaml_writer(), doc)
    assert "criteria" not in out and "status: Suspended" in out and "notes: paused" in out
    assert "# portal login" in out and "week: 400" in out


def test_names_and_escapes() -> None:
    assert slug("Juniper & Co.", "x") == "juniper-co"
    assert slug("!!!", "client-7") == "client-7"
    taken = {"acme"}
    assert unique("acme", taken) == "acme-2" and unique("acme", taken) == "acme-3"
    assert escaped({"notes": "cost ${5}"}) == {"notes": "cost $${5}"}


def test_schedule_windows_group_days_with_equal_hours() -> None:
    assert schedule_yaml(["mon 08:00-18:00", "tue 08:00-18:00", "wed 12:00-13:00 deny",
                          "wed 08:00-18:00"]) == [
        {"days": ["mon", "tue", "wed"], "from": "08:00", "to": "18:00"},
        {"days": ["wed"], "from": "12:00", "to": "13:00", "allow": False}]
