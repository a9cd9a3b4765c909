"""Review of registration applications: the reviewer queues, the detail page and its actions."""
