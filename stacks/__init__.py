"""The CDK app's stacks and constructs. Stacks only assemble constructs."""
