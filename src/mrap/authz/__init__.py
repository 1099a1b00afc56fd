"""What decides access: identity ∧ access point ∧ bucket policy, Block Public Access, ACLs,
Requester Pays. It asks the pure policy engine (`mrap.iam`) and knows nothing of HTTP."""
