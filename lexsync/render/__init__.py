"""Plan printers: Terraform-style text, Terraform-shaped JSON, and markdown for pull requests."""

from lexsync.render.json import plan_to_json
from lexsync.render.markdown import render_markdown
from lexsync.render.text import render_plan

__all__ = ["plan_to_json", "render_markdown", "render_plan"]
