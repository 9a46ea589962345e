"""The facts, one module per family, each with its readings and the functions that make their typed
values; collect/declarations.py registers them in one table."""
