"""The reference data in referencedata/data/: its schema (schema.py), a reader that checks it
(reader.py), and a writer that keeps the catalogue in step with it (writer.py), run by
`manage.py load_policies`. It sits above the apps whose rows it writes."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
