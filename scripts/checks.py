"""Project checks that mirror hassfest and the HACS action, which cannot run here.

Run with the project's virtualenv: ``.venv/bin/python scripts/checks.py``. Prints one line per
problem and exits non-zero when there is any.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
import sys
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import Platform
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "printernizer"
HA_PACKAGE = ROOT / ".venv" / "lib"

REQUIRED_MANIFEST_KEYS = {
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "requirements",
    "version",
}

# The 2026 Integration Quality Scale (developers.home-assistant.io, script/hassfest/quality_scale.py).
QUALITY_SCALE_RULES = [
    # Bronze
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-triggers",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    # Platinum
    "async-dependency",
    "inject-websession",
    "strict-typing",
]


def load_json(path: Path) -> Any:
    """Load a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into ``a::b::c`` keys."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(flatten(value, f"{prefix}::{key}" if prefix else key))
    return out


def check_manifest() -> Iterator[str]:
    """Check manifest.json like hassfest does for custom integrations."""
    manifest = load_json(COMPONENT / "manifest.json")
    keys = list(manifest)
    if keys[:2] != ["domain", "name"] or keys[2:] != sorted(keys[2:]):
        yield "manifest.json: keys must be domain, name, then sorted alphabetically"
    if missing := REQUIRED_MANIFEST_KEYS - set(manifest):
        yield f"manifest.json: missing keys {sorted(missing)}"
    if manifest.get("domain") != COMPONENT.name:
        yield "manifest.json: domain must match the folder name"
    version = AwesomeVersion(
        manifest.get("version", ""),
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )
    if not version.valid:
        yield "manifest.json: version is not valid"
    constraints = ha_constraints()
    runtime = {
        line.split("==")[0].lower(): line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for requirement in manifest.get("requirements", []):
        if "==" not in requirement:
            yield f"manifest.json: requirement {requirement} must be pinned with =="
            continue
        name = requirement.split("==")[0].lower()
        if name in constraints and constraints[name] != requirement.lower():
            yield f"manifest.json: {requirement} conflicts with Home Assistant's {constraints[name]}"
        if runtime.get(name, "").lower() != requirement.lower():
            yield f"requirements.txt: must pin {requirement} like manifest.json"
    if manifest.get("iot_class") not in {
        "assumed_state",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
        "calculated",
    }:
        yield "manifest.json: invalid iot_class"


def ha_constraints() -> dict[str, str]:
    """Return the packages Home Assistant pins, with their pins (lower case)."""
    out: dict[str, str] = {}
    for path in HA_PACKAGE.glob("python3*/site-packages/homeassistant/package_constraints.txt"):
        for raw in path.read_text().splitlines():
            line = raw.strip().lower()
            if "==" in line and not line.startswith("#"):
                out[line.split("==")[0]] = line.split(";")[0].strip()
    for path in HA_PACKAGE.glob("python3*/site-packages/homeassistant/components/*/manifest.json"):
        for requirement in load_json(path).get("requirements", []):
            if "==" in requirement:
                out.setdefault(requirement.split("==")[0].lower(), requirement.lower())
    return out


def check_hacs() -> Iterator[str]:
    """Check hacs.json and that the README states the same minimum version."""
    hacs = load_json(ROOT / "hacs.json")
    if not hacs.get("name"):
        yield "hacs.json: name is required"
    minimum = hacs.get("homeassistant", "")
    if not re.fullmatch(r"20\d\d\.\d+\.\d+", minimum):
        yield "hacs.json: homeassistant must be a full release version"
    if minimum and minimum not in (ROOT / "README.md").read_text(encoding="utf-8"):
        yield f"README.md: must state the minimum Home Assistant version {minimum}"
    if set(hacs) - {
        "name",
        "content_in_root",
        "render_readme",
        "homeassistant",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "hacs",
        "persistent_directory",
    }:
        yield "hacs.json: unknown keys"


def python_sources() -> list[Path]:
    """Return the integration's Python files."""
    return sorted(COMPONENT.rglob("*.py"))


def string_literals_for(pattern: str, files: list[Path] | None = None) -> set[str]:
    """Return the string values in the sources that follow ``pattern`` (a regex prefix)."""
    found: set[str] = set()
    regex = re.compile(pattern + r"\s*=?\s*\"([a-z0-9_]+)\"")
    for path in files if files is not None else python_sources():
        found.update(regex.findall(path.read_text(encoding="utf-8")))
    return found


def check_translations() -> Iterator[str]:
    """Check strings.json against the translations and the code."""
    strings = load_json(COMPONENT / "strings.json")
    flat = flatten(strings)
    translations = COMPONENT / "translations"
    english = load_json(translations / "en.json")
    if english != strings:
        yield "translations/en.json: must equal strings.json (copy it over)"
    for path in sorted(translations.glob("*.json")):
        other = flatten(load_json(path))
        if missing := sorted(set(flat) - set(other)):
            yield f"{path.relative_to(ROOT)}: missing {len(missing)} keys, e.g. {missing[:5]}"
        if extra := sorted(set(other) - set(flat)):
            yield f"{path.relative_to(ROOT)}: keys not in strings.json {extra[:5]}"
        for key, value in other.items():
            if not isinstance(value, str) or not value.strip():
                yield f"{path.relative_to(ROOT)}: empty translation {key}"
            if isinstance(value, str) and "[%key:" in value:
                yield f"{path.relative_to(ROOT)}: {key} uses a [%key:] reference (custom integrations cannot)"
    if (translations / "de.json").exists() is False:
        yield "translations/de.json: missing"

    config = strings.get("config", {})
    flows = [COMPONENT / "config_flow.py", COMPONENT / "options_flow.py"]
    for reason in string_literals_for(r"reason", flows):
        if reason not in config.get("abort", {}):
            yield f"strings.json: abort reason {reason} is not translated"
    repair_aborts = {
        reason
        for issue in strings.get("issues", {}).values()
        for reason in issue.get("fix_flow", {}).get("abort", {})
    }
    for reason in string_literals_for(r"reason", [COMPONENT / "repairs.py"]):
        if reason not in repair_aborts:
            yield f"strings.json: repair abort reason {reason} is not translated"
    for error in string_literals_for(r"errors\[\"base\"\]"):
        if error not in config.get("error", {}):
            yield f"strings.json: flow error {error} is not translated"
    for key in string_literals_for(r"translation_key"):
        if (
            key not in strings.get("exceptions", {})
            and not any(key in platform for platform in strings.get("entity", {}).values())
            and key not in strings.get("issues", {})
        ):
            yield f"strings.json: translation_key {key} is not translated"
    services_yaml = COMPONENT / "services.yaml"
    services = (yaml.safe_load(services_yaml.read_text()) or {}) if services_yaml.exists() else {}
    for service, spec in services.items():
        translated = strings.get("services", {}).get(service)
        if not translated or not translated.get("name") or not translated.get("description"):
            yield f"strings.json: action {service} needs a name and description"
            continue
        for field in (spec or {}).get("fields", {}):
            if field not in translated.get("fields", {}):
                yield f"strings.json: field {field} of action {service} is not translated"
    for service in strings.get("services", {}):
        if service not in services:
            yield f"strings.json: action {service} is not in services.yaml"


def check_icons() -> Iterator[str]:
    """Check that icons.json covers the actions and names valid entity keys."""
    icons = load_json(COMPONENT / "icons.json")
    strings = load_json(COMPONENT / "strings.json")
    for service in strings.get("services", {}):
        if service not in icons.get("services", {}):
            yield f"icons.json: action {service} has no icon"
    for platform, keys in icons.get("entity", {}).items():
        for key in keys:
            if key not in strings.get("entity", {}).get(platform, {}):
                yield f"icons.json: entity {platform}.{key} has no translation"


def check_parallel_updates() -> Iterator[str]:
    """Every platform module must set PARALLEL_UPDATES."""
    platforms = {platform.value for platform in Platform}
    for path in COMPONENT.glob("*.py"):
        if path.stem not in platforms:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        if "PARALLEL_UPDATES" not in names:
            yield f"{path.name}: PARALLEL_UPDATES is not set"


def check_quality_scale() -> Iterator[str]:
    """quality_scale.yaml lists every rule with a status and a comment."""
    data = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())
    rules = data.get("rules", {})
    for rule in QUALITY_SCALE_RULES:
        entry = rules.get(rule)
        if entry is None:
            yield f"quality_scale.yaml: rule {rule} is missing"
            continue
        if not isinstance(entry, dict) or entry.get("status") not in {"done", "todo", "exempt"}:
            yield f"quality_scale.yaml: rule {rule} needs a status (done, todo, exempt)"
        elif not entry.get("comment"):
            yield f"quality_scale.yaml: rule {rule} needs a comment"
    for rule in rules:
        if rule not in QUALITY_SCALE_RULES:
            yield f"quality_scale.yaml: unknown rule {rule}"


def check_brand() -> Iterator[str]:
    """Check the brand folder has the images Home Assistant serves for custom integrations."""
    for image in ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png"):
        path = COMPONENT / "brand" / image
        if not path.is_file() or path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            yield f"brand/{image}: missing or not a PNG"


def main() -> int:
    """Run every check and print the problems."""
    checks = [
        check_manifest,
        check_hacs,
        check_translations,
        check_icons,
        check_parallel_updates,
        check_quality_scale,
        check_brand,
    ]
    problems = [problem for check in checks for problem in check()]
    for problem in problems:
        print(f"checks: {problem}")
    print(f"checks: {len(checks)} checks, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
