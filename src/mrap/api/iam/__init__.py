"""The IAM Query API: users, groups, roles, access keys and policies of each account."""
