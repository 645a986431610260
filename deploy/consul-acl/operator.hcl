# swarmop operator: the token in the operator's CONSUL_HTTP_TOKEN (deploy/operator.env).
# Key layout (src/store/store-keys.ts), with the default prefix "swarmop/" (replace it everywhere
# in these files if the operator runs with another --prefix / SWARMOP_PREFIX):
#   swarmop/objects/<plural>/<name>   documents (the operator writes metadata: finalizers, deletion)
#   swarmop/status/<plural>/<name>    status, written by the operator only
#   swarmop/events/<plural>/<name>    events, written by the operator only
#   swarmop/revisions/<plural>/<name> earlier specs (removed with the document)
#   swarmop/journal/objects/...       the change feed written with every document write
#   swarmop/leader                    the leader lock, held through a session
key_prefix "swarmop/" {
  policy = "write"
}

# Secrets that ConsulCluster documents name (gossipKeyRef / aclTokenRef kvKey): read only, and only
# here. A writer of documents can make the operator read any key this token can read and hand it to
# the cluster's containers, so keep this token's reads to the prefix above and this one.
key_prefix "swarmop-secrets/" {
  policy = "read"
}

# The leader election's session (and the lock-delay free release on shutdown).
session_prefix "" {
  policy = "write"
}

# The leader election's TTL health check, registered on the Consul agent the operator talks to
# (/v1/agent/check/register needs node:write on that agent's node) and tied to the session, so a
# killed leader's lock frees in seconds. To narrow it, name the agent's node:
#   node "consul-node-name" { policy = "write" }
node_prefix "" {
  policy = "write"
}
