from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmarks and their synthetic corpus (`generate_corpus`). Installed only when the
    source tree is there: the package built by `pip install .` has no `bench`."""

    name = "bench"
    verbose_name = "Benchmarks"
