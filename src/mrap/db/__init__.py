"""Database connections shared by the control store and the region stores."""
