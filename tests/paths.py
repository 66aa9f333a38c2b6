"""Where the shared reference files live: ``../shared`` beside the repository (as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))
SPECS = Path(os.environ.get("VBC_OPENAPI_DIR", SHARED / "vbc-openapi"))
MANIFEST_SCHEMA = SHARED / "slack" / "slack-app-manifest.schema.json"
