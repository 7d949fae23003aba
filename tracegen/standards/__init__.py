"""The standards engine: small rules with stable codes, run before anything is written."""
