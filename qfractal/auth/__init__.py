"""Identity shared by both faces: users, groups, tokens."""
