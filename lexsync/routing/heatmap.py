"""Coverage as one self-contained HTML page: inline styles, no script, nothing fetched."""

from __future__ import annotations

from html import escape

from lexsync.routing.coverage import Coverage
from lexsync.routing.report import DAYS, coverage_summary

GAP, THIN = "#d7301f", "#fdae61"
_GREENS = ("#d9f0d3", "#a6dba0", "#5aae61", "#1b7837")

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px} p{margin:4px 0;font-size:13px}
table{border-collapse:collapse;margin-top:12px;font-size:10px}
th{font-weight:600;padding:1px 2px;text-align:center}
th.state{text-align:left;padding-right:6px}
td{width:7px;height:13px;padding:0;border:1px solid #fff}
td.day{border-left:2px solid #555}
.legend span{display:inline-block;width:14px;height:11px;margin:0 4px -1px 10px}
""" + "".join(f".{name}{{background:{value}}}" for name, value in (
    ("gap", GAP), ("thin", THIN), *((f"g{i}", c) for i, c in enumerate(_GREENS)))
) + "\n"


def shade(count: int, thin: int, top: int) -> str:
    """The cell's class: gap, thin, or g0-g3 (more accounts, darker)."""
    if count == 0:
        return "gap"
    if count <= thin:
        return "thin"
    share = (count - thin) / max(1, top - thin)
    return f"g{min(len(_GREENS) - 1, int(share * len(_GREENS)))}"


def render_html(coverage: Coverage, thin: int) -> str:
    zone = getattr(coverage.zone, "key", str(coverage.zone))
    top = max((n for row in coverage.counts.values() for n in row), default=0)
    given = ", ".join(f"{k}={v}" for k, v in coverage.fields.items()) or "none"
    title = f"Coverage of {coverage.lead_type} leads"
    out = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Accounts that take a lead, per state ({escape(coverage.state_field)}) and hour of the "
        f"week of {coverage.week_start:%Y-%m-%d}, {escape(zone)}. Fields given: {escape(given)}. "
        "Each cell is the hour's first minute; hover a cell for its count.</p>",
        '<p class="legend">'
        f'<span style="background:{GAP}"></span>no buyer'
        f'<span style="background:{THIN}"></span>thin (1-{thin})'
        + "".join(f'<span style="background:{c}"></span>' for c in _GREENS)
        + f"more, up to {top}</p>",
        "<table><thead><tr><th></th>"
        + "".join(f'<th colspan="24">{d}</th>' for d in DAYS) + "</tr><tr><th></th>"
        + "".join(f'<th colspan="6">{h}</th>' for _ in DAYS for h in (0, 6, 12, 18))
        + "</tr></thead><tbody>",
    ]
    for state in coverage.states:
        cells = []
        for hour, count in enumerate(coverage.counts[state]):
            day = " day" if hour % 24 == 0 else ""
            cells.append(f'<td class="{shade(count, thin, top)}{day}" title="{state} '
                         f'{DAYS[hour // 24]} {hour % 24:02d}:00: {count}"></td>')
        out.append(f'<tr><th class="state">{state}</th>{"".join(cells)}</tr>')
    out.append("</tbody></table>")
    out += [f"<p>{escape(line)}</p>" for line in coverage_summary(coverage, thin)]
    out.append("<p>Assumptions where LeadExec documents nothing are listed in lexsync's "
               "docs/routing.md.</p></body></html>")
    return "\n".join(out) + "\n"
