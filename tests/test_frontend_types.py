"""The frontend's API types (frontend/src/api/schema.d.ts) are generated from the OpenAPI schema by
openapi-typescript: a serializer changed without regenerating them (`make api-types`) fails here, so the
frontend's types and the API cannot drift apart."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.core.management import call_command

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
CHECKED_IN = FRONTEND / "src" / "api" / "schema.d.ts"


def test_the_checked_in_api_types_are_those_the_schema_generates(tmp_path):
    assert (FRONTEND / "node_modules" / ".bin" / "openapi-typescript").exists(), "run `npm ci` in frontend/"
    schema, types = tmp_path / "openapi.yaml", tmp_path / "schema.d.ts"
    call_command("spectacular", "--file", str(schema))
    # Through the npm script, which holds openapi-typescript's options.
    subprocess.run(["npm", "run", "--silent", "api-types", "--", str(schema), "--output", str(types)], cwd=FRONTEND,
                   check=True, capture_output=True, timeout=120)
    assert types.read_text() == CHECKED_IN.read_text(), (
        "frontend/src/api/schema.d.ts is not what the API's schema generates: run `make api-types` and commit it")
