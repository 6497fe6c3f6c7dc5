"""An agent calling docintel through MCP: starts ``docintel mcp --root CORPUS`` over stdio with the official MCP
client, looks at the corpus, checks what a question would cost, then asks it and acts on the structured result.

    python examples/agent_mcp_client.py examples/contract "Which law governs the agreement?"
    python examples/agent_mcp_client.py path/to/repo "Where are HTTP retries configured?" --profile claude-sonnet-4-6

A real agent would hand these tool results to its model; this script prints what it would act on.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters


def server_command(root: Path, profile: str | None) -> StdioServerParameters:
    exe = shutil.which("docintel") or str(Path(sys.executable).parent / "docintel")
    args = ["mcp", "--root", str(root)] + (["--profile", profile] if profile else [])
    return StdioServerParameters(command=exe, args=args)


def structured(result: Any) -> dict[str, Any]:
    if result.is_error:
        raise SystemExit(f"tool error: {getattr(result.content[0], 'text', result.content[0])}")
    data: dict[str, Any] = result.structured_content
    return data


async def run_agent(root: Path, question: str, profile: str | None) -> None:
    async with Client(server_command(root, profile)) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        print(f"tools: {', '.join(tools)}")

        outline = structured(await client.call_tool("outline", {"budget_tokens": 400}))
        print(f"\ncorpus: {outline['documents']} documents, {outline['tokens']:,} tokens, kinds {outline['kinds']}")
        print("\n".join(outline["outline"].splitlines()[:12]))

        plan = structured(await client.call_tool("plan", {"question": question}))
        route, tokens = plan["route"], plan["tokens"]
        print(
            f"\nplan: {route['mode']} for {route['profile']}: ~{tokens['estimated_input']:,} prompt tokens, "
            f"${tokens['estimated_cost_usd']:.4f}"
        )
        for reason in route["reasons"]:
            print(f"  - {reason}")

        answer = structured(await client.call_tool("ask", {"question": question}))
        print(f"\nanswer ({answer['backend']}/{answer['model']}, route {answer['route']['mode']}):")
        print(answer["answer"])
        for c in answer["citations"]:
            print(f"  [{c['id']}] {c['label']}: {c['quote'][:100]!r}")
        used = answer["tokens"]
        print(
            f"tokens: {used['input']:,} in ({answer['cached_tokens']:,} cached), {used['output']:,} out, "
            f"${used['cost_usd']:.4f}"
        )

        if answer["insufficient_context"]:
            # the agent's next move: read more context itself, within a budget it chooses
            packed = structured(await client.call_tool("pack", {"question": question, "budget_tokens": 2000}))
            print(f"\ninsufficient context: packed {packed['tokens']:,} tokens of cited context to read instead")

        refused = await client.call_tool("search", {"query": "password", "path": "../"})
        print(f"\nconfinement check: {getattr(refused.content[0], 'text', refused.content[0])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="the corpus folder the agent may read")
    parser.add_argument("question")
    parser.add_argument("--profile", help="model profile for planning and pricing, e.g. claude-sonnet-4-6")
    args = parser.parse_args()
    asyncio.run(run_agent(args.root.resolve(), args.question, args.profile))


if __name__ == "__main__":
    main()
