"""A LeadExec-compatible sandbox server (REST v1 + service.asmx), for tests and demos.

Self-contained: imports nothing from the rest of lexsync. The wire it speaks is
fixed by docs/wire.md; its own behaviour is described in docs/sandbox.md.
"""
