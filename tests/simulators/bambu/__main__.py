"""Run a simulated Bambu Lab printer from the command line.

Example: ``python -m tests.simulators.bambu --model X1C --serial 00M09A000000001
--access-code 12345678 --port 8883 --print``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .certs import make_certificate, server_context
from .profiles import PROFILES
from .simulator import DEFAULT_ACCESS_CODE, BambuSimulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Simulated Bambu Lab printer (MQTT over TLS)")
    parser.add_argument("--model", default="X1C", help=f"one of: {', '.join(PROFILES)}")
    parser.add_argument("--serial", default=None, help="printer serial (default: made up)")
    parser.add_argument("--access-code", default=DEFAULT_ACCESS_CODE)
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")  # noqa: S104
    parser.add_argument("--port", type=int, default=8883)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between pushes")
    parser.add_argument("--print", action="store_true", help="start a print right away")
    parser.add_argument("--file", default="benchy.3mf", help="file name of the scripted print")
    parser.add_argument("--print-ticks", type=int, default=600, help="length of the print")
    parser.add_argument("--loop", action="store_true", help="start a new print after each one")
    parser.add_argument("--max-clients", type=int, default=4)
    parser.add_argument(
        "--key-file",
        type=Path,
        default=None,
        help="keep the certificate key in this PEM file (created if missing), so a printer "
        "added to Home Assistant keeps its pinned key across simulator restarts",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def _load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Return the EC key stored in ``path``, creating the file on first use."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key
    key = ec.generate_private_key(ec.SECP256R1())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


async def _main(args: argparse.Namespace) -> None:
    simulator = BambuSimulator(
        args.model,
        serial=args.serial,
        access_code=args.access_code,
        host=args.host,
        port=args.port,
        interval=args.interval,
        max_clients=args.max_clients,
    )
    if args.key_file is not None:
        simulator.certificate = make_certificate(
            simulator.serial, _load_or_create_key(args.key_file)
        )
        simulator._context = server_context(simulator.certificate)
    await simulator.start()
    print(
        f"Simulated {simulator.profile.product_name} serial={simulator.serial} "
        f"access_code={simulator.access_code} on {simulator.host}:{simulator.port}\n"
        f"certificate pin (SHA-256 SPKI): {simulator.pin}",
        flush=True,
    )
    try:
        if args.print:
            simulator.start_print(args.file, print_ticks=args.print_ticks)
        while True:
            await asyncio.sleep(max(args.interval, 0.1))
            if args.loop and simulator.printer.job is None:
                simulator.start_print(args.file, print_ticks=args.print_ticks)
    finally:
        await simulator.stop()


def main() -> None:
    """Entry point."""
    args = _parser().parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
