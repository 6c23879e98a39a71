"""Redaction jobs, exports and their signed manifests: the investigators' evidence."""
