"""The performance suite of agent-console: ``python -m benchmarks`` (see ``__main__.py``).

Measured through the real thing: the central service under uvicorn on loopback, the raw SQL
floors on the same database, the console under Textual's ``run_test`` in a subprocess. Every
figure is printed with its target and a floor measured in the same run. Nothing here is a test:
``tests/test_benchmarks_quick.py`` only checks that ``--quick`` runs and prints every row.

Keep this module free of imports: the console probes (``benchmarks.console_probe``) import the
package, and the hello-world floor must not pay for the product's imports.
"""
