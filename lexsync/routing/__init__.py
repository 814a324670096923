"""Where a lead goes: route, test, lint and coverage, offline against the configuration.

`rules` and `states` import nothing of lexsync, so the sandbox evaluates
GetClientsforCriteriaAdvanced with the very same rules (docs/routing.md). The rest works on
the validated configuration (`lexsync.config.models.Configuration`).
"""
