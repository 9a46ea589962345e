"""Rule evaluation: facts and policy in, findings out (one sentence each; none means the rule holds).

Kept apart from the checks so a check only asserts, and apart from the parsers so parsing stays
pure. A rule that cannot be judged (no policy value, missing input) raises NotCheckable.
"""
