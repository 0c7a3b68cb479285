"""Federation: peers, signed node-to-node calls, harvesting, federated search, witnessing and
mirrors."""
