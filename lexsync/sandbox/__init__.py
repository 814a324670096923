"""A LeadExec-compatible sandbox server (REST v1 + service.asmx), for tests and demos.

Imports nothing of the client side: of the rest of lexsync only `routing.rules` and
`routing.states`, which import nothing themselves (the same distribution rules and state
table as `lexsync route`; tests/test_import_direction.py holds it to that). The wire it
speaks is fixed by docs/wire.md; its own behaviour is described in docs/sandbox.md.
"""
