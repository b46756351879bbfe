"""Domain logic, one module per concern. Functions take their AWS clients as arguments."""
