"""The commented starter configuration that `lexsync init` writes."""

STARTER_CONFIG = """\
# yaml-language-server: $schema=./lexsync.schema.json
# lexsync configuration. Reference: docs/configuration.md
# Names are the YAML keys; LeadExec IDs never appear here (lexsync keeps them in its state).

lexsync:
  dialect: rest                 # rest (v1 PATCH/PUT) or soap (AddEdit* SOAP calls)
  credentials:                  # names of environment variables, never the values
    client_id_env: LEADEXEC_CLIENT_ID
    client_secret_env: LEADEXEC_CLIENT_SECRET
    api_key_env: LEADEXEC_API_KEY
  state:
    path: .lexsync/state.json

lead_types: [Auto Insurance]    # lead types used below, by name (read-only in LeadExec)

client_groups:
  premium:
    description: Premium buyers # unique: the group's natural key in LeadExec
    display_order: 1

clients:
  acme:
    status: Active
    group: premium
    username: acme-portal       # unique: the client's natural key in LeadExec
    password: ${env:ACME_PORTAL_PASSWORD}   # secrets come from the environment or ${file:...}
    automation: Price           # Price | Priority | RoundRobin
    fields:                     # client fields, by name
      Company: Acme Insurance
      Email: ops@acme.example

    delivery_methods:
      acme-post:
        type: http_post
        lead_type: Auto Insurance
        url: https://acme.example/leads
        response_search: success          # text in Acme's answer that means "accepted"
        field_mappings:
          - {name: first_name, lead_field: FirstName}
          - {name: last_name, lead_field: LastName}
          - {name: src, static: lexsync}
          - {name: st, lead_field: State, map: {California: CA, Nevada: NV}}
        schedule:                         # Pacific Time; no schedule = no automated delivery
          - {days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00"}
          - {days: [sat], from: "09:00", to: "13:00"}

    delivery_accounts:
      acme-ca:
        description: Acme California      # defaults to the key; unique within the client
        method: acme-post
        price: 25.00
        status: Open                      # Open | OnHold | Suspended | Closed
        caps: {hour: 10, day: 100, week: 400, month: 1500}   # omitted: unlimited; week: as last applied
        criteria:
          - {field: State, op: In, value: [CA, NV]}
          - {field: Age, op: Between, value: [25, 65]}
"""
