"""One module per rule; each defines RULE (see ciconf.lint.rule.Rule)."""
