"""The importer: a policy document's official text (a file an editor supplies) into the catalogue.

decoding.py (bytes → text) → htmltext.py (a saved page → lines) → normalise.py (for matching)
→ parser.py (header, parts, measures, titles) with extract.py (targets, deadlines, agencies,
entity types, each with its span) → service.py (preview and plan against the database; apply in
one transaction) → report.py (the readable report). Used by `manage.py import_document` and the
admin's import runs.
"""
