"""Cross-reference and dialect checks that need no API: each problem is a located diagnostic."""

from __future__ import annotations

import math
from collections.abc import Iterator

from lexsync.config.models import Configuration, double_problem
from lexsync.config.positions import Locator
from lexsync.errors import Diagnostic


def check_configuration(model: Configuration, positions: Locator) -> list[Diagnostic]:
    """Every problem the models alone cannot see, in file order of the checks below."""
    checks = (_groups, _methods, _alternate_postings, _accounts, _usernames, _group_descriptions,
              _dialect, _lead_types, _schedules, _criteria)
    return [problem for check in checks for problem in check(model, positions)]


def _problem(summary: str, path: tuple, positions: Locator, detail: str | None = None,
             at_key: bool = False) -> Diagnostic:
    where = positions.locate_key(path) if at_key else positions.locate(path)
    return Diagnostic(summary, where, address=".".join(str(p) for p in path), detail=detail)


def _groups(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    for key, client in model.clients.items():
        if client.group is not None and client.group not in model.client_groups:
            known = ", ".join(model.client_groups) or "none are defined"
            yield _problem(f"client group '{client.group}' is not defined in client_groups "
                           f"(known: {known})", ("clients", key, "group"), positions)


def _methods(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    for key, client in model.clients.items():
        for name, account in client.delivery_accounts.items():
            if account.method not in client.delivery_methods:
                known = ", ".join(client.delivery_methods) or "it has none"
                yield _problem(f"delivery method '{account.method}' is not one of client "
                               f"'{key}''s delivery_methods ({known})",
                               ("clients", key, "delivery_accounts", name, "method"), positions)


def _alternate_postings(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    for key, client in model.clients.items():
        for name, account in client.delivery_accounts.items():
            target = account.alternate_posting
            if target is not None and target not in client.delivery_methods:
                known = ", ".join(client.delivery_methods) or "it has none"
                yield _problem(f"alternate_posting '{target}' is not one of client '{key}''s "
                               f"delivery_methods ({known}); ~ means none",
                               ("clients", key, "delivery_accounts", name, "alternate_posting"),
                               positions)


def _accounts(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    # The description is the account's natural key in LeadExec: it must be unique per client.
    for key, client in model.clients.items():
        seen: dict[str, str] = {}
        for name, account in client.delivery_accounts.items():
            description = account.description or name
            if description in seen:
                path = ("clients", key, "delivery_accounts", name)
                if account.description is not None:
                    path += ("description",)
                yield _problem(f"accounts '{seen[description]}' and '{name}' of client '{key}' "
                               f"have the same description '{description}'", path, positions,
                               at_key=account.description is None)
            else:
                seen[description] = name


def _usernames(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    seen: dict[str, str] = {}
    for key, client in model.clients.items():
        if client.username in seen:
            yield _problem(f"clients '{seen[client.username]}' and '{key}' have the same "
                           f"username '{client.username}'", ("clients", key, "username"), positions)
        else:
            seen[client.username] = key


def _group_descriptions(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    seen: dict[str, str] = {}
    for key, group in model.client_groups.items():
        if group.description in seen:
            yield _problem(f"client groups '{seen[group.description]}' and '{key}' have the same "
                           f"description '{group.description}'",
                           ("client_groups", key, "description"), positions)
        else:
            seen[group.description] = key


def _dialect(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    if model.lexsync.dialect != "soap":
        return
    for key, client in model.clients.items():
        if client.automation is not None:
            yield _problem("automation needs the rest dialect: the SOAP AddEditClient has no "
                           "automation field", ("clients", key, "automation"), positions,
                           detail="remove it or set lexsync.dialect: rest")
        for name, account in client.delivery_accounts.items():
            if account.caps.week is not None:
                yield _problem("weekly caps need the rest dialect: the SOAP AddEditClientAccount "
                               "has no WeekMax",
                               ("clients", key, "delivery_accounts", name, "caps", "week"), positions,
                               detail="remove caps.week or set lexsync.dialect: rest")
            for field, wire in (("alternate_posting", "AlternatePosting"), ("offer", "Offer* fields")):
                if field in account.model_fields_set:
                    yield _problem(f"{field} needs the rest dialect: the SOAP AddEditClientAccount "
                                   f"has no {wire}",
                                   ("clients", key, "delivery_accounts", name, field), positions,
                                   detail=f"remove {field} or set lexsync.dialect: rest")


def _lead_types(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    if not model.lead_types:
        return
    for key, client in model.clients.items():
        for name, method in client.delivery_methods.items():
            if method.lead_type not in model.lead_types:
                yield _problem(f"lead type '{method.lead_type}' is not in lead_types "
                               f"({', '.join(model.lead_types)})",
                               ("clients", key, "delivery_methods", name, "lead_type"), positions)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _schedules(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    for key, client in model.clients.items():
        for name, method in client.delivery_methods.items():
            for index, window in enumerate(method.schedule):
                if _minutes(window.from_) >= _minutes(window.to):
                    yield _problem(f"schedule window starts at {window.from_}, not before its end "
                                   f"{window.to}",
                                   ("clients", key, "delivery_methods", name, "schedule", index, "from"),
                                   positions)


def _criteria(model: Configuration, positions: Locator) -> Iterator[Diagnostic]:
    for key, client in model.clients.items():
        for name, account in client.delivery_accounts.items():
            for index, criterion in enumerate(account.criteria):
                path = ("clients", key, "delivery_accounts", name, "criteria", index, "value")
                if criterion.op in ("In", "NotIn") and criterion.value in ([], ""):
                    yield _problem(f"{criterion.op} needs a non-empty list of values", path,
                                   positions)
                items = criterion.value if isinstance(criterion.value, list) else [criterion.value]
                for item_index, item in enumerate(items):
                    where = (*path, item_index) if isinstance(criterion.value, list) else path
                    problem = _criterion_item_problem(item, isinstance(criterion.value, list))
                    if problem:
                        yield _problem(problem, where, positions)


def _criterion_item_problem(item: object, in_list: bool) -> str | None:
    """Why a criterion value (or list item) cannot reach LeadExec as written, or None."""
    if isinstance(item, float) and not isinstance(item, bool):
        if not math.isfinite(item):
            return f"must be a finite number, got {item!r}"
        return double_problem(item)
    if in_list and isinstance(item, str) and "," in item:
        # The wire joins a list's items with `,`: LeadExec would read two items.
        return (f"list item {item!r} holds a ',', which separates the items LeadExec reads; "
                "write each item on its own")
    return None
