"""Physical names several constructs refer to (by name, to avoid dependency cycles between them)."""

KEY_ROTATION_STATE_MACHINE = "turnstile-key-rotation"
ONBOARDING_STATE_MACHINE = "turnstile-onboarding"
OFFBOARDING_STATE_MACHINE = "turnstile-offboarding"
