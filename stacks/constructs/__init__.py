"""One construct per capability of Turnstile."""
