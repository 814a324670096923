"""Validated models kept small: a large configuration is mostly its clients' models.

Each pydantic model carries the set of the fields its YAML wrote (`model_fields_set`, which
tells a value the YAML leaves alone from one it sets). A buyer's ~70 models hold ~70 such
sets, nearly all alike, ~18 KB of a ~58 KB buyer. `share_fields_sets` makes models with the
same fields set share one frozen set: reading it is unchanged, a copy (`model_copy`) gets a
set of its own, and changing a shared one in place (assigning a field of a loaded model)
fails loudly instead of changing its siblings.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


class SharedFieldsSet(set[str]):
    """One set of field names, shared by every model whose YAML wrote those fields. It is a
    `set` (pydantic's serializer needs one) that refuses to change."""

    def __copy__(self) -> set[str]:
        return set(self)  # pydantic copies it to update a copy's fields

    def __deepcopy__(self, memo: dict[int, Any]) -> set[str]:
        return set(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (set, (list(self),))

    def _refuse(self, *args: object) -> Any:
        raise TypeError("a loaded configuration's models share their fields sets and are not "
                        "changed in place: make a changed copy with model_copy(update=...)")

    add = discard = remove = pop = clear = update = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse


class FieldsSets:
    """The shared sets of one load, by content."""

    def __init__(self) -> None:
        self._shared: dict[frozenset[str], SharedFieldsSet] = {}

    def share(self, models: Iterable[BaseModel]) -> None:
        """Make these models, and the models inside them, use the shared sets."""
        pending = list(models)
        shared = self._shared
        while pending:
            model = pending.pop()
            key = frozenset(model.__pydantic_fields_set__)
            one = shared.get(key)
            if one is None:
                one = shared[key] = SharedFieldsSet(key)
            object.__setattr__(model, "__pydantic_fields_set__", one)
            values = model.__dict__
            for name in _nested_fields(type(model)):
                pending.extend(_models_in(values[name]))


def _models_in(value: object) -> list[BaseModel]:
    if isinstance(value, BaseModel):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [item for item in items if isinstance(item, BaseModel)]


@functools.cache
def _nested_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a model class that may hold models (in a list or dict, or alone)."""
    return tuple(name for name, info in model.model_fields.items()
                 if _may_hold_model(info.annotation))


def _may_hold_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_may_hold_model(arg) for arg in typing.get_args(annotation))
