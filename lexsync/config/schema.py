"""The JSON Schema of the configuration, generated from the models (never edited by hand).

Regenerate the checked-in copy with:  python -m lexsync.config.schema > schemas/lexsync.schema.json
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lexsync.config.models import Configuration

SCHEMA_ID = "https://lexsync.dev/schemas/lexsync.schema.json"
REGENERATE = "python -m lexsync.config.schema > schemas/lexsync.schema.json"


def generate_schema() -> dict:
    schema = Configuration.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "lexsync configuration"
    return schema


def render_schema() -> str:
    """The schema as checked in: pretty-printed, sorted keys, trailing newline."""
    return json.dumps(generate_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: str | os.PathLike) -> None:
    Path(path).write_text(render_schema(), encoding="utf-8")


if __name__ == "__main__":
    sys.stdout.write(render_schema())
