"""Where the tests' reference files live: our own VBC contract, and ``../shared`` when present.

The contract under ``tests/contract/`` is what every VBC exchange is checked against, so a plain
clone tests on its own. The official files in ``../shared`` (beside the repository, as in CI)
only feed the checks that hold our files to them; those skip without it, or fail when
``REQUIRE_SHARED=1`` says it must be there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "tests" / "contract"
VBC_APIS = ("call-recording", "provisioning")
SHARED = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))
MANIFEST_SCHEMA = SHARED / "slack" / "slack-app-manifest.schema.json"


def vbc_contract(api: str) -> Path:
    """Our OpenAPI description of one VBC API (``call-recording`` or ``provisioning``)."""
    return CONTRACT / f"vbc-{api}.yml"


def vbc_official(api: str) -> Path:
    """VBC's own OpenAPI definition of one API, under ``../shared``."""
    return SHARED / "vbc-openapi" / f"{api}.yml"


def shared_file(path: Path) -> Path:
    """``path`` if it exists; otherwise skip the test, or fail it under ``REQUIRE_SHARED=1``."""
    if path.is_file():
        return path
    reason = f"{path} is absent (it comes from ../shared beside the repository)"
    if os.environ.get("REQUIRE_SHARED", "") not in {"", "0"}:
        pytest.fail(f"REQUIRE_SHARED is set but {reason}")
    pytest.skip(reason)
