"""Bring a development Home Assistant to a usable state through its own HTTP APIs.

Waits until Home Assistant answers, completes onboarding with a development user, creates a
long-lived access token, and (with ``--demo``) adds the simulated printers that scripts/develop
started through the real config flow. Prints the login and ``PRINTERNIZER_DEMO_TOKEN=...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import sys
import time
from typing import Any

import aiohttp

DEV_USER = "dev"
DEV_PASSWORD = "printernizer"  # noqa: S105 - a local development login, printed on purpose
CLIENT_SUFFIX = "/"


async def wait_for_hass(
    session: aiohttp.ClientSession, url: str, timeout: float, config: Path
) -> None:
    """Wait until Home Assistant's HTTP API answers.

    Before onboarding is done that is the onboarding endpoint; once it is done Home Assistant no
    longer serves that endpoint (404), so then the REST API's answer to an anonymous call counts.
    """
    onboarded = (config / ".storage" / "onboarding").exists()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{url}/api/onboarding") as response:
                if response.status in (200, 401):
                    return
            if onboarded:
                async with session.get(f"{url}/api/") as response:
                    if response.status == 401:
                        return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(2)
    raise SystemExit(f"Home Assistant did not answer at {url} within {timeout:.0f} s")


async def token_from_code(session: aiohttp.ClientSession, url: str, code: str) -> str:
    """Exchange an authorization code for an access token."""
    async with session.post(
        f"{url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": url + CLIENT_SUFFIX},
    ) as response:
        response.raise_for_status()
        return str((await response.json())["access_token"])


async def onboard(session: aiohttp.ClientSession, url: str) -> str | None:
    """Complete onboarding if it is not done yet; return an access token when it created one."""
    async with session.get(f"{url}/api/onboarding") as response:
        if response.status != 200:
            return None
        steps = {step["step"]: step["done"] for step in await response.json()}
    token: str | None = None
    if not steps.get("user"):
        async with session.post(
            f"{url}/api/onboarding/users",
            json={
                "client_id": url + CLIENT_SUFFIX,
                "name": "Developer",
                "username": DEV_USER,
                "password": DEV_PASSWORD,
                "language": "en",
            },
        ) as response:
            response.raise_for_status()
            token = await token_from_code(session, url, (await response.json())["auth_code"])
    if token is None:
        token = await login(session, url)
    headers = {"Authorization": f"Bearer {token}"}
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        ("integration", {"client_id": url + CLIENT_SUFFIX, "redirect_uri": url + CLIENT_SUFFIX}),
    ):
        if not steps.get(step):
            async with session.post(
                f"{url}/api/onboarding/{step}", json=body, headers=headers
            ) as response:
                if response.status not in (200, 403):
                    response.raise_for_status()
    return token


async def login(session: aiohttp.ClientSession, url: str) -> str:
    """Log in with the development user through the login flow."""
    client_id = url + CLIENT_SUFFIX
    async with session.post(
        f"{url}/auth/login_flow",
        json={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": client_id,
        },
    ) as response:
        response.raise_for_status()
        flow_id = (await response.json())["flow_id"]
    async with session.post(
        f"{url}/auth/login_flow/{flow_id}",
        json={"username": DEV_USER, "password": DEV_PASSWORD, "client_id": client_id},
    ) as response:
        response.raise_for_status()
        result = await response.json()
    if result.get("type") != "create_entry":
        raise SystemExit(f"could not log in as {DEV_USER}: {result}")
    return await token_from_code(session, url, result["result"])


async def long_lived_token(session: aiohttp.ClientSession, url: str, access_token: str) -> str:
    """Create a long-lived access token over the WebSocket API."""
    async with session.ws_connect(f"{url}/api/websocket") as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": access_token})
        if (await ws.receive_json()).get("type") != "auth_ok":
            raise SystemExit("WebSocket authentication failed")
        await ws.send_json(
            {
                "id": 1,
                "type": "auth/long_lived_access_token",
                "client_name": f"printernizer-demo-{int(time.time())}",
                "lifespan": 3650,
            }
        )
        reply = await ws.receive_json()
        if not reply.get("success"):
            raise SystemExit(f"could not create a long-lived token: {reply}")
        return str(reply["result"])


async def token_valid(session: aiohttp.ClientSession, url: str, token: str) -> bool:
    """Return whether a stored token still works."""
    async with session.get(f"{url}/api/", headers={"Authorization": f"Bearer {token}"}) as reply:
        return reply.status == 200


async def run_flow(
    session: aiohttp.ClientSession, url: str, token: str, steps: list[dict[str, Any]]
) -> dict[str, Any]:
    """Start a Printernizer config flow and answer its steps in order."""
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(
        f"{url}/api/config/config_entries/flow",
        json={"handler": "printernizer", "show_advanced_options": False},
        headers=headers,
    ) as response:
        response.raise_for_status()
        result: dict[str, Any] = await response.json()
    for answer in steps:
        if result.get("type") not in ("form", "menu"):
            break
        async with session.post(
            f"{url}/api/config/config_entries/flow/{result['flow_id']}",
            json=answer,
            headers=headers,
        ) as response:
            response.raise_for_status()
            result = await response.json()
    return result


async def wait_until_running(
    session: aiohttp.ClientSession, url: str, token: str, timeout: float = 300
) -> None:
    """Wait until Home Assistant has finished starting (its config flow API is there then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with session.get(
            f"{url}/api/config", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            if response.status == 200 and (await response.json()).get("state") == "RUNNING":
                return
        await asyncio.sleep(1)
    raise SystemExit(f"Home Assistant did not finish starting within {timeout:.0f} s")


async def add_demo_printers(
    session: aiohttp.ClientSession, url: str, token: str, state: Path
) -> None:
    """Add the simulated printers through the config flow (a known one simply aborts)."""
    await wait_until_running(session, url, token)
    demo = json.loads((state / "demo.json").read_text())
    for printer in demo["printers"]:
        for _attempt in range(30):
            result = await run_flow(session, url, token, printer["flow"])
            if result.get("type") != "form":
                break
            # The simulator may still be starting; the flow answered with a form error.
            await asyncio.sleep(1)
        outcome = result.get("reason") or result.get("type")
        print(f"develop: {printer['title']}: {outcome}")


async def main() -> int:
    """Bootstrap the development instance."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()
    url: str = args.url.rstrip("/")
    token_file: Path = args.state / "token"
    async with aiohttp.ClientSession() as session:
        await wait_for_hass(session, url, args.timeout, args.state / "config")
        access = await onboard(session, url)
        token = token_file.read_text().strip() if token_file.exists() else ""
        if not token or not await token_valid(session, url, token):
            access = access or await login(session, url)
            token = await long_lived_token(session, url, access)
            token_file.write_text(token)
        if args.demo:
            await add_demo_printers(session, url, token, args.state)
    print(f"develop: Home Assistant is up at {url}")
    print(f"develop: log in as '{DEV_USER}' with password '{DEV_PASSWORD}'")
    if args.demo:
        print(f"develop: the example dashboard (docs/dashboard.yaml) is at {url}/printernizer-demo")
    print(f"PRINTERNIZER_DEMO_TOKEN={token}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
