# A CI job that applies ServiceAddresses documents (`swarmop apply -f`), and nothing else.
# Writing a document is acting on the hosts it names (docs/security.md): one policy per kind, so
# a pipeline for one kind cannot declare documents of another.

# Read the whole store (apply compares with what is there; get/describe show status and events)...
key_prefix "swarmop/" {
  policy = "read"
}

# ...write documents of this kind only...
key_prefix "swarmop/objects/serviceaddresses/" {
  policy = "write"
}

# ...the revisions (earlier specs) of this kind, written with every spec change and removed
# with the document (`swarmop history`, `swarmop rollback`)...
key_prefix "swarmop/revisions/serviceaddresses/" {
  policy = "write"
}

# ...and the journal entry every document write carries in the same transaction.
key_prefix "swarmop/journal/objects/" {
  policy = "write"
}

# `swarmop delete` of a document no finalizer holds removes its status key in the same
# transaction: Consul's ACLs cannot grant "delete" without "write". So this kind's status is
# writable too: a status written here lasts until the operator's next reconcile of the document
# writes its own again (docs/security.md, "Status").
key_prefix "swarmop/status/serviceaddresses/" {
  policy = "write"
}

# Other kinds' status, events/ and leader stay read only: they are the operator's output.
# swarmop-secrets/ is not readable at all (default deny).
