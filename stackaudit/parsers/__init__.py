"""Parsers: pure functions from a tool's real output to dataclasses. No I/O here.

Each raises UnparsableOutput (a broken result) on input it does not understand, naming the parser
and the offending line.
"""
