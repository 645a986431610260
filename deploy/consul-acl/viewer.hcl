# Read only: `swarmop get / describe / events`, the status page's data, dashboards.
# No write anywhere, no secrets (swarmop-secrets/ stays denied by default).
key_prefix "swarmop/" {
  policy = "read"
}
