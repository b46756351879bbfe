"""Data access: the table's items and keys, IAM reads, task-token callbacks. Domain code calls these, not boto3
directly, for anything it reads back."""
