"""A production MySQL bundle passes checkov (``pytest -m validators``).

The examples only cover PostgreSQL; MySQL enforces TLS through a different parameter
(``require_secure_transport``), and checkov CKV2_AWS_69 reads its value from the parameter group
the instance is attached to. A missing tool skips locally and fails when ``CI`` is set.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from opsteam.application.service import Opsteam, real_verifier
from opsteam.domain.models import ValidationStatus
from opsteam.tools.runner import SubprocessRunner
from tests.test_examples_validated import EXAMPLES, problems, run_to_the_end

pytestmark = pytest.mark.validators


def require_checkov() -> None:
    missing = [] if SubprocessRunner().which("checkov") else ["checkov"]
    if importlib.util.find_spec("hcl2") is None:
        missing.append("python-hcl2")
    if not missing:
        return
    reason = f"validators not installed: {', '.join(missing)} (run .ci/install-validators.sh)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def test_a_prod_mysql_bundle_passes_checkov(tmp_path: Path) -> None:
    require_checkov()
    text = (EXAMPLES / "prod-postgres-ha.yaml").read_text()
    assert "\ncomponent: Database\n" in text
    request = tmp_path / "prod-mysql.yaml"
    request.write_text(
        text.replace("\ncomponent: Database\n", "\ncomponent: Database\nengine: mysql\n")
    )
    team = Opsteam(home=tmp_path / "home", verifier=real_verifier)
    [result] = run_to_the_end(team, request)
    state = team.state(result.thread_id)
    assert state.data is not None and state.data.database is not None
    assert state.data.database.engine.value == "mysql"
    validations = state.all_validations()
    checked = {
        v.path
        for v in validations
        if v.validator == "checkov" and v.status is ValidationStatus.PASSED
    }
    assert "terraform/database.tf" in checked, "\n".join(problems(validations))
    assert result.status == "completed", (result.status, "\n".join(problems(validations)))
    assert not problems(validations), "\n".join(problems(validations))
