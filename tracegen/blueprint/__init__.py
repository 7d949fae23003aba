"""Loading and validating blueprints (YAML or HCL) with source positions."""
