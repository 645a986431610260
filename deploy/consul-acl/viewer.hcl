# Read only: `swarmop get / describe / events`, the status page's data, dashboards.
# No write anywhere, no secrets (swarmop-secrets/ stays denied by default).
key_prefix "swarmop/" {
  policy = "read"
}

# Secrets the operator keeps under its prefix: the ACL tokens it made in managed ConsulClusters
# (tokens/) and the config-hash HMAC keys (hashkeys/). The longest matching prefix wins.
key_prefix "swarmop/tokens/" {
  policy = "deny"
}
key_prefix "swarmop/hashkeys/" {
  policy = "deny"
}
