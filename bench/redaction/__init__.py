"""The redaction evaluation harness: generated scenes with known truth, two leak judges, and the benchmark."""
