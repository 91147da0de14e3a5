"""The General Manager's review: the pack of what changed and the compliance state, its
Markdown, and the decision recorded in policy.yaml."""
