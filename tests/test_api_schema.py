"""The OpenAPI schema generates and validates without a single warning (a warning means a vague API doc)."""

from django.core.management import call_command


def test_the_schema_is_valid_and_warning_free(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/exports/" in (tmp_path / "schema.yaml").read_text()
