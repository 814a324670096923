"""lexsync: declarative configuration-as-code for LeadExec."""

__version__ = "0.1.0"
