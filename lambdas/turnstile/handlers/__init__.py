"""One module per workflow step. Each handler: Powertools decorators, a typed input, one domain call."""
