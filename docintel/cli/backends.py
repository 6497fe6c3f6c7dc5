"""``docintel backends``: each registered backend's capabilities and options (what ``--backend-option`` takes)."""

from __future__ import annotations

from typing import Any

import typer

from docintel.cli.options import JsonOpt


def backends(as_json: JsonOpt = False) -> None:
    """List the backends: what each can do, and the options it takes (type, default, environment variable)."""
    from dataclasses import asdict

    from docintel.backends import REGISTRY, capabilities_of, default_profile_id, options_schema
    from docintel.cli.output import out_console, print_json

    rows: list[dict[str, Any]] = []
    for name in REGISTRY:
        rows.append(
            {
                "name": name,
                "profile": default_profile_id(name),
                "capabilities": asdict(capabilities_of(name)),
                "options": [
                    {
                        "name": o.name,
                        "type": o.type,
                        "default": None if o.secret else o.default,
                        "env": o.env,
                        "required": o.required,
                        "choices": list(o.choices),
                        "help": o.help,
                    }
                    for o in options_schema(name)
                ],
            }
        )
    if as_json:
        print_json(rows)
        return
    for row in rows:
        caps = row["capabilities"]
        can = [k for k in ("streams", "exact_token_count", "remote", "generative") if caps[k]]
        extra = [f"prefix cache: {caps['prefix_cache']}"] if caps["prefix_cache"] else []
        extra += [f"needs: {caps['needs']}"] if caps["needs"] else []
        said = ", ".join(can + extra) or "no language model (quotes the evidence), nothing to configure"
        out_console.print(f"[bold]{row['name']}[/] (profile {row['profile']}): {said}")
        for o in row["options"]:
            where = f", ${o['env']}" if o["env"] else ""
            default = f" = {o['default']}" if o["default"] is not None else ""
            need = " (required)" if o["required"] else ""
            kind = "|".join(o["choices"]) or o["type"]
            out_console.print(f"  -o {o['name']}=<{kind}>{default}{where}{need}: {o['help']}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(backends)
