"""Redaction jobs, exports and their signed manifests (the investigators' part; it arrives with issue 5)."""
