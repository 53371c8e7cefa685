"""The REST API (/api/v1/): a public contract, read by anyone, written by editors."""
