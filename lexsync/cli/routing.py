"""`lexsync route`, `test`, `lint` and `coverage`: where leads go, before apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from lexsync.cli.common import EXIT_ERROR, config_option, handle_errors, resolve_config_path
from lexsync.errors import LexsyncError


def _load(config: str | None) -> Any:
    from lexsync.config.loader import load_configuration

    # Offline: the routing needs the configuration, not its secrets.
    return load_configuration(resolve_config_path(config), need_variables=False)


def _emit(text: str, out: str | None) -> None:
    if out:
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


# --- lint ----------------------------------------------------------------------------------
def lint_findings(loaded: Any) -> list[Any]:
    from lexsync.routing.lint import lint_configuration, locate_findings

    return locate_findings(lint_configuration(loaded.model), loaded.locate)


def warn_lint(found: list[Any]) -> None:
    """Lint findings (`lint_findings`) as warnings on stderr (for validate and plan): they
    never change the exit code there."""
    findings = [f for f in found if f.severity != "info"]
    if not findings:
        return
    click.echo(f"\nWarning: lexsync lint found {len(findings)} problem(s) in the lead flow:",
               err=True)
    for finding in findings:
        click.echo("  " + finding.line().replace("\n", "\n  "), err=True)


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error",
              show_default=True, help="Exit 1 when a finding is this severe or more.")
@handle_errors
def lint(config: str | None, api: str | None, state_path: str | None, fmt: str,
         fail_on: str) -> None:
    """Find what will lose leads: contradicting criteria, accounts that never receive a lead,
    unknown states, caps in the wrong order, and more. Exit 1 on errors (see --fail-on).

    Turn a rule off with `lint: {disable: [RULE]}` in the configuration."""
    from lexsync.routing.lint import SEVERITIES

    findings = lint_findings(_load(config))
    if fmt == "json":
        click.echo(json.dumps({"findings": [
            {"rule": f.rule, "severity": f.severity, "message": f.message, "fix": f.fix,
             "address": f.address, "file": f.location.file if f.location else None,
             "line": f.location.line if f.location else None,
             "column": f.location.column if f.location else None} for f in findings]},
            indent=2))
    else:
        for finding in findings:
            click.echo(finding.line())
        counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
        summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
        click.echo(("\n" if findings else "") + f"lint: {summary}.")
    limit = SEVERITIES.index(fail_on)
    if any(SEVERITIES.index(f.severity) <= limit for f in findings):
        raise SystemExit(EXIT_ERROR)


# --- route ---------------------------------------------------------------------------------
@click.command()
@config_option
@click.argument("lead_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--at", "at", metavar="TIME",
              help="The moment (default now): 2025-06-01T21:00-05:00, or "
                   "'2025-06-01T21:00 America/Chicago'; without a zone, routing.time_zone.")
@click.option("--live", is_flag=True,
              help="Also ask LeadExec (GetClientsforCriteriaAdvanced, read-only) and compare; "
                   "LeadExec answers for now.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the result to FILE.")
@handle_errors
def route(config: str | None, api: str | None, state_path: str | None,
          lead_files: tuple[str, ...], at: str | None, live: bool, fmt: str,
          out: str | None) -> None:
    """Which delivery accounts take each sample lead, in LeadExec's order, and why the others
    do not. LEAD_FILE: YAML, JSON or CSV; keys are lead field names, lead_type names the type."""
    from lexsync.routing.leads import load_leads
    from lexsync.routing.moment import parse_moment
    from lexsync.routing.network import build_network
    from lexsync.routing.report import assumption_line, assumptions, route_json, route_lines
    from lexsync.routing.route import Router

    loaded = _load(config)
    network = build_network(loaded.model)
    router = Router(network)
    leads = [lead for name in lead_files for lead in load_leads(Path(name))]
    results = [router.route(lead, parse_moment(lead.at or at, network.platform_zone))
               for lead in leads]
    comparisons = _live_comparisons(config, api, state_path, router, leads) if live else None
    settings = loaded.model.routing
    if fmt == "json":
        document: dict[str, Any] = {"leads": [route_json(r) for r in results],
                                    "assumptions": assumptions(settings)}
        if comparisons is not None:
            document["live"] = [_comparison_json(c) for c in comparisons]
        # Compact: the C encoder (indenting falls back to Python's, three times slower on the
        # millions of entries a large network's batch has).
        _emit(json.dumps(document, separators=(",", ":")) + "\n", out)
    else:
        lines: list[str] = []
        for result in results:
            lines += route_lines(result, settings) + [""]
        if comparisons is not None:
            lines += _comparison_lines(comparisons)
        lines.append(assumption_line(settings))
        _emit("\n".join(lines) + "\n", out)
    if comparisons and any(c.disagreements for c in comparisons):
        raise SystemExit(EXIT_ERROR)


def _live_comparisons(config: str | None, api: str | None, state_path: str | None,
                      router: Any, leads: list[Any]) -> list[Any]:
    """Ask LeadExec for every lead and compare with the simulation at the same moment."""
    from datetime import datetime

    from lexsync.cli.common import session_for
    from lexsync.engine import aio
    from lexsync.routing.live import LiveScan, compare

    session = session_for(config, api, state_path)
    state = session.backend.load()
    client_ids = {res.remote_id: address.split(".", 1)[1]
                  for address, res in state.resources.items() if res.kind == "client"}

    async def ask_all() -> list[Any]:
        async with session.open_api() as client:
            scan = LiveScan(client, client_ids)
            answers = []
            for lead in leads:
                moment = datetime.now(router.network.platform_zone)
                answers.append(compare(router.route(lead, moment), await scan.ask(lead)))
            return answers

    return aio.run(ask_all())


def _comparison_lines(comparisons: list[Any]) -> list[str]:
    lines = ["LeadExec (GetClientsforCriteriaAdvanced, now) against lexsync's simulation, now:"]
    for comparison in comparisons:
        offered = ", ".join(f"{b.client} ${b.price:,.2f}" for b in comparison.leadexec) or "no buyer"
        if comparison.disagreements:
            lines.append(f"  {comparison.lead}: DISAGREE (LeadExec offers: {offered})")
            lines += [f"    {problem}" for problem in comparison.disagreements]
        else:
            lines.append(f"  {comparison.lead}: agree ({offered})")
    return lines + [""]


def _comparison_json(comparison: Any) -> dict[str, Any]:
    return {"lead": comparison.lead,
            "leadexec": [{"client": b.client, "price": b.price} for b in comparison.leadexec],
            "lexsync": [{"client": b.client, "price": b.price} for b in comparison.lexsync],
            "disagreements": comparison.disagreements}


# --- test ----------------------------------------------------------------------------------
@click.command()
@config_option
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--live", is_flag=True,
              help="Also ask LeadExec for each case's lead (now) and report disagreements.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@handle_errors
def test(config: str | None, api: str | None, state_path: str | None, paths: tuple[str, ...],
         live: bool, fmt: str) -> None:
    """Run the routing test cases (tests/*.yaml beside the configuration, *.test.yaml, or
    PATHS) offline against the YAML. Exit 0 when all pass, 1 otherwise."""
    from lexsync.routing.cases import discover, load_cases, run_case
    from lexsync.routing.network import build_network
    from lexsync.routing.route import Router

    config_path = resolve_config_path(config)
    loaded = _load(str(config_path))
    files = _test_files(paths) if paths else discover(config_path)
    if not files:
        raise LexsyncError("no routing tests found: put them in tests/*.yaml beside the "
                           "configuration (or *.test.yaml), or pass their paths")
    network = build_network(loaded.model)
    router = Router(network)
    cases = [case for path in files for case in load_cases(path)]
    outcomes = [run_case(router, case, network.platform_zone) for case in cases]
    comparisons = _live_comparisons(str(config_path), api, state_path, router,
                                    [c.lead for c in cases]) if live else None
    failed = [o for o in outcomes if not o.passed]
    disagreed = [c for c in comparisons or [] if c.disagreements]
    if fmt == "json":
        document: dict[str, Any] = {"cases": [
            {"name": o.case.name, "where": o.case.where, "passed": o.passed,
             "expected": list(o.case.expect), "actual": o.actual} for o in outcomes],
            "passed": len(outcomes) - len(failed), "failed": len(failed)}
        if comparisons is not None:
            document["live"] = [_comparison_json(c) for c in comparisons]
        click.echo(json.dumps(document, indent=2))
    else:
        for outcome in outcomes:
            mark = "ok  " if outcome.passed else "FAIL"
            click.echo(f"{mark} {outcome.case.name}  ({outcome.case.where})")
            for line in outcome.diff:
                click.echo(f"       {line}")
        if comparisons is not None:
            click.echo("")
            for line in _comparison_lines(comparisons):
                click.echo(line)
        disagreement = f", {len(disagreed)} disagreement(s) with LeadExec" if live else ""
        click.echo(f"\n{len(outcomes) - len(failed)} passed, {len(failed)} failed{disagreement}.")
    if failed or disagreed:
        raise SystemExit(EXIT_ERROR)


def _test_files(paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) \
            if path.is_dir() else [path]
    return files


# --- coverage ------------------------------------------------------------------------------
@click.command()
@config_option
@click.option("--lead-type", metavar="NAME", help="Lead type (default: the only one used).")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="A lead field value to evaluate criteria with (repeatable).")
@click.option("--at", "at", metavar="TIME", help="A moment in the week to show (default now).")
@click.option("--time-zone", metavar="ZONE", help="Time zone of the grid (default routing.time_zone).")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "json"]), default="text",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option("--thin", default=1, show_default=True, type=click.IntRange(min=0),
              help="Cells with this many accounts or fewer count as thin.")
@handle_errors
def coverage(config: str | None, api: str | None, state_path: str | None,
             lead_type: str | None, fields: tuple[str, ...], at: str | None,
             time_zone: str | None, fmt: str, out: str | None, thin: int) -> None:
    """For each US state and hour of the week, how many accounts take a lead: gaps (no buyer)
    and thin spots stand out. --format html writes a self-contained heat map."""
    from lexsync.routing.coverage import compute_coverage
    from lexsync.routing.heatmap import render_html
    from lexsync.routing.moment import parse_moment
    from lexsync.routing.network import build_network
    from lexsync.routing.report import coverage_json, coverage_lines
    from lexsync.routing.rules import zone_named

    loaded = _load(config)
    network = build_network(loaded.model)
    if lead_type is None:
        if len(network.lead_types) != 1:
            known = ", ".join(sorted(network.lead_types.values())) or "none"
            raise LexsyncError(f"pass --lead-type NAME (lead types in the configuration: {known})")
        lead_type = next(iter(network.lead_types.values()))
    values = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise LexsyncError(f"--field takes NAME=VALUE, got {item!r}")
        values[name.strip()] = value.strip()
    zone = network.platform_zone
    if time_zone:
        found = zone_named(time_zone)
        if found is None:
            raise LexsyncError(f"unknown time zone {time_zone!r}")
        zone = found
    result = compute_coverage(network, lead_type, values, parse_moment(at, zone), zone)
    if fmt == "html":
        _emit(render_html(result, thin), out)
        if out:
            click.echo(f"Wrote the heat map to {out}.", err=True)
    elif fmt == "json":
        _emit(json.dumps(coverage_json(result, thin), indent=2) + "\n", out)
    else:
        _emit("\n".join(coverage_lines(result, thin)) + "\n", out)
