"""Run the PrusaLink simulator: ``python -m tests.simulators.prusa --port 8080 --print``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import VARIANTS, PrusaLinkSimulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m tests.simulators.prusa", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--variant", choices=VARIANTS, default="buddy")
    parser.add_argument("--username", default="maker")
    parser.add_argument("--password", default="sim-password")
    parser.add_argument("--api-key", default=None, help="X-Api-Key (default: the password)")
    parser.add_argument("--serial", default="CZPX4720X004XC00001")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second"
    )
    parser.add_argument("--nonce-lifetime", type=float, default=300.0)
    parser.add_argument("--no-quirk", action="store_true", help="accept algorithm= (Buddy >= 5.2)")
    parser.add_argument("--camera", action="store_true", help="offer /api/v1/cameras")
    parser.add_argument(
        "--print",
        dest="print_file",
        nargs="?",
        const="",
        default=None,
        help="start printing a file (default: the first)",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    """Start the simulator and serve until interrupted."""
    sim = PrusaLinkSimulator(
        variant=args.variant,
        host=args.host,
        port=args.port,
        username=args.username,
        password=args.password,
        api_key=args.api_key,
        serial=args.serial,
        speed=args.speed,
        nonce_lifetime=args.nonce_lifetime,
        algorithm_quirk=not args.no_quirk,
        camera=True if args.camera else None,
    )
    await sim.start()
    if args.print_file is not None:
        sim.machine.start(args.print_file or None)
    print(f"PrusaLink simulator ({args.variant}) on {sim.url}, user {sim.username!r}")
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
