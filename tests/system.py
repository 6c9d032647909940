"""Tests that need a system program: skipped with a message on a machine without it, never in CI.

CI (`CI=true`) installs every such program (.ci/system-packages), so there a missing one is
a failure of the set-up, not a reason to skip.
"""

from __future__ import annotations

import os
import shutil

import pytest


def needs_program(name: str, package: str) -> pytest.MarkDecorator:
    missing = shutil.which(name) is None and os.environ.get("CI") != "true"
    return pytest.mark.skipif(missing, reason=f"{name} is not installed (Debian package {package}; .ci/system-packages)")
