"""python -m lab {up,down,status,generate}: the local CloudStack lab."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from lab.generate import generate_scenario
from lab.lifecycle import LabError, down, status, up
from stackaudit.config.schema import SchemaError as ScenarioError

EXIT_SCENARIO, EXIT_LAB = 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "status"):
        sub = commands.add_parser(name)
        if name == "up":
            sub.add_argument("scenario", type=Path)
        sub.add_argument("--state-dir", type=Path, default=Path(".lab"))
    gen = commands.add_parser("generate")
    gen.add_argument("--hosts", type=int, required=True)
    gen.add_argument("--zones", type=int, default=1)
    gen.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up(args.scenario, args.state_dir)
        elif args.command == "down":
            down(args.state_dir)
        elif args.command == "status":
            return 0 if status(args.state_dir) else 1
        else:
            text = yaml.safe_dump(generate_scenario(args.hosts, args.zones), sort_keys=False)
            if args.output:
                args.output.write_text(text)
            else:
                sys.stdout.write(text)
    except ScenarioError as err:
        print(f"lab: scenario error: {err}", file=sys.stderr)
        return EXIT_SCENARIO
    except (LabError, ValueError) as err:
        print(f"lab: {err}", file=sys.stderr)
        return EXIT_LAB
    return 0


if __name__ == "__main__":
    sys.exit(main())
